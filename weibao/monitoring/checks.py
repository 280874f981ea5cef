"""`weibao check` lines for monitoring: probes falling behind, sources that stopped sending."""

from __future__ import annotations

from datetime import timedelta

from weibao.core import clock
from weibao.core.checks import register_check
from weibao.core.health import CheckResult, Level
from weibao.monitoring.models import AlarmSource, Probe


@register_check
def check_probes() -> CheckResult:
    now = clock.now()
    enabled = Probe.objects.filter(enabled=True).exclude(kind="heartbeat")
    late = enabled.filter(next_run_at__lt=now - timedelta(minutes=5)).count()
    total = enabled.count()
    if late:
        return CheckResult("probes", Level.WARN, f"{late} of {total} probes are more than 5 minutes late: is the worker running?")
    return CheckResult("probes", Level.OK, f"{total} probes, none late; {AlarmSource.objects.filter(is_active=True).count()} alarm sources")
