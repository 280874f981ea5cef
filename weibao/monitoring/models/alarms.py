"""Alarm sources (webhook senders), delivery log, alarms and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Organisation
from weibao.core.models import PublicIdModel
from weibao.customers.models import System
from weibao.monitoring.states import OPEN_STATUSES, AlarmStatus


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana"
    ZABBIX = "zabbix", "Zabbix"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("严重")
    HIGH = "high", _("高")
    WARNING = "warning", _("警告")
    INFO = "info", _("提示")


class AlarmSource(PublicIdModel):
    """A monitoring system that posts alarms to us; it proves who it is with a per-source token."""

    kind = models.CharField(_("类型"), max_length=20, choices=SourceKind.choices)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    token_prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    system_label = models.CharField(
        _("系统标签"), max_length=100, default="weibao_system",
        help_text=_("告警中指明系统的标签；值为系统 ID，或“客户代码/系统代码”"),
    )
    default_system = models.ForeignKey(
        System, verbose_name=_("默认系统"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    flap_window_minutes = models.PositiveIntegerField(
        _("抖动窗口（分钟）"), null=True, blank=True,
        help_text=_("已恢复的告警在此时间内再次触发，视为同一告警重发（抖动）；留空则按告警级别策略"),
    )
    last_delivery_at = models.DateTimeField(_("最近接收"), null=True, blank=True)

    class Meta:
        verbose_name = _("告警来源")
        verbose_name_plural = _("告警来源")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class MappingRule(models.Model):
    """Labels → system, for sources whose alarms do not name the system themselves."""

    source = models.ForeignKey(AlarmSource, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("标签"), max_length=100)
    value = models.CharField(_("取值"), max_length=200, help_text=_("完全相等；以 * 结尾表示前缀匹配"))
    system = models.ForeignKey(System, verbose_name=_("系统"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("映射规则")
        verbose_name_plural = _("映射规则")
        ordering = ["source", "position", "id"]

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label)
        if actual is None:
            return False
        if self.value.endswith("*"):
            return actual.startswith(self.value[:-1])
        return actual == self.value


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received", _("已接收，处理中")
    FAILED = "failed", _("处理失败（待重放）")
    ACCEPTED = "accepted", _("已接收")
    DUPLICATE = "duplicate", _("重复（无变化）")
    REJECTED = "rejected", _("已拒绝")


class Delivery(models.Model):
    """Every webhook request, accepted or not: the audit trail of what monitoring sent us."""

    source = models.ForeignKey(AlarmSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=12, choices=DeliveryOutcome.choices)
    http_status = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    alerts = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    # The accepted body is kept so nothing a monitoring system sent is lost; rejected bodies are not stored.
    body = models.TextField(blank=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["-id"]


class Alarm(PublicIdModel):
    source = models.ForeignKey(AlarmSource, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms")
    probe = models.ForeignKey("monitoring.Probe", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    # "s<source id>:<fingerprint>" or "p<probe id>": one open alarm per key (see the constraint)
    dedup_key = models.CharField(max_length=240)
    fingerprint = models.CharField(_("指纹"), max_length=200)
    status = models.CharField(_("状态"), max_length=20, default=AlarmStatus.FIRING, editable=False,
                              choices=[(s.value, s.value) for s in AlarmStatus])
    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    name = models.CharField(_("告警名称"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    description = models.TextField(_("描述"), blank=True)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    group_key = models.CharField(max_length=500, blank=True)
    generator_url = models.CharField(max_length=1000, blank=True)
    system = models.ForeignKey(System, verbose_name=_("系统"), null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    incident = models.ForeignKey("tickets.Ticket", verbose_name=_("事件工单"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alarms")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fire_count = models.PositiveIntegerField(default=1)
    flapping = models.BooleanField(_("抖动"), default=False)
    # A machine-resolved alarm recovers its incident only once it has stayed resolved until then (recovery hold);
    # a re-fire clears it. None: nothing pending.
    recovery_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("告警")
        verbose_name_plural = _("告警")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], name="alarm_one_open_per_key",
                condition=models.Q(status__in=sorted(s.value for s in OPEN_STATUSES)),
            )
        ]
        indexes = [
            models.Index(fields=["dedup_key", "-id"], name="alarm_key_idx"),
            models.Index(fields=["organisation", "-id"], name="alarm_org_idx"),
            models.Index(fields=["status", "-id"], name="alarm_status_idx"),
            models.Index(fields=["system", "status"], name="alarm_system_status_idx"),
            models.Index(fields=["recovery_due_at"], name="alarm_recovery_due_idx", condition=models.Q(recovery_due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.status}]"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AlarmEvent(models.Model):
    """Append-only history of an alarm."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["alarm", "id"], name="alarm_event_idx")]


class SeverityPolicy(models.Model):
    """What an alarm of a severity does to incidents; rows override the built-in defaults."""

    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices, unique=True)
    opens_incident = models.BooleanField(_("创建事件工单"), default=True)
    urgency = models.CharField(_("紧急度"), max_length=10, default="high")
    impact = models.CharField(_("影响度"), max_length=10, default="high")
    resolve_incident = models.BooleanField(
        _("恢复后解决工单"), default=True, help_text=_("否：只在工单上记录恢复，由工程师确认后解决")
    )
    recovery_hold_minutes = models.PositiveIntegerField(
        _("恢复观察期（分钟）"), default=5,
        help_text=_("告警恢复后须保持恢复满此时长，才在事件工单上记录恢复（并按策略解决）；期间再次告警则取消"),
    )
    flap_window_minutes = models.PositiveIntegerField(
        _("抖动窗口（分钟）"), default=10,
        help_text=_("已恢复的告警在此时间内再次触发，视为同一告警重发（抖动），不另开告警；告警来源可单独设置"),
    )

    class Meta:
        verbose_name = _("告警级别策略")
        verbose_name_plural = _("告警级别策略")
