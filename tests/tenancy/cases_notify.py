from __future__ import annotations

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from weibao.notify.channels.inapp import notifications_create
from weibao.notify.models import Notification


def _notification_of_a(w: World) -> str:
    notifications_create(event_key="tenancy", kind="created", user_ids=[w.users["customer_a"].id],
                         ticket_number="SR-2026-000001", subject="甲的通知")
    return Notification.objects.get(event_key="tenancy").public_id


def _only_mine(w, persona, response):  # type: ignore[no-untyped-def]
    if response.status_code == 200:
        assert all(row["subject"] != "甲的通知" for row in response.json()["results"]) or persona == "customer_a"


CASES = [
    Case("api-v1:notification-list", "GET", lambda w: (_notification_of_a(w), "/api/v1/notifications")[1],
         expect(200, anonymous=401), check=_only_mine),
    Case("api-v1:notification-read-all", "POST", lambda w: "/api/v1/notifications/read-all", expect(200, anonymous=401)),
    # notifications are personal: everybody else gets 404 for customer A's
    Case("api-v1:notification-read", "POST", lambda w: f"/api/v1/notifications/{_notification_of_a(w)}/read",
         expect(404, anonymous=401, customer_a=200)),
    Case("staff:notifications", "GET", lambda w: "/staff/notifications/",
         expect(404, anonymous=302, engineer=200, manager=200, admin=200), api=False),
    Case("portal:notifications", "GET", lambda w: "/portal/notifications/",
         expect(404, anonymous=302, customer_a=200, customer_admin_a=200, customer_b=200), api=False),
]
