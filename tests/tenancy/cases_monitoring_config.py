"""Monitoring settings pages (monitored items, rotas, paging and handling policies, sources' flap windows,
inspection plans) × personas."""

from __future__ import annotations

from datetime import date

from tests.monitoring.factories import make_source
from tests.personas import World
from tests.tenancy.cases_monitoring import probes
from tests.tenancy.matrix import Case, expect
from weibao.core import clock
from weibao.monitoring.models import AlarmSource, InspectionPlan, Rota, RotaMember, RotaOverride

STAFF_READ = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
MANAGER_OK = expect(404, anonymous=302, manager=302, admin=302)
MANAGER_BAD = expect(404, anonymous=302, manager=400, admin=400)


def rota(w: World) -> Rota:
    if "rota" not in w.extra:
        made = Rota.objects.create(name="一线值班", start_date=date(2026, 1, 5))
        RotaMember.objects.create(rota=made, user=w.users["engineer"], position=0)
        w.extra["rota"] = made
    return w.extra["rota"]  # type: ignore[no-any-return]


def override(w: World) -> RotaOverride:
    now = clock.now()
    return RotaOverride.objects.create(rota=rota(w), user=w.users["manager"], starts_at=now, ends_at=now.replace(year=now.year + 1))


def source(w: World) -> AlarmSource:
    if "source" not in w.extra:
        w.extra["source"] = make_source(name="甲方 Prometheus").source
    return w.extra["source"]  # type: ignore[no-any-return]


def plan(w: World) -> InspectionPlan:
    made = InspectionPlan.objects.create(organisation=w.org_a, name="月度巡检", next_run_at=clock.now())
    return made


CASES = [
    Case("staff:monitoring-probes", "GET", lambda w: "/staff/monitoring/probes/", STAFF_READ, api=False),
    Case("staff:monitoring-probes", "POST", lambda w: "/staff/monitoring/probes/", MANAGER_BAD, api=False, fmt="form",
         body=lambda w: {"system": w.system_a.public_id, "name": "", "kind": "http", "target": "nope"}, name="invalid"),
    Case("staff:monitoring-probe", "GET", lambda w: f"/staff/monitoring/probes/{probes(w)['a'].probe.public_id}/", STAFF_READ, api=False),
    Case("staff:monitoring-probe", "POST", lambda w: f"/staff/monitoring/probes/{probes(w)['a'].probe.public_id}/", MANAGER_OK,
         api=False, fmt="form", body=lambda w: {"name": "甲首页", "target": "http://127.0.0.1:9/", "interval_seconds": "120"}),
    Case("staff:monitoring-probe-delete", "POST", lambda w: f"/staff/monitoring/probes/{probes(w)['hb'].probe.public_id}/delete/",
         MANAGER_OK, api=False, fmt="form", body=lambda w: {}),
    Case("staff:monitoring-rotas", "GET", lambda w: (rota(w), "/staff/monitoring/rotas/")[1], STAFF_READ, api=False),
    Case("staff:monitoring-rotas", "POST", lambda w: "/staff/monitoring/rotas/", MANAGER_BAD, api=False, fmt="form",
         body=lambda w: {"name": "", "start_date": "2026-13-01"}, name="invalid"),
    Case("staff:monitoring-rota", "GET", lambda w: f"/staff/monitoring/rotas/{rota(w).pk}/", STAFF_READ, api=False),
    Case("staff:monitoring-rota", "POST", lambda w: f"/staff/monitoring/rotas/{rota(w).pk}/", MANAGER_OK, api=False, fmt="form",
         body=lambda w: {"name": "一线值班", "start_date": "2026-01-05", "handover_time": "09:00", "shift_days": "7",
                         "timezone": "Asia/Shanghai", "members": [str(w.users["engineer"].pk)]}),  # type: ignore[union-attr]
    Case("staff:monitoring-rota-override", "POST", lambda w: f"/staff/monitoring/rotas/{rota(w).pk}/overrides/", MANAGER_OK,
         api=False, fmt="form", body=lambda w: {"user": str(w.users["manager"].pk), "starts_at": "2026-12-01T09:00",  # type: ignore[union-attr]
                                                "ends_at": "2026-12-02T09:00"}),
    Case("staff:monitoring-rota-override-delete", "POST",
         lambda w: f"/staff/monitoring/rotas/{rota(w).pk}/overrides/{override(w).pk}/delete/", MANAGER_OK, api=False, fmt="form",
         body=lambda w: {}),
    Case("staff:monitoring-policies", "GET", lambda w: "/staff/monitoring/policies/", STAFF_READ, api=False),
    Case("staff:monitoring-policies", "POST", lambda w: "/staff/monitoring/policies/", MANAGER_OK, api=False, fmt="form",
         body=lambda w: {"severity": "critical", "channels": ["email"], "escalate_after_minutes": "10", "max_steps": "2"}),
    Case("staff:monitoring-severity-policy", "POST", lambda w: "/staff/monitoring/policies/handling/", MANAGER_OK, api=False,
         fmt="form", body=lambda w: {"severity": "warning", "opens_incident": "on", "urgency": "medium", "impact": "low",
                                     "resolve_incident": "on", "recovery_hold_minutes": "5", "flap_window_minutes": "20"}),
    Case("staff:monitoring-severity-policy", "POST", lambda w: "/staff/monitoring/policies/handling/", MANAGER_BAD, api=False,
         fmt="form", body=lambda w: {"severity": "warning", "urgency": "extreme", "recovery_hold_minutes": "-1",
                                     "flap_window_minutes": "x"}, name="invalid"),
    Case("staff:alarm-source-flap-window", "POST", lambda w: f"/staff/monitoring/sources/{source(w).public_id}/flap-window/",
         expect(404, anonymous=302, admin=302), api=False, fmt="form", body=lambda w: {"flap_window_minutes": "30"}),
    Case("staff:monitoring-inspection-plans", "GET", lambda w: "/staff/monitoring/inspection-plans/", STAFF_READ, api=False),
    Case("staff:monitoring-inspection-plans", "POST", lambda w: "/staff/monitoring/inspection-plans/", MANAGER_BAD, api=False,
         fmt="form", body=lambda w: {"organisation": str(w.org_a.pk), "name": "季度巡检", "probes": [probes(w)["hb"].probe.public_id]},
         name="other customer's check"),
    Case("staff:monitoring-inspection-run", "POST", lambda w: f"/staff/monitoring/inspection-plans/{plan(w).public_id}/run/",
         MANAGER_OK, api=False, fmt="form", body=lambda w: {}),
]
