from __future__ import annotations

from tests.personas import World
from tests.records.factories import make_ticket, work_to
from tests.tenancy.matrix import Case, CheckFn, expect
from weibao.records.models import Acceptance, Archive, Assessment, WorkOrder
from weibao.tickets.models import Ticket

API_READ = expect(200, anonymous=401, customer_b=404)
STAFF_WRITE = expect(200, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404)


def _ticket(w: World, until: str = "new") -> Ticket:
    """One request of organisation A per test world, taken through the workflow up to `until`."""
    key = f"records_ticket_{until}"
    if key not in w.extra:
        ticket = make_ticket(w)
        w.extra[key] = work_to(ticket, w, until=until) if until != "new" else ticket
    return w.extra[key]


def _url(w: World, tail: str, until: str = "new", prefix: str = "/api/v1") -> str:
    return f"{prefix}/tickets/{_ticket(w, until).public_id}/{tail}"


def _nothing_archived() -> None:
    assert not Archive.objects.exists()


STAFF = ("engineer", "manager", "admin")
FORM_PAGE = expect(200, anonymous=302, customer_a=404, customer_admin_a=404, customer_b=404)
FORM_SAVED = expect(302, customer_a=404, customer_admin_a=404, customer_b=404)


def _saved_only_by_staff(model: type[Assessment | WorkOrder | Acceptance]) -> CheckFn:
    def check(w: World, persona: str, response: object) -> None:
        assert model.objects.exists() == (persona in STAFF), f"{model.__name__} written for {persona}"
    return check


def _signed_only_by_the_engineer(w: World, persona: str, response: object) -> None:
    assert Acceptance.objects.filter(engineer_signed_at__isnull=False).exists() == (persona == "engineer")


CASES = [
    Case("api-v1:record-list", "GET", lambda w: _url(w, "records"), API_READ),
    Case("api-v1:record-file", "GET", lambda w: _url(w, "records/receipt"), API_READ),
    Case("api-v1:record-file", "GET", lambda w: _url(w, "records/no-such-kind"), expect(404, anonymous=401),
         name="unknown kind"),
    Case("api-v1:record-assessment", "PUT", lambda w: _url(w, "assessment-record", "assessed"), STAFF_WRITE,
         body=lambda w: {"decision": "immediate", "maintenance_mode": "远程"}),
    Case("api-v1:record-work-order", "PUT", lambda w: _url(w, "work-order", "assigned"), STAFF_WRITE,
         body=lambda w: {"tasks": ["排查"], "engineers": ["engineer"]}),
    # the engineer who did the work signs first; nobody else may
    Case("api-v1:record-acceptance-sign", "POST", lambda w: _url(w, "acceptance/sign", "resolved"),
         expect(403, anonymous=401, customer_b=404, engineer=200), body=lambda w: {"verification": "复测通过"}),
    Case("api-v1:record-archive", "POST", lambda w: _url(w, "archive", "closed"),
         expect(403, anonymous=401, customer_b=404, manager=201, admin=201)),
    Case("staff:record-download", "GET", lambda w: _url(w, "records/receipt/", prefix="/staff"),
         expect(404, anonymous=302, engineer=200, manager=200, admin=200), api=False),
    # The form answers with a redirect and a message. The request is not closed yet, so nobody archives it
    # (the API case above proves who may; this one keeps customers out and renders nothing).
    Case("staff:record-archive", "POST", lambda w: _url(w, "archive/", "resolved", prefix="/staff"),
         expect(302, customer_a=404, customer_admin_a=404, customer_b=404), api=False,
         check=lambda w, p, r: _nothing_archived()),
    Case("staff:record-assessment-edit", "GET", lambda w: _url(w, "record-forms/assessment/", prefix="/staff"),
         FORM_PAGE, api=False),
    Case("staff:record-assessment-edit", "POST", lambda w: _url(w, "record-forms/assessment/", "assessed", prefix="/staff"),
         FORM_SAVED, api=False, fmt="form", body=lambda w: {"decision": "immediate", "maintenance_mode": "远程"},
         check=_saved_only_by_staff(Assessment)),
    Case("staff:record-work-order-edit", "GET", lambda w: _url(w, "record-forms/work-order/", prefix="/staff"),
         FORM_PAGE, api=False),
    Case("staff:record-work-order-edit", "POST", lambda w: _url(w, "record-forms/work-order/", "assigned", prefix="/staff"),
         FORM_SAVED, api=False, fmt="form", body=lambda w: {"tasks": "排查", "engineers": [w.users["engineer"].pk]},
         check=_saved_only_by_staff(WorkOrder)),
    Case("staff:record-acceptance-sign", "GET", lambda w: _url(w, "record-forms/acceptance/", "resolved", prefix="/staff"),
         FORM_PAGE, api=False),
    # the engineer who did the work signs first; the manager and admin may only countersign afterwards
    Case("staff:record-acceptance-sign", "POST", lambda w: _url(w, "record-forms/acceptance/", "resolved", prefix="/staff"),
         expect(403, anonymous=302, customer_a=404, customer_admin_a=404, customer_b=404, engineer=302), api=False,
         fmt="form", body=lambda w: {"passed": "on", "verification": "复测通过"}, check=_signed_only_by_the_engineer),
    Case("portal:record-download", "GET", lambda w: _url(w, "records/receipt/", prefix="/portal"),
         expect(404, anonymous=302, customer_a=200, customer_admin_a=200), api=False),
]
