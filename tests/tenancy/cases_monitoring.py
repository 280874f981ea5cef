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
