"""Service requests in the tenancy matrix: customers see their organisation's tickets only, never internal notes."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from weibao.core import clock
from weibao.tickets.models import Ticket
from weibao.tickets.services import ticket_attach, ticket_create, ticket_reply, ticket_transition
from weibao.tickets.services_work import ticket_survey_link
from weibao.tickets.states import Status

ANY_USER_API = expect(200, anonymous=401)
ORG_A_READ = expect(200, anonymous=401, customer_b=404)
STAFF_WRITE_A = expect(200, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404)
STAFF_CREATE_A = expect(201, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404)
MANAGER_CREATE_A = expect(201, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404, engineer=403)
MANAGERS_ONLY = expect(403, anonymous=401, manager=200, admin=200)
INTERNAL_NOTE = "内部备注：怀疑是缓存穿透"


def ticket(w: World, org: str = "a") -> Ticket:
    """One ticket per organisation, made on first use: a public reply, an internal note, two attachments."""
    key = f"ticket_{org}"
    if key not in w.extra:
        eng = w.users["engineer"]
        t = ticket_create(actor=None, organisation=w.org_a if org == "a" else w.org_b, subject="报表导出失败",
                          description="导出 Excel 时报 500 错误。", channel="email",
                          requester=w.contact_a if org == "a" else w.contact_b)
        ticket_reply(actor=eng, ticket=t, body="您好，请提供出错时间。")
        ticket_reply(actor=eng, ticket=t, body=INTERNAL_NOTE, internal=True)
        w.extra[f"public_att_{org}"] = ticket_attach(actor=eng, ticket=t, attachments=[("截图.png", b"\x89PNG fake")])[0].public_id
        w.extra[f"internal_att_{org}"] = ticket_attach(actor=eng, ticket=t, attachments=[("内部日志.log", b"trace")],
                                                       internal=True)[0].public_id
        w.extra[key] = t
    return w.extra[key]  # type: ignore[no-any-return]


def tid(w: World, org: str = "a") -> str:
    return ticket(w, org).public_id


def resolved(w: World) -> str:
    t = ticket(w)
    Ticket.objects.filter(pk=t.pk).update(status=Status.IN_PROGRESS, assignee=w.users["engineer"])
    ticket_transition(actor=w.users["engineer"], ticket=t, transition="propose_resolution",
                      resolution_method="configuration", resolution_text="已调整导出超时配置。")
    return t.public_id


def closed(w: World) -> str:
    t = ticket(w)
    Ticket.objects.filter(pk=t.pk).update(status=Status.CLOSED, closed_at=clock.now())
    return t.public_id


def survey_token(w: World) -> str:
    closed(w)
    return ticket_survey_link(ticket=Ticket.objects.get(pk=ticket(w).pk))


def other_a(w: World) -> str:
    if "other_a" not in w.extra:
        w.extra["other_a"] = ticket_create(actor=None, organisation=w.org_a, subject="相关问题", description="",
                                           channel="phone").public_id
    return w.extra["other_a"]  # type: ignore[no-any-return]


def _rows(response: Any) -> list[dict[str, Any]]:
    data = response.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data


def _only_visible_orgs(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    orgs = {row["organisation"] for row in _rows(response)}
    if persona in ("customer_a", "customer_admin_a"):
        assert orgs == {w.org_a.public_id}, orgs
    elif persona == "customer_b":
        assert orgs == {w.org_b.public_id}, orgs
    else:
        assert orgs == {w.org_a.public_id, w.org_b.public_id}, orgs


def _list(w: World) -> str:
    ticket(w, "a"), ticket(w, "b")
    return "/api/v1/tickets"


def _no_internal_messages(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    bodies = [row["body"] for row in _rows(response)]
    assert (INTERNAL_NOTE in bodies) == (persona in ("engineer", "manager", "admin")), bodies


def _no_internal_files(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    names = {row["filename"] for row in _rows(response)}
    assert ("内部日志.log" in names) == (persona in ("engineer", "manager", "admin")), names


def _no_internal_events(w: World, persona: str, response: Any) -> None:
    if response.status_code != 200:
        return
    internal = [e for e in response.json() if e["data"].get("internal")]
    assert bool(internal) == (persona in ("engineer", "manager", "admin"))


def _upload(w: World) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("报错.txt", "错误日志".encode(), content_type="text/plain")}


CASES = [
    Case("api-v1:ticket-list", "GET", _list, ANY_USER_API, check=_only_visible_orgs),
    Case("api-v1:ticket-list", "POST", lambda w: "/api/v1/tickets",
         expect(201, anonymous=401, engineer=400, manager=400, admin=400),
         body=lambda w: {"subject": "打印机驱动无法安装", "description": "见附件"}, name="own org"),
    Case("api-v1:ticket-list", "POST", lambda w: "/api/v1/tickets", expect(201, anonymous=401, customer_b=404),
         body=lambda w: {"organisation": w.org_a.public_id, "subject": "电话报修：系统无法登录", "channel": "phone"},
         name="org a"),
    Case("api-v1:ticket-detail", "GET", lambda w: f"/api/v1/tickets/{tid(w)}", ORG_A_READ),
    Case("api-v1:ticket-detail", "GET", lambda w: f"/api/v1/tickets/{tid(w, 'b')}",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404), name="org b"),
    Case("api-v1:ticket-detail", "PATCH", lambda w: f"/api/v1/tickets/{tid(w)}", STAFF_WRITE_A,
         body=lambda w: {"urgency": "high", "impact": "high"}),
    Case("api-v1:ticket-transitions", "POST", lambda w: f"/api/v1/tickets/{resolved(w)}/transitions",
         expect(200, anonymous=401, customer_b=404), body=lambda w: {"transition": "confirm"}),
    Case("api-v1:ticket-transitions", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/transitions",
         expect(200, anonymous=401, customer_a=409, customer_admin_a=409, customer_b=404),
         body=lambda w: {"transition": "assess"}, name="staff only"),
    Case("api-v1:ticket-assignment", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/assignment", STAFF_WRITE_A,
         body=lambda w: {"assignee": "engineer"}),
    Case("api-v1:ticket-messages", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/messages", ORG_A_READ,
         check=_no_internal_messages),
    Case("api-v1:ticket-messages", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/messages",
         expect(201, anonymous=401, customer_b=404), body=lambda w: {"body": "已提供出错时间：**10:05**"}),
    Case("api-v1:ticket-messages", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/messages",
         expect(201, anonymous=401, customer_a=403, customer_admin_a=403, customer_b=404),
         body=lambda w: {"body": "内部：@engineer 请跟进", "internal": True}, name="internal note"),
    Case("api-v1:ticket-attachments", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/attachments", ORG_A_READ,
         check=_no_internal_files),
    Case("api-v1:ticket-attachments", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/attachments",
         expect(201, anonymous=401, customer_b=404), body=_upload, fmt="multipart"),
    Case("api-v1:ticket-attachment-download", "GET",
         lambda w: f"/api/v1/tickets/{tid(w)}/attachments/{(ticket(w), w.extra['public_att_a'])[1]}", ORG_A_READ),
    Case("api-v1:ticket-attachment-download", "GET",
         lambda w: f"/api/v1/tickets/{tid(w)}/attachments/{(ticket(w), w.extra['internal_att_a'])[1]}",
         expect(200, anonymous=401, customer_a=404, customer_admin_a=404, customer_b=404), name="internal"),
    Case("api-v1:ticket-events", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/events", ORG_A_READ,
         check=_no_internal_events),
    # --- work around the request ----------------------------------------------------------
    Case("api-v1:ticket-time-entries", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/time-entries", ORG_A_READ),
    Case("api-v1:ticket-time-entries", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/time-entries", STAFF_CREATE_A,
         body=lambda w: {"mode": "remote", "minutes": 45, "note": "远程排查"}),
    Case("api-v1:ticket-visits", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/visits", ORG_A_READ),
    Case("api-v1:ticket-visits", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/visits", STAFF_CREATE_A,
         body=lambda w: {"date": "2026-05-06", "engineers": ["engineer"], "customer_signatory": "王建国"}),
    Case("api-v1:ticket-survey", "GET", lambda w: f"/api/v1/tickets/{tid(w)}/survey", ORG_A_READ),
    Case("api-v1:ticket-survey", "POST", lambda w: f"/api/v1/tickets/{closed(w)}/survey",
         expect(201, anonymous=401, customer_b=404, engineer=403, manager=403, admin=403),
         body=lambda w: {"rating": 5, "comment": "很满意"}),
    Case("api-v1:survey-by-token", "GET", lambda w: f"/api/v1/surveys/{survey_token(w)}", expect(200)),
    Case("api-v1:survey-by-token", "POST", lambda w: f"/api/v1/surveys/{survey_token(w)}", expect(201),
         body=lambda w: {"rating": 4}),
    Case("api-v1:survey-by-token", "POST", lambda w: "/api/v1/surveys/not-a-token", expect(404),
         body=lambda w: {"rating": 4}, name="bad token"),
    Case("api-v1:ticket-links", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/links", STAFF_CREATE_A,
         body=lambda w: {"other": other_a(w), "kind": "related"}),
    Case("api-v1:ticket-consent", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/consent", STAFF_WRITE_A,
         body=lambda w: {"note": "电话确认客户同意后台修复"}),
    Case("api-v1:ticket-solution-plan", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/solution-plan", STAFF_CREATE_A,
         body=lambda w: {"plan": "更换存储控制器，分三步实施", "tell_customer": False}),
    Case("api-v1:ticket-watchers", "POST", lambda w: f"/api/v1/tickets/{tid(w)}/watchers", STAFF_WRITE_A,
         body=lambda w: {"watching": True}),
    Case("api-v1:ticket-follow-ups", "POST", lambda w: f"/api/v1/tickets/{closed(w)}/follow-ups", MANAGER_CREATE_A,
         body=lambda w: {"result": "satisfied", "note": "客户满意"}),
    Case("api-v1:ticket-quality-review", "POST", lambda w: f"/api/v1/tickets/{closed(w)}/quality-review",
         MANAGER_CREATE_A, body=lambda w: {"score": 90}),
    Case("api-v1:follow-up-queue", "GET", lambda w: (closed(w), "/api/v1/follow-ups")[1], MANAGERS_ONLY),
    Case("api-v1:quality-sample", "GET", lambda w: (closed(w), "/api/v1/quality-sample")[1], MANAGERS_ONLY),
    Case("api-v1:canned-reply-list", "GET", lambda w: "/api/v1/canned-replies",
         expect(403, anonymous=401, engineer=200, manager=200, admin=200)),
    Case("api-v1:canned-reply-list", "POST", lambda w: "/api/v1/canned-replies",
         expect(403, anonymous=401, manager=201, admin=201), body=lambda w: {"title": "已受理", "body": "您好，已受理。"}),
    # the portal's page for the one-time survey link (the ui engineer's view over ticket_survey_answer_by_token)
    Case("portal:survey", "GET", lambda w: f"/portal/survey/{survey_token(w)}/", expect(200), api=False),
    Case("portal:survey", "GET", lambda w: "/portal/survey/not-a-token/", expect(404), api=False, name="bad token"),
]
