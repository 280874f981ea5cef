"""Tenancy cases for calendars, holidays and due-time previews (no customer data: any signed-in user reads)."""

from __future__ import annotations

from typing import Any

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from weibao.core.outbox import outbox_sweep
from weibao.tickets.services import ticket_create

STAFF_ONLY_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
ANY_USER_API = expect(200, anonymous=401)
DUE = "/api/v1/calendars/cal-standard/due?start=2026-09-30T16:00:00%2B08:00&minutes=240"



def ticket_with_clocks(w: World, org: str) -> str:
    key = f"sla_ticket_{org}"
    if key not in w.extra:
        from tests.sla.factories import make_policy

        if "sla_policy" not in w.extra:
            w.extra["sla_policy"] = make_policy()
        t = ticket_create(actor=None, organisation=w.org_a if org == "a" else w.org_b, subject="接口超时",
                          description="调用超时。", channel="portal")
        outbox_sweep()
        w.extra[key] = t.public_id
    return str(w.extra[key])


def _targets(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    targets = response.json()["targets"]
    assert {t["metric"] for t in targets} >= {"first_response", "resolution"}
    staff = persona in ("engineer", "manager", "admin")
    # the escalation ladder is internal: customers see due times and explanations, not who gets chased
    assert any(t["escalation"] for t in targets) is staff


CASES = [
    Case("api-v1:calendar-list", "GET", lambda w: "/api/v1/calendars", ANY_USER_API),
    Case("api-v1:calendar-due", "GET", lambda w: DUE, ANY_USER_API),
    Case("api-v1:calendar-due", "GET", lambda w: "/api/v1/calendars/no-such/due?start=x&minutes=1",
         expect(404, anonymous=401), name="unknown calendar"),
    Case("api-v1:holiday-list", "GET", lambda w: "/api/v1/holidays?year=2026", ANY_USER_API),
    # only managers and administrators import; with no file they get the validation error
    Case("api-v1:holiday-import", "POST", lambda w: "/api/v1/holidays/import",
         expect(403, anonymous=401, manager=400, admin=400), body=lambda w: {"region": "CN"}),
    Case("staff:sla-calendars", "GET", lambda w: "/staff/sla/calendars/", STAFF_ONLY_WEB, api=False),
    Case("staff:sla-calendar", "GET", lambda w: "/staff/sla/calendars/cal-standard/", STAFF_ONLY_WEB, api=False),
    Case("staff:sla-calendar", "POST", lambda w: "/staff/sla/calendars/cal-standard/",
         expect(404, anonymous=302, manager=400, admin=400), api=False,
         body=lambda w: {"day0": "12:00-08:00"}, name="edit"),
    Case("staff:sla-holidays", "GET", lambda w: "/staff/sla/holidays/?year=2026", STAFF_ONLY_WEB, api=False),
    Case("api-v1:ticket-sla", "GET", lambda w: f"/api/v1/tickets/{ticket_with_clocks(w, 'a')}/sla",
         expect(200, anonymous=401, customer_b=404), check=_targets),
    Case("api-v1:ticket-sla", "GET", lambda w: f"/api/v1/tickets/{ticket_with_clocks(w, 'b')}/sla",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404), name="other org", check=_targets),
]
CASES += [
    # reports are scoped by organisation: every signed-in user gets their own slice (checked in tests/sla)
    Case("api-v1:sla-report", "GET", lambda w: "/api/v1/sla/report?from=2026-01", ANY_USER_API,
         check=lambda w, p, r: _report_own_org(w, p, r)),
    Case("api-v1:sla-report-export", "GET", lambda w: "/api/v1/sla/report/export?from=2026-01", ANY_USER_API),
    Case("staff:sla-report", "GET", lambda w: "/staff/sla/report/?from=2026-01", STAFF_ONLY_WEB, api=False),
]


def _report_own_org(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200 or persona in ("engineer", "manager", "admin"):
        return
    own = w.org_a.name if persona in ("customer_a", "customer_admin_a") else w.org_b.name
    assert {r["organisation"] for r in response.json()["rows"] if "organisation" in r} <= {own}
