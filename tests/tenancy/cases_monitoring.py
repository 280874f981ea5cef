"""Monitoring routes × personas. Webhooks authenticate by source token only: a signed-in session is not enough."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from weibao.core import clock
from weibao.monitoring.models import Alarm

ANY_USER_API = expect(200, anonymous=401)
MANAGERS_API = expect(403, anonymous=401, manager=200, admin=200)


def alarms(w: World) -> dict[str, Alarm]:
    """One firing alarm on each organisation's system, made once per world."""
    if "alarms" not in w.extra:
        now = clock.now()
        made = {}
        for key, system in (("a", w.system_a), ("b", w.system_b)):
            made[key] = Alarm.objects.create(
                dedup_key=f"t:{key}", fingerprint=f"fp-{key}", name=f"Down {key}", system=system,
                organisation_id=system.organisation_id, starts_at=now, last_seen_at=now,
            )
        w.extra["alarms"] = made
    return w.extra["alarms"]  # type: ignore[no-any-return]


def _rows(response: Any) -> list[dict[str, Any]]:
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def _alarms_visible(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    systems = {row["system"] for row in _rows(response)}
    if persona in ("customer_a", "customer_admin_a"):
        assert systems == {w.system_a.public_id}, systems
    elif persona == "customer_b":
        assert systems == {w.system_b.public_id}, systems
    else:
        assert {w.system_a.public_id, w.system_b.public_id} <= systems


CASES = [
    Case("api-v1:alarm-source-list", "GET", lambda w: "/api/v1/alarm-sources", MANAGERS_API),
    Case("api-v1:alarm-source-list", "POST", lambda w: "/api/v1/alarm-sources", expect(403, anonymous=401, admin=201),
         body=lambda w: {"kind": "alertmanager", "name": "prom-tenancy"}),
    # no token: 401 for everybody, signed in or not (the token is the only credential a webhook has)
    Case("api-v1:alarm-source-webhook", "POST", lambda w: "/api/v1/alarm-sources/unknown/webhook", expect(401),
         body=lambda w: {"alerts": []}),
    Case("api-v1:alarm-list", "GET", lambda w: (alarms(w), "/api/v1/alarms")[1], ANY_USER_API, check=_alarms_visible),
    Case("api-v1:alarm-detail", "GET", lambda w: f"/api/v1/alarms/{alarms(w)['a'].public_id}",
         expect(200, anonymous=401, customer_b=404)),
    Case("api-v1:alarm-detail", "GET", lambda w: f"/api/v1/alarms/{alarms(w)['b'].public_id}",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404), name="other org"),
    Case("api-v1:alarm-transition", "POST", lambda w: f"/api/v1/alarms/{alarms(w)['a'].public_id}/transitions",
         expect(200, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404),
         body=lambda w: {"transition": "acknowledge"}),
]


def probes(w: World) -> dict[str, Any]:
    if "probes" not in w.extra:
        from weibao.monitoring.probing import probe_create

        w.extra["probes"] = {
            "a": probe_create(actor=None, system=w.system_a, name="甲首页", kind="http", target="http://127.0.0.1:9/"),
            "hb": probe_create(actor=None, system=w.system_b, name="乙备份", kind="heartbeat"),
        }
    return w.extra["probes"]  # type: ignore[no-any-return]


def report(w: World) -> Any:
    """An inspection report of org A (with a stand-in PDF file: access is what is tested here)."""
    if "report" not in w.extra:
        from django.core.files.base import ContentFile

        from weibao.monitoring.models import InspectionPlan, InspectionReport

        plan = InspectionPlan.objects.create(organisation=w.org_a, name="月度巡检")
        rep = InspectionReport.objects.create(plan=plan, organisation=w.org_a, ran_at=clock.now())
        rep.pdf.save("t.pdf", ContentFile(b"%PDF-1.4\n%stand-in\n"), save=True)
        w.extra["report"] = rep
    return w.extra["report"]


def _probes_visible(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    systems = {row["system"] for row in _rows(response)}
    if persona in ("customer_a", "customer_admin_a"):
        assert systems == {w.system_a.public_id}, systems
    elif persona == "customer_b":
        assert systems == {w.system_b.public_id}, systems


def _status_visible(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    systems = {row["system"] for row in response.json()}
    if persona in ("customer_a", "customer_admin_a"):
        assert systems == {w.system_a.public_id}, systems
    elif persona == "customer_b":
        assert systems == {w.system_b.public_id}, systems


def _page_has_only_own(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    html = response.content.decode()
    if persona in ("customer_a", "customer_admin_a"):
        assert w.system_a.name in html and w.system_b.name not in html
    elif persona == "customer_b":
        assert w.system_b.name in html and w.system_a.name not in html


STAFF_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
CUSTOMER_WEB = expect(404, anonymous=302, customer_a=200, customer_admin_a=200, customer_b=200)

CASES += [
    Case("api-v1:probe-list", "GET", lambda w: (probes(w), "/api/v1/probes")[1], ANY_USER_API, check=_probes_visible),
    Case("api-v1:probe-list", "POST", lambda w: "/api/v1/probes", expect(403, anonymous=401, manager=201, admin=201),
         body=lambda w: {"system": w.system_a.public_id, "name": "门户", "kind": "http", "target": "https://portal.example.cn/"}),
    # the token in the URL is the only credential: unknown tokens are 404 for everybody
    Case("api-v1:heartbeat", "POST", lambda w: "/api/v1/heartbeats/hb_unknown", expect(404)),
    Case("api-v1:heartbeat", "GET", lambda w: f"/api/v1/heartbeats/{probes(w)['hb'].heartbeat_token}", expect(200), name="valid token"),
    Case("api-v1:maintenance-window-list", "GET", lambda w: "/api/v1/maintenance-windows", ANY_USER_API),
    Case("api-v1:maintenance-window-list", "POST", lambda w: "/api/v1/maintenance-windows",
         expect(403, anonymous=401, engineer=201, manager=201, admin=201),
         body=lambda w: {"system": w.system_a.public_id, "starts_at": "2026-12-01T01:00:00Z", "ends_at": "2026-12-01T03:00:00Z",
                         "reason": "数据库升级"}),
    Case("api-v1:monitoring-status", "GET", lambda w: "/api/v1/monitoring/status", ANY_USER_API, check=_status_visible),
    Case("staff:monitoring-status", "GET", lambda w: "/staff/monitoring/", STAFF_WEB, api=False),
    Case("staff:alarm-list", "GET", lambda w: (alarms(w), "/staff/monitoring/alarms/")[1], STAFF_WEB, api=False),
    Case("staff:alarm-detail", "GET", lambda w: f"/staff/monitoring/alarms/{alarms(w)['b'].public_id}/", STAFF_WEB, api=False),
    Case("staff:alarm-source-list", "GET", lambda w: "/staff/monitoring/sources/",
         expect(404, anonymous=302, manager=200, admin=200), api=False),
    Case("staff:maintenance-list", "GET", lambda w: "/staff/monitoring/maintenance/", STAFF_WEB, api=False),
    Case("staff:inspection-pdf", "GET", lambda w: f"/staff/monitoring/inspections/{report(w).public_id}.pdf", STAFF_WEB, api=False),
    Case("staff:alarm-ack-link", "GET", lambda w: "/staff/monitoring/ack/forged/", expect(404), api=False),
    Case("portal:monitoring-status", "GET", lambda w: (probes(w), "/portal/status/")[1], CUSTOMER_WEB, api=False,
         check=_page_has_only_own),
    Case("portal:inspection-pdf", "GET", lambda w: f"/portal/status/inspections/{report(w).public_id}.pdf",
         expect(404, anonymous=302, customer_a=200, customer_admin_a=200), api=False),
]
