"""Built-in probes: monitored items tied to a customer's system."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weibao.core.models import PublicIdModel
from weibao.customers.models import System
from weibao.monitoring.models.alarms import Severity


class ProbeKind(models.TextChoices):
    HTTP = "http", _("HTTP(S) 检查")
    TCP = "tcp", _("TCP 端口")
    TLS = "tls", _("TLS 证书有效期")
    DNS = "dns", _("DNS 解析")
    PING = "ping", _("ICMP Ping")
    HEARTBEAT = "heartbeat", _("心跳签到")


class ProbeState(models.TextChoices):
    UNKNOWN = "unknown", _("未知")
    UP = "up", _("正常")
    SLOW = "slow", _("缓慢")
    DOWN = "down", _("故障")


class Probe(PublicIdModel):
    system = models.ForeignKey(System, verbose_name=_("系统"), on_delete=models.CASCADE, related_name="probes")
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=12, choices=ProbeKind.choices)
    target = models.CharField(
        _("目标"), max_length=500, blank=True,
        help_text=_("HTTP：URL；TCP/TLS：主机:端口；DNS/Ping：主机名；心跳：留空"),
    )
    expected_status = models.PositiveSmallIntegerField(_("期望状态码"), null=True, blank=True, help_text=_("留空：2xx/3xx 均可"))
    keyword = models.CharField(_("关键字"), max_length=200, blank=True, help_text=_("响应正文必须包含"))
    max_response_ms = models.PositiveIntegerField(_("响应时间上限（毫秒）"), null=True, blank=True, help_text=_("超过即视为故障（缓慢）"))
    tls_warn_days = models.PositiveSmallIntegerField(_("证书到期预警天数"), default=14)
    dns_expect = models.CharField(_("期望解析地址"), max_length=200, blank=True)
    interval_seconds = models.PositiveIntegerField(_("检查间隔（秒）"), default=60)
    timeout_seconds = models.FloatField(_("超时（秒）"), default=10)
    failures_before_alarm = models.PositiveSmallIntegerField(_("连续失败几次告警"), default=3)
    severity = models.CharField(_("告警级别"), max_length=10, choices=Severity.choices, default=Severity.HIGH)
    enabled = models.BooleanField(_("启用"), default=True)
    heartbeat_token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # the state the worker keeps; updated in bulk after each round
    next_run_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=ProbeState.choices, default=ProbeState.UNKNOWN)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(_("最近检查"), null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    cert_expires_at = models.DateTimeField(_("证书到期"), null=True, blank=True)

    class Meta:
        verbose_name = _("监控项")
        verbose_name_plural = _("监控项")
        ordering = ["system", "name"]
        indexes = [models.Index(fields=["next_run_at"], name="probe_due_idx", condition=models.Q(enabled=True))]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class ProbeResult(models.Model):
    """A probe's history, kept compactly: only failures and changes of state get a row (the probe itself holds
    the last result), so a healthy probe checked every minute writes no history at all."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="results")
    checked_at = models.DateTimeField(_("检查时间"))
    state = models.CharField(_("状态"), max_length=10, choices=ProbeState.choices)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["probe", "-id"], name="probe_result_idx"),
                   models.Index(fields=["checked_at"], name="probe_result_time_idx")]
