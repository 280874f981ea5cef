"""Tenancy cases for calendars, holidays and due-time previews (no customer data: any signed-in user reads)."""

from __future__ import annotations

from tests.tenancy.matrix import Case, expect

STAFF_ONLY_WEB = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
ANY_USER_API = expect(200, anonymous=401)
DUE = "/api/v1/calendars/cal-standard/due?start=2026-09-30T16:00:00%2B08:00&minutes=240"

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
]
