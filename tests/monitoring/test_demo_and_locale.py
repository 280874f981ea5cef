from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import translation

from weibao.demo import demo_load
from weibao.monitoring.models import AlarmSource, MaintenanceWindow, NotificationPolicy, Probe, Rota
from weibao.monitoring.models.probes import ProbeKind

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _host(probe: Probe) -> str:
    if probe.kind == ProbeKind.HTTP:
        return urlsplit(probe.target).hostname or ""
    return probe.target.rpartition(":")[0] if probe.kind in (ProbeKind.TCP, ProbeKind.TLS) else probe.target


def test_demo_populates_monitoring_without_probing_beyond_loopback(db: Any) -> None:
    demo_load()
    assert AlarmSource.objects.filter(name="演示 Prometheus").exists()
    probes = list(Probe.objects.all())
    assert {p.kind for p in probes} >= {"http", "tcp", "tls", "dns", "heartbeat"}
    enabled = [p for p in probes if p.enabled]
    assert enabled and all(_host(p) in LOOPBACK for p in enabled if p.kind != ProbeKind.HEARTBEAT)
    assert all(_host(p) in LOOPBACK for p in probes if p.kind != ProbeKind.HEARTBEAT)
    rota = Rota.objects.get()
    assert rota.members.count() == 3
    assert set(NotificationPolicy.objects.values_list("severity", flat=True)) == {"critical", "high"}
    assert MaintenanceWindow.objects.count() == 1
    counts = (AlarmSource.objects.count(), Probe.objects.count(), Rota.objects.count(), MaintenanceWindow.objects.count())
    demo_load()
    assert (AlarmSource.objects.count(), Probe.objects.count(), Rota.objects.count(), MaintenanceWindow.objects.count()) == counts


@pytest.mark.parametrize(("source", "english"), [("处理失败（待重放）", "Failed (to be replayed)"),
                                                 ("恢复观察期（分钟）", "Recovery hold (minutes)"),
                                                 ("维护中", "In maintenance"), ("抖动窗口（分钟）", "Flap window (minutes)")])
def test_monitoring_strings_have_english(source: str, english: str) -> None:
    with translation.override("en"):
        assert translation.gettext(source) == english
