"""Staff request pages: queues, the request page and its actions, intake, bulk, manager pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.ui.factories import closed, in_progress, resolved, ticket_for
from weibao.tickets import services
from weibao.tickets.models import Ticket, TicketEvent


def _queue_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_depend_on_page_size(world: World, web: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(60):
        ticket_for(world, subject=f"请求 {i}", org="a" if i % 2 else "b")
    client = web(world.users["engineer"])
    small = _queue_queries(client, "/staff/tickets/?queue=all&size=25")
    large = _queue_queries(client, "/staff/tickets/?queue=all&size=100")
    assert small == large
    with django_assert_max_num_queries(12):
        response = client.get("/staff/tickets/?queue=all&size=200&sort=oldest")
    assert response.content.decode().count('data-ticket="') == 60


def test_queue_pages_with_a_cursor_without_repeating_or_skipping(world: World, web: Any) -> None:
    made = [ticket_for(world, subject=f"第{i}个") for i in range(30)]
    client = web(world.users["engineer"])
    seen: list[str] = []
    url = "/staff/tickets/?queue=all&size=25&sort=oldest"
    while url:
        response = client.get(url)
        seen += [t.public_id for t in response.context["page"].rows]
        nxt = response.context["next_url"]
        url = f"/staff/tickets/{nxt}" if nxt else ""
    assert seen == [t.public_id for t in made]


def test_tampered_cursor_shows_the_first_page(world: World, web: Any) -> None:
    ticket_for(world)
    response = web(world.users["engineer"]).get("/staff/tickets/?queue=all&after=not-a-cursor!!")
    assert response.status_code == 200 and len(response.context["page"].rows) == 1


def test_queues_split_mine_unassigned_and_waiting(world: World, web: Any) -> None:
    engineer = world.users["engineer"]
    mine = in_progress(world, ticket_for(world, subject="我的请求"))
    unassigned = ticket_for(world, subject="没人管的请求")
    waiting = services.ticket_transition(actor=engineer, ticket=in_progress(world, ticket_for(world, subject="等客户")),
                                         transition="request_info", note="请提供日志")
    client = web(engineer)

    def numbers(queue: str) -> set[str]:
        return {t.number for t in client.get(f"/staff/tickets/?queue={queue}").context["page"].rows}

    assert numbers("mine") == {mine.number, waiting.number}
    assert numbers("unassigned") == {unassigned.number}
    assert numbers("waiting") == {waiting.number}
    assert numbers("team") >= {mine.number}
    assert numbers("all") == {mine.number, unassigned.number, waiting.number}


def test_queue_filters_by_priority_and_number(world: World, web: Any) -> None:
    urgent = ticket_for(world, subject="系统宕机", urgency="high", impact="high")
    ticket_for(world, subject="小问题", urgency="low", impact="low")
    client = web(world.users["engineer"])
    response = client.get("/staff/tickets/?queue=all&priority=p1")
    assert [t.number for t in response.context["page"].rows] == [urgent.number]
    assert '<option value="p1" selected>' in response.content.decode()  # the filter stays chosen
    rows = client.get(f"/staff/tickets/?queue=all&q={urgent.number.lower()}").context["page"].rows
    assert [t.number for t in rows] == [urgent.number]


def test_request_page_offers_only_allowed_transitions(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    page = web(world.users["engineer"]).get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    assert 'data-transition="assess"' in page and 'data-transition="decline"' in page
    assert 'data-transition="propose_resolution"' not in page and 'data-transition="confirm"' not in page


def test_propose_resolution_needs_its_parameters_and_changes_nothing_without_them(world: World, web: Any) -> None:
    ticket = in_progress(world, ticket_for(world))
    client = web(world.users["engineer"])
    events = TicketEvent.objects.filter(ticket=ticket).count()
    response = client.post(f"/staff/tickets/{ticket.public_id}/transition/", {"transition": "propose_resolution"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and TicketEvent.objects.filter(ticket=ticket).count() == events
    response = client.post(f"/staff/tickets/{ticket.public_id}/transition/", {
        "transition": "propose_resolution", "t-propose_resolution-resolution_method": "code_fix",
        "t-propose_resolution-resolution_root_cause": "空指针", "t-propose_resolution-resolution_text": "已发布补丁 1.2.1"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolution_method == "code_fix"


def test_a_transition_that_is_not_allowed_now_is_refused_with_the_reason(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    response = web(world.users["engineer"]).post(f"/staff/tickets/{ticket.public_id}/transition/", {"transition": "confirm"})
    assert response.status_code == 409
    assert "不能执行" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_decline_needs_a_reason(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    client = web(world.users["engineer"])
    assert client.post(f"/staff/tickets/{ticket.public_id}/transition/", {"transition": "decline"}).status_code == 400
    response = client.post(f"/staff/tickets/{ticket.public_id}/transition/",
                           {"transition": "decline", "t-decline-reason": "属于新需求，不在维护范围"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "declined" and ticket.decline_reason == "属于新需求，不在维护范围"


def test_merge_by_number(world: World, web: Any) -> None:
    keep, dup = ticket_for(world, subject="原请求"), ticket_for(world, subject="重复请求")
    response = web(world.users["engineer"]).post(f"/staff/tickets/{dup.public_id}/transition/",
                                                 {"transition": "merge", "t-merge-into": keep.number})
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.status == "merged" and dup.merged_into_id == keep.id


def test_internal_note_is_on_the_staff_timeline_but_not_in_the_portal(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    staff = web(world.users["engineer"])
    staff.post(f"/staff/tickets/{ticket.public_id}/reply/", {"body": "内部：怀疑是数据库锁", "internal": "on"})
    staff.post(f"/staff/tickets/{ticket.public_id}/reply/", {"body": "您好，我们正在排查。"})
    assert "内部：怀疑是数据库锁" in staff.get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    portal = web(world.users["customer_a"]).get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert "您好，我们正在排查。" in portal
    assert "怀疑是数据库锁" not in portal


def test_reply_with_a_forbidden_attachment_stores_nothing(world: World, web: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = ticket_for(world)
    bad = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = web(world.users["engineer"]).post(f"/staff/tickets/{ticket.public_id}/reply/",
                                                 {"body": "见附件", "attachments": [bad]})
    assert response.status_code == 415
    assert ticket.messages.count() == 0 and ticket.attachments.count() == 0


def test_assign_and_update_through_the_page(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    client = web(world.users["manager"])
    response = client.post(f"/staff/tickets/{ticket.public_id}/assign/",
                           {"assign-team": world.team.pk, "assign-assignee": world.users["engineer"].pk})
    assert response.status_code == 302
    response = client.post(f"/staff/tickets/{ticket.public_id}/update/", {
        "update-type": "fault", "update-maintenance_category": "corrective", "update-urgency": "high",
        "update-impact": "high", "update-tags": "打印，报表"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == world.users["engineer"] and ticket.status == "assigned"
    assert ticket.priority == "p1" and ticket.tags == ["打印", "报表"]


def test_phone_intake_finds_the_caller_and_creates_in_one_post(world: World, web: Any) -> None:
    world.contact_a.phone = "13812345678"
    world.contact_a.save()
    client = web(world.users["engineer"])
    found = client.get("/staff/tickets/intake/callers/?q=1381234").content.decode()
    assert "甲联系人" in found and world.contact_a.public_id in found
    assert "乙联系人" not in found
    response = client.post(f"/staff/tickets/intake/?contact={world.contact_a.public_id}", {
        "contact": world.contact_a.public_id, "organisation": world.org_a.pk, "system": world.system_a.pk,
        "subject": "电话：无法登录", "type": "fault", "urgency": "high", "impact": "medium"})
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="电话：无法登录")
    assert ticket.channel == "phone" and ticket.requester == world.contact_a and not ticket.unverified_requester


def test_phone_intake_refuses_a_system_of_another_customer(world: World, web: Any) -> None:
    response = web(world.users["engineer"]).post("/staff/tickets/intake/", {
        "organisation": world.org_a.pk, "system": world.system_b.pk, "subject": "错系统", "type": "fault",
        "urgency": "medium", "impact": "medium"})
    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="错系统").exists()


def test_bulk_assign_and_bulk_transition(world: World, web: Any) -> None:
    a, b = ticket_for(world, subject="一"), ticket_for(world, subject="二")
    client = web(world.users["manager"])
    response = client.post("/staff/tickets/bulk/", {"ticket": [a.public_id, b.public_id], "action": "assign",
                                                    "bulk-assignee": world.users["engineer"].pk, "next": "/staff/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/staff/tickets/"
    assert set(Ticket.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"assigned"}
    client.post("/staff/tickets/bulk/", {"ticket": [a.public_id, b.public_id], "action": "transition", "transition": "start"})
    assert set(Ticket.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"in_progress"}


def test_bulk_refusals_are_reported_and_do_not_undo_the_others(world: World, web: Any) -> None:
    started = in_progress(world, ticket_for(world, subject="已开始"))
    fresh = services.ticket_assign(actor=world.users["engineer"], ticket=ticket_for(world, subject="已分派"),
                                   assignee=world.users["engineer"])
    client = web(world.users["engineer"])
    response = client.post("/staff/tickets/bulk/", {"ticket": [started.public_id, fresh.public_id], "action": "transition",
                                                    "transition": "start"}, follow=True)
    fresh.refresh_from_db()
    assert fresh.status == "in_progress"
    assert started.number in response.content.decode()


def test_bulk_ignores_tickets_the_actor_cannot_see_and_an_offsite_next(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    response = web(world.users["engineer"]).post("/staff/tickets/bulk/", {
        "ticket": [ticket.public_id, "no-such-ticket"], "action": "assign", "bulk-team": world.team.pk,
        "next": "https://evil.example/"})
    assert response["Location"] == "/staff/tickets/"


def test_manager_pages_list_closed_requests(world: World, web: Any) -> None:
    done = closed(world, ticket_for(world, subject="已关闭的请求"))
    client = web(world.users["manager"])
    assert done.number in client.get("/staff/tickets/follow-ups/").content.decode()
    assert done.number in client.get("/staff/tickets/quality/").content.decode()
    overview = client.get("/staff/tickets/overview/")
    assert {s["key"]: s["n"] for s in overview.context["statuses"]}["closed"] == 1


def test_resolved_request_is_in_the_awaiting_confirmation_queue(world: World, web: Any) -> None:
    ticket = resolved(world, ticket_for(world))
    rows = web(world.users["engineer"]).get("/staff/tickets/?queue=resolved").context["page"].rows
    assert [t.number for t in rows] == [ticket.number]


@pytest.mark.parametrize("path", ["", "intake/", "overview/", "follow-ups/", "quality/"])
def test_staff_pages_speak_english_to_an_english_user(world: World, web: Any, path: str) -> None:
    manager = world.users["manager"]
    manager.language = "en"
    manager.save()
    page = web(manager).get(f"/staff/tickets/{path}").content.decode()
    assert "Service requests" in page or "Phone intake" in page
    assert "电话登记" not in page


def test_request_page_speaks_english(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    engineer = world.users["engineer"]
    engineer.language = "en"
    engineer.save()
    page = web(engineer).get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    assert "Reply / internal note" in page and "Actions" in page
    assert "回复 / 内部备注" not in page


def test_time_and_visit_are_recorded_from_the_request_page(world: World, web: Any) -> None:
    ticket = in_progress(world, ticket_for(world))
    client = web(world.users["engineer"])
    response = client.post(f"/staff/tickets/{ticket.public_id}/time/", {
        "time-mode": "onsite", "time-started_at": "2026-11-20T09:00", "time-minutes": "90", "time-note": "现场排查"})
    assert response.status_code == 302
    response = client.post(f"/staff/tickets/{ticket.public_id}/visits/", {
        "visit-date": "2026-11-20", "visit-engineers": [world.users["engineer"].pk], "visit-customer_signatory": "王科长",
        "visit-summary": "更换配置文件"})
    assert response.status_code == 302
    page = client.get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    assert "现场排查" in page and "王科长" in page
    assert ticket.time_entries.get().minutes == 90


def test_time_entry_with_bad_minutes_is_refused_and_nothing_is_stored(world: World, web: Any) -> None:
    ticket = in_progress(world, ticket_for(world))
    response = web(world.users["engineer"]).post(f"/staff/tickets/{ticket.public_id}/time/", {
        "time-mode": "remote", "time-started_at": "2026-11-20T09:00", "time-minutes": "0"})
    assert response.status_code == 400 and ticket.time_entries.count() == 0


def test_manager_records_a_follow_up_call_and_a_quality_review(world: World, web: Any) -> None:
    done = closed(world, ticket_for(world))
    client = web(world.users["manager"])
    response = client.post(f"/staff/tickets/{done.public_id}/follow-up/",
                           {"followup-result": "satisfied", "followup-note": "客户很满意", "back": "followup"})
    assert response.status_code == 302 and response["Location"] == "/staff/tickets/follow-ups/"
    assert done.number not in client.get("/staff/tickets/follow-ups/").content.decode()
    response = client.post(f"/staff/tickets/{done.public_id}/quality/", {"quality-score": "88", "quality-findings": "记录完整"})
    assert response.status_code == 302
    assert done.quality_review.score == 88
    # a second review is refused: one per request
    again = client.post(f"/staff/tickets/{done.public_id}/quality/", {"quality-score": "10"})
    assert again.status_code == 409


def test_engineer_cannot_record_follow_ups(world: World, web: Any) -> None:
    done = closed(world, ticket_for(world))
    response = web(world.users["engineer"]).post(f"/staff/tickets/{done.public_id}/follow-up/", {"followup-result": "satisfied"})
    assert response.status_code == 403
    assert not done.follow_ups.exists()


def test_canned_replies_are_offered_filled_in_for_the_request(world: World, web: Any) -> None:
    from weibao.tickets.services_work import canned_reply_save

    canned_reply_save(actor=world.users["manager"], title="已收到", body="您好，{number} 已收到，我们正在处理。")
    ticket = ticket_for(world)
    page = web(world.users["engineer"]).get(f"/staff/tickets/{ticket.public_id}/").content.decode()
    assert f"您好，{ticket.number} 已收到" in page


def test_workbench_shows_my_request_numbers(world: World, web: Any) -> None:
    in_progress(world, ticket_for(world, subject="我的"))
    ticket_for(world, subject="未分派")
    page = web(world.users["engineer"]).get("/staff/").content.decode()
    assert 'data-count="mine">1<' in page and 'data-count="unassigned">1<' in page and 'data-count="total">2<' in page


def test_data_fix_needs_the_recorded_consent_first(world: World, web: Any) -> None:
    ticket = in_progress(world, ticket_for(world))
    client = web(world.users["engineer"])
    resolve = {"transition": "propose_resolution", "t-propose_resolution-resolution_method": "data_fix",
               "t-propose_resolution-resolution_root_cause": "数据错误", "t-propose_resolution-resolution_text": "已修正"}
    assert client.post(f"/staff/tickets/{ticket.public_id}/transition/", resolve).status_code == 409
    assert client.post(f"/staff/tickets/{ticket.public_id}/consent/", {"consent-note": "电话同意"}).status_code == 302
    assert client.post(f"/staff/tickets/{ticket.public_id}/transition/", resolve).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.data_fix_consent_note == "电话同意"


def test_only_managers_override_the_entitlement(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    body = {"entitlement-kind": "paid", "entitlement-reason": "超出合同范围"}
    assert web(world.users["engineer"]).post(f"/staff/tickets/{ticket.public_id}/entitlement/", body).status_code == 403
    assert web(world.users["manager"]).post(f"/staff/tickets/{ticket.public_id}/entitlement/", body).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.entitlement_kind, ticket.entitlement_overridden) == ("paid", True)


def test_child_work_order_blocks_resolving_the_parent(world: World, web: Any) -> None:
    parent = in_progress(world, ticket_for(world))
    client = web(world.users["engineer"])
    response = client.post(f"/staff/tickets/{parent.public_id}/children/", {"child-subject": "现场更换硬盘"})
    child = Ticket.objects.get(parent=parent)
    assert response["Location"] == f"/staff/tickets/{child.public_id}/" and child.system == parent.system
    response = client.post(f"/staff/tickets/{parent.public_id}/transition/", {
        "transition": "propose_resolution", "t-propose_resolution-resolution_method": "configuration",
        "t-propose_resolution-resolution_text": "已处理"})
    assert response.status_code == 409 and "子工单" in response.content.decode()


def test_mine_queue_pages_through_its_order(world: World, web: Any) -> None:
    made = [in_progress(world, ticket_for(world, subject=f"我的{i}")) for i in range(7)]
    client = web(world.users["engineer"])
    seen: list[str] = []
    url = "/staff/tickets/?queue=mine&size=25&sort=oldest"
    for size_url in (url, url.replace("size=25", "size=50")):
        assert [t.public_id for t in client.get(size_url).context["page"].rows] == [t.public_id for t in made]
    response = client.get("/staff/tickets/?queue=mine&size=25&sort=newest")
    seen = [t.public_id for t in response.context["page"].rows]
    assert seen == [t.public_id for t in reversed(made)]


def test_the_all_queue_offers_only_id_orders(world: World, web: Any) -> None:
    ticket_for(world)
    client = web(world.users["engineer"])
    assert client.get("/staff/tickets/?queue=all&sort=priority").context["sort"].key == "newest"
    assert client.get("/staff/tickets/?queue=unassigned&sort=priority").context["sort"].key == "priority"
