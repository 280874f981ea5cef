"""Demo monitoring: an Alertmanager source, monitored items, a 7×24 rota with its paging policy and a
maintenance window, so a new user finds the monitoring pages populated.

Nothing here sends traffic off this machine: the only enabled probe resolves `localhost`; the HTTP,
TCP, TLS and heartbeat items are created disabled (an administrator points them at real systems and
enables them).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from weibao.accounts.models import User
from weibao.core import clock
from weibao.customers.models import System
from weibao.monitoring.config import notification_policy_save, rota_save
from weibao.monitoring.models import AlarmSource, Probe
from weibao.monitoring.probing import probe_create
from weibao.monitoring.sources import alarm_source_create, mapping_rule_add
from weibao.monitoring.status import maintenance_window_create

SOURCE_NAME = "演示 Prometheus"
# (customer code, system code, name, kind, target, enabled, options)
PROBES: list[tuple[str, str, str, str, str, bool, dict[str, Any]]] = [
    ("hzgov", "gov-share", "共享交换平台首页", "http", "http://127.0.0.1:8000/healthz", False,
     {"keyword": "ok", "max_response_ms": 2000}),
    ("hzgov", "gov-share", "接口网关端口", "tcp", "127.0.0.1:8443", False, {}),
    ("hzgov", "gov-share", "网关证书", "tls", "127.0.0.1:8443", False, {"tls_warn_days": 30}),
    ("snpower", "dispatch", "调度系统域名解析", "dns", "localhost", True, {"interval_seconds": 300}),
    ("gzhosp", "his", "HIS 夜间备份作业", "heartbeat", "", False, {"interval_seconds": 86400, "timeout_seconds": 3600}),
]


def _system(org_code: str, code: str) -> System | None:
    return System.objects.filter(organisation__code=org_code, code=code).first()


@transaction.atomic
def load() -> bool:
    if AlarmSource.objects.filter(name=SOURCE_NAME).exists():
        return False
    gov, his = _system("hzgov", "gov-share"), _system("gzhosp", "his")
    if gov is None or his is None:
        return False  # the base demo was not loaded (or was changed): nothing to attach to
    new = alarm_source_create(actor=None, kind="alertmanager", name=SOURCE_NAME, system=gov)
    mapping_rule_add(actor=None, source=new.source, label="job", value="his-*", system=his)
    for org_code, code, name, kind, target, enabled, options in PROBES:
        system = _system(org_code, code)
        if system is None or Probe.objects.filter(system=system, name=name).exists():
            continue
        probe = probe_create(actor=None, system=system, name=name, kind=kind, target=target, **options).probe
        if not enabled:
            Probe.objects.filter(id=probe.id).update(enabled=False)

    engineers = list(User.objects.filter(username__in=["eng_zhao", "eng_qian", "eng_sun"]).order_by("username"))
    if engineers:
        today = clock.now().date()
        rota = rota_save(actor=None, name="平台 7×24 值班", members=[u.id for u in engineers],
                         start_date=today - timedelta(days=today.weekday()), handover_time=time(9, 0), shift_days=7,
                         timezone=settings.TIME_ZONE)
        for severity in ("critical", "high"):
            notification_policy_save(actor=None, severity=severity, rota=rota, channels=["email"], escalate_after_minutes=15,
                                     max_steps=3)

    # next Saturday night, 22:00–02:00 local time: the customer sees it on the portal status page
    tz = ZoneInfo(settings.TIME_ZONE)
    today_local = clock.now().astimezone(tz).date()
    saturday = today_local + timedelta(days=(5 - today_local.weekday()) % 7 or 7)
    starts = datetime.combine(saturday, time(22, 0), tzinfo=tz)
    maintenance_window_create(actor=None, system=his, starts_at=starts, ends_at=starts + timedelta(hours=4),
                              reason="HIS 数据库版本升级（演示）")
    return True
