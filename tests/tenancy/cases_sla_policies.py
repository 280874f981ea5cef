"""SLA policy pages × personas: staff read, managers and administrators save."""

from __future__ import annotations

from tests.personas import World
from tests.tenancy.matrix import Case, expect


def _policy(w: World) -> str:
    if "sla_policy" not in w.extra:
        from tests.sla.factories import make_policy

        w.extra["sla_policy"] = make_policy()
    return str(w.extra["sla_policy"].public_id)


CASES = [
    Case("staff:sla-policies", "GET", lambda w: (_policy(w), "/staff/sla/policies/")[1],
         expect(404, anonymous=302, engineer=200, manager=200, admin=200), api=False),
    Case("staff:sla-policy", "GET", lambda w: f"/staff/sla/policies/{_policy(w)}/",
         expect(404, anonymous=302, engineer=200, manager=200, admin=200), api=False),
    Case("staff:sla-policy", "POST", lambda w: f"/staff/sla/policies/{_policy(w)}/",
         expect(404, anonymous=302, manager=400, admin=400), api=False, fmt="form",
         body=lambda w: {"rows": "1", "metric_0": "resolution", "priority_0": "p3", "minutes_0": "-5"}, name="invalid"),
    Case("staff:sla-policy", "POST", lambda w: f"/staff/sla/policies/{_policy(w)}/",
         expect(404, anonymous=302, manager=302, admin=302), api=False, fmt="form",
         body=lambda w: {"rows": "1", "metric_0": "resolution", "priority_0": "p3", "minutes_0": "600"}),
    Case("staff:sla-policy-pause", "POST", lambda w: f"/staff/sla/policies/{_policy(w)}/pause-statuses/",
         expect(404, anonymous=302, manager=302, admin=302), api=False, fmt="form",
         body=lambda w: {"pause_statuses": ["waiting_customer"]}),
]
