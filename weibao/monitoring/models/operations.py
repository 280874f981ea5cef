"""On-call rotas and paging, maintenance windows, scheduled inspections (巡检)."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import Organisation, Team
from weibao.core.models import PublicIdModel, TimeStamped
from weibao.customers.models import System
from weibao.monitoring.models.alarms import Alarm, Severity
from weibao.monitoring.models.probes import Probe


class MaintenanceWindow(PublicIdModel):
    """While a window is on, the system's new alarms are silenced; its customer sees the window."""

    system = models.ForeignKey(System, verbose_name=_("系统"), on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    reason = models.CharField(_("事由"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("维护窗口")
        verbose_name_plural = _("维护窗口")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["system", "ends_at"], name="maint_system_end_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="maint_ordered")]


class Rota(TimeStamped):
    """A 7×24 on-call schedule: members take turns of `shift_days`, handing over at `handover_time`."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    team = models.ForeignKey(Team, verbose_name=_("团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_date = models.DateField(_("轮值起始日"))
    handover_time = models.TimeField(_("交接时间"), default=time(9, 0))
    shift_days = models.PositiveSmallIntegerField(_("每班天数"), default=7)
    timezone = models.CharField(_("时区"), max_length=60, default=settings.TIME_ZONE)

    class Meta:
        verbose_name = _("值班表")
        verbose_name_plural = _("值班表")

    def __str__(self) -> str:
        return self.name


class RotaMember(models.Model):
    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rota", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["rota", "user"], name="rota_member_unique")]


class RotaOverride(models.Model):
    """Someone covers a period (a swap, a holiday shift): wins over the turn order."""

    rota = models.ForeignKey(Rota, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at"]


class RotaLeave(models.Model):
    """An engineer's holiday or leave: their turns pass to the next member."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200, blank=True)


class NotificationPolicy(models.Model):
    """Who is paged for an alarm of a severity, how, and when to escalate."""

    severity = models.CharField(_("级别"), max_length=10, choices=Severity.choices, unique=True)
    rota = models.ForeignKey(Rota, verbose_name=_("值班表"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channels = models.JSONField(_("通知渠道"), default=list, help_text=_("email, sms, dingtalk, wecom, feishu, phone"))
    chat_url = models.CharField(_("群机器人地址"), max_length=500, blank=True, help_text=_("apprise URL：钉钉、企业微信、飞书"))
    phone_webhook = models.CharField(_("电话通知 Webhook"), max_length=500, blank=True)
    escalate_after_minutes = models.PositiveIntegerField(_("无人确认升级（分钟）"), default=15)
    max_steps = models.PositiveSmallIntegerField(_("最多升级次数"), default=3)

    class Meta:
        verbose_name = _("通知策略")
        verbose_name_plural = _("通知策略")


class Page(models.Model):
    """One notification step for an alarm: (alarm, step) is unique, so each step happens exactly once."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="pages")
    step = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channels = models.JSONField(default=list)
    created_at = models.DateTimeField()
    escalate_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["alarm", "step"]
        constraints = [models.UniqueConstraint(fields=["alarm", "step"], name="page_step_once")]
        indexes = [models.Index(fields=["escalate_at"], name="page_escalate_idx", condition=models.Q(escalate_at__isnull=False))]


class InspectionPlan(PublicIdModel):
    organisation = models.ForeignKey(Organisation, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="inspection_plans")
    name = models.CharField(_("名称"), max_length=200)
    probes = models.ManyToManyField(Probe, verbose_name=_("检查项"), blank=True, related_name="+")
    interval_days = models.PositiveSmallIntegerField(_("周期（天）"), default=30)
    next_run_at = models.DateTimeField(_("下次巡检"), null=True, blank=True)

    class Meta:
        verbose_name = _("巡检计划")
        verbose_name_plural = _("巡检计划")

    def __str__(self) -> str:
        return self.name


class InspectionReport(PublicIdModel):
    plan = models.ForeignKey(InspectionPlan, on_delete=models.CASCADE, related_name="reports")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="inspection_reports")
    ran_at = models.DateTimeField()
    results = models.JSONField(default=list)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to="inspections/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("巡检报告")
        verbose_name_plural = _("巡检报告")
        ordering = ["-ran_at"]
