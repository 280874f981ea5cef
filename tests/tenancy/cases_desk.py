"""Tenancy cases for the service-desk settings (priority matrix, assignment rules, duty)."""

from __future__ import annotations

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from weibao.tickets.models import AssignmentRule

STAFF_READ = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
MANAGER_WRITE_OK = expect(404, anonymous=302, manager=302, admin=302)
MANAGER_WRITE_BAD = expect(404, anonymous=302, manager=400, admin=400)


def _rule(w: World) -> int:
    return AssignmentRule.objects.create(team=w.team, organisation=w.org_a).pk


def _member(w: World) -> dict[str, str]:
    return {"user": str(w.users["engineer"].pk), "on_duty": "0"}  # type: ignore[union-attr]


CASES = [
    Case("staff:desk-settings", "GET", lambda w: "/staff/desk/", STAFF_READ, api=False),
    Case("staff:desk-matrix", "POST", lambda w: "/staff/desk/matrix/", MANAGER_WRITE_BAD, api=False, fmt="form",
         body=lambda w: {"m_high__high": "p9"}),
    Case("staff:desk-rule-save", "POST", lambda w: "/staff/desk/rules/", MANAGER_WRITE_OK, api=False, fmt="form",
         body=lambda w: {"team": str(w.team.pk), "position": "10", "strategy": "round_robin", "is_active": "on"}),
    Case("staff:desk-rule-save", "POST", lambda w: "/staff/desk/rules/", MANAGER_WRITE_BAD, api=False, fmt="form",
         body=lambda w: {"position": "x"}, name="invalid"),
    Case("staff:desk-rule-delete", "POST", lambda w: f"/staff/desk/rules/{_rule(w)}/delete/", MANAGER_WRITE_OK,
         api=False, fmt="form", body=lambda w: {}),
    # the team lead (the engineer persona) may change duty in their own team
    Case("staff:desk-duty", "POST", lambda w: f"/staff/desk/teams/{w.team.pk}/duty/",
         expect(404, anonymous=302, engineer=302, manager=302, admin=302), api=False, fmt="form", body=_member),
]
