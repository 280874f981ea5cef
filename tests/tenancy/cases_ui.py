"""Tenancy cases for the staff and portal request pages (issue 3): every route × every persona."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.personas import World
from tests.tenancy.matrix import Case, expect
from tests.ui.factories import closed, resolved, ticket_for
from weibao.tickets import services, services_work

STAFF_PAGE = expect(404, anonymous=302, engineer=200, manager=200, admin=200)
STAFF_WRITE = expect(404, anonymous=302, engineer=302, manager=302, admin=302)
MANAGER_PAGE = expect(404, anonymous=302, engineer=403, manager=200, admin=200)
MANAGER_WRITE = expect(404, anonymous=302, engineer=403, manager=302, admin=302)
ORG_A_PAGE = expect(404, anonymous=302, customer_a=200, customer_admin_a=200)
ORG_A_WRITE = expect(404, anonymous=302, customer_a=302, customer_admin_a=302)
CUSTOMER_PAGE = expect(404, anonymous=302, customer_a=200, customer_admin_a=200, customer_b=200)


def _cached(w: World, key: str, make: Any) -> Any:
    if key not in w.extra:
        w.extra[key] = make()
    return w.extra[key]


def t_new(w: World) -> Any:
    return _cached(w, "ui_new", lambda: ticket_for(w, subject="甲单位新请求"))


def t_other(w: World) -> Any:
    return _cached(w, "ui_other", lambda: ticket_for(w, subject="甲单位另一个请求"))


def t_resolved(w: World) -> Any:
    return _cached(w, "ui_resolved", lambda: resolved(w, ticket_for(w, subject="甲单位已解决")))


def t_closed(w: World) -> Any:
    return _cached(w, "ui_closed", lambda: closed(w, ticket_for(w, subject="甲单位已关闭")))


def survey_token(w: World) -> str:
    return _cached(w, "ui_survey", lambda: services_work.ticket_survey_link(ticket=t_closed(w)))


def attachment(w: World, internal: bool = False) -> Any:
    def make() -> Any:
        files = [SimpleUploadedFile("日志.txt", "错误日志".encode(), content_type="text/plain")]
        return services.ticket_attach(actor=w.users["engineer"], ticket=t_new(w), attachments=files, internal=internal)[0]

    return _cached(w, f"ui_att_{internal}", make)


def staff(path: str) -> str:
    return f"/staff/tickets/{path}"


def portal(path: str) -> str:
    return f"/portal/tickets/{path}"


def _no_foreign_numbers(w: World, persona: str, response: Any) -> None:
    if response.status_code == 200 and persona == "customer_b":
        assert t_new(w).number not in response.content.decode(), "org B sees org A's request"


def _list_case(route: str, url: str, name: str = "") -> Case:
    return Case(route, "GET", lambda w: (t_new(w), url)[1], CUSTOMER_PAGE, api=False, name=name, check=_no_foreign_numbers)


CASES = [
    # --- staff: queues and pages ------------------------------------------------------------------
    Case("staff:ticket-queue", "GET", lambda w: (t_new(w), staff("?queue=all"))[1], STAFF_PAGE, api=False),
    Case("staff:ticket-intake", "GET", lambda w: staff("intake/"), STAFF_PAGE, api=False),
    Case("staff:ticket-intake", "POST", lambda w: staff(f"intake/?contact={w.contact_a.public_id}"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"contact": w.contact_a.public_id, "organisation": w.org_a.pk, "system": w.system_a.pk,
                                     "subject": "电话报修", "type": "fault", "urgency": "high", "impact": "medium"}),
    Case("staff:ticket-intake-lookup", "GET", lambda w: staff("intake/callers/?q=甲联系人"), STAFF_PAGE, api=False),
    Case("staff:ticket-bulk", "POST", lambda w: staff("bulk/"), STAFF_WRITE, api=False, fmt="form",
         body=lambda w: {"ticket": [t_new(w).public_id], "action": "assign", "bulk-team": w.team.pk}),
    Case("staff:ticket-overview", "GET", lambda w: (t_new(w), staff("overview/"))[1], MANAGER_PAGE, api=False),
    Case("staff:followup-queue", "GET", lambda w: (t_closed(w), staff("follow-ups/"))[1], MANAGER_PAGE, api=False),
    Case("staff:quality-queue", "GET", lambda w: (t_closed(w), staff("quality/"))[1], MANAGER_PAGE, api=False),
    Case("staff:ticket-detail", "GET", lambda w: staff(f"{t_new(w).public_id}/"), STAFF_PAGE, api=False),
    Case("staff:ticket-reply", "POST", lambda w: staff(f"{t_new(w).public_id}/reply/"), STAFF_WRITE, api=False, fmt="form",
         body=lambda w: {"body": "请提供截图。", "internal": "on"}),
    Case("staff:ticket-transition", "POST", lambda w: staff(f"{t_new(w).public_id}/transition/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"transition": "assess", "t-assess-maintenance_category": "corrective"}),
    Case("staff:ticket-assign", "POST", lambda w: staff(f"{t_new(w).public_id}/assign/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"assign-team": w.team.pk, "assign-assignee": w.users["engineer"].pk}),
    Case("staff:ticket-update", "POST", lambda w: staff(f"{t_new(w).public_id}/update/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"update-type": "fault", "update-urgency": "high", "update-impact": "high", "update-tags": "打印"}),
    Case("staff:ticket-link", "POST", lambda w: staff(f"{t_new(w).public_id}/link/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"link-number": t_other(w).number, "link-kind": "related"}),
    Case("staff:ticket-watch", "POST", lambda w: staff(f"{t_new(w).public_id}/watch/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"watching": "1"}),
    Case("staff:ticket-attachment", "GET", lambda w: staff(f"{t_new(w).public_id}/attachments/{attachment(w, True).public_id}/"),
         STAFF_PAGE, api=False),
    # --- portal -------------------------------------------------------------------------------------
    _list_case("portal:ticket-list", portal("?scope=org&show=all")),
    _list_case("portal:ticket-list", portal("?scope=mine"), name="mine"),
    Case("portal:ticket-create", "GET", lambda w: portal("new/"), CUSTOMER_PAGE, api=False),
    Case("portal:ticket-create", "POST", lambda w: portal("new/"),
         expect(404, anonymous=302, customer_a=302, customer_admin_a=302, customer_b=400), api=False, fmt="form",
         # org B's user cannot pick org A's system: the form refuses it and nothing is created
         body=lambda w: {"system": w.system_a.pk, "type": "fault", "subject": "无法登录", "description": "提示密码错误",
                         "urgency": "medium", "impact": "medium"}),
    Case("portal:ticket-detail", "GET", lambda w: portal(f"{t_new(w).public_id}/"), ORG_A_PAGE, api=False),
    Case("portal:ticket-reply", "POST", lambda w: portal(f"{t_new(w).public_id}/reply/"), ORG_A_WRITE, api=False,
         fmt="form", body=lambda w: {"body": "截图已补充。"}),
    Case("portal:ticket-decision", "POST", lambda w: portal(f"{t_resolved(w).public_id}/decision/"), ORG_A_WRITE, api=False,
         fmt="form", body=lambda w: {"transition": "confirm"}),
    Case("portal:ticket-attachment", "GET", lambda w: portal(f"{t_new(w).public_id}/attachments/{attachment(w).public_id}/"),
         ORG_A_PAGE, api=False),
    # an internal attachment does not exist for customers, even of the same organisation
    Case("portal:ticket-attachment", "GET",
         lambda w: portal(f"{t_new(w).public_id}/attachments/{attachment(w, True).public_id}/"),
         expect(404, anonymous=302), api=False, name="internal"),
    # --- work around and after the request ------------------------------------------------------
    Case("staff:ticket-consent", "POST", lambda w: staff(f"{t_new(w).public_id}/consent/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"consent-note": "客户王科长电话同意"}),
    Case("staff:ticket-solution-plan", "POST", lambda w: staff(f"{t_new(w).public_id}/solution-plan/"), STAFF_WRITE,
         api=False, fmt="form", body=lambda w: {"plan-plan": "更换存储控制器，分三步实施", "plan-tell_customer": "on"}),
    Case("staff:ticket-entitlement", "POST", lambda w: staff(f"{t_new(w).public_id}/entitlement/"),
         expect(404, anonymous=302, engineer=403, manager=302, admin=302), api=False,
         fmt="form", body=lambda w: {"entitlement-kind": "free", "entitlement-reason": "质保期内"}),
    Case("staff:ticket-child", "POST", lambda w: staff(f"{t_new(w).public_id}/children/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"child-subject": "子任务：现场更换配置"}),
    Case("staff:ticket-time", "POST", lambda w: staff(f"{t_new(w).public_id}/time/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"time-mode": "remote", "time-started_at": "2026-11-20T09:00", "time-minutes": "30",
                                     "time-billable": "on"}),
    Case("staff:ticket-visit", "POST", lambda w: staff(f"{t_new(w).public_id}/visits/"), STAFF_WRITE, api=False,
         fmt="form", body=lambda w: {"visit-date": "2026-11-20", "visit-engineers": [w.users["engineer"].pk],
                                     "visit-summary": "现场排查"}),
    Case("staff:ticket-followup", "POST", lambda w: staff(f"{t_closed(w).public_id}/follow-up/"), MANAGER_WRITE, api=False,
         fmt="form", body=lambda w: {"followup-result": "satisfied", "followup-note": "客户满意"}),
    Case("staff:ticket-quality", "POST", lambda w: staff(f"{t_closed(w).public_id}/quality/"), MANAGER_WRITE, api=False,
         fmt="form", body=lambda w: {"quality-score": "90", "quality-findings": "记录完整"}),
    Case("portal:ticket-rate", "POST", lambda w: portal(f"{t_closed(w).public_id}/rate/"), ORG_A_WRITE, api=False,
         fmt="form", body=lambda w: {"rating": "5", "comment": "很及时"}),
    # the one-time survey link needs no sign-in: whoever holds it may answer, once
    Case("portal:survey", "GET", lambda w: f"/portal/survey/{survey_token(w)}/", expect(200), api=False),
    Case("portal:survey", "GET", lambda w: "/portal/survey/not-a-token/", expect(404), api=False, name="unknown token"),
    Case("portal:survey", "POST", lambda w: f"/portal/survey/{survey_token(w)}/", expect(200), api=False, fmt="form",
         body=lambda w: {"rating": "4", "comment": "不错"}),
]
