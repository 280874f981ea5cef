"""Customer portal request pages: create, list, public conversation, reply, confirm/reject."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.personas import World
from tests.ui.factories import closed, in_progress, resolved, ticket_for
from weibao.tickets import services
from weibao.tickets.models import Ticket


def test_customer_creates_a_request_with_files_for_their_system(world: World, web: Any) -> None:
    client = web(world.users["customer_a"])
    shot = SimpleUploadedFile("截图.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")
    log = SimpleUploadedFile("app.log", "错误：连接超时".encode(), content_type="text/plain")
    response = client.post("/portal/tickets/new/", {
        "system": world.system_a.pk, "type": "fault", "subject": "报表打不开", "description": "点击后一直转圈",
        "urgency": "high", "impact": "medium", "attachments": [shot, log]})
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="报表打不开")
    assert ticket.organisation == world.org_a and ticket.requester == world.contact_a and ticket.channel == "portal"
    assert sorted(ticket.attachments.values_list("filename", flat=True)) == ["app.log", "截图.png"]
    assert response["Location"] == f"/portal/tickets/{ticket.public_id}/"


def test_a_refused_file_leaves_no_request_behind(world: World, web: Any) -> None:
    bad = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = web(world.users["customer_a"]).post("/portal/tickets/new/", {
        "system": world.system_a.pk, "type": "fault", "subject": "带病毒的请求", "description": "x",
        "urgency": "medium", "impact": "medium", "attachments": [bad]})
    assert response.status_code == 400
    assert "virus.exe" in response.content.decode()
    assert not Ticket.objects.filter(subject="带病毒的请求").exists()


def test_customer_cannot_choose_another_organisations_system(world: World, web: Any) -> None:
    response = web(world.users["customer_a"]).post("/portal/tickets/new/", {
        "system": world.system_b.pk, "type": "fault", "subject": "别人的系统", "description": "x",
        "urgency": "medium", "impact": "medium"})
    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="别人的系统").exists()


def test_lists_mine_and_my_organisations(world: World, web: Any) -> None:
    mine = ticket_for(world, subject="我提交的")
    colleague = ticket_for(world, subject="同事提交的", requester=None)
    other_org = ticket_for(world, org="b", subject="乙单位的")
    client = web(world.users["customer_a"])
    numbers = {t.number for t in client.get("/portal/tickets/?scope=mine").context["page"].rows}
    assert numbers == {mine.number}
    numbers = {t.number for t in client.get("/portal/tickets/?scope=org").context["page"].rows}
    assert numbers == {mine.number, colleague.number}
    assert other_org.number not in client.get("/portal/tickets/?scope=org&show=all").content.decode()


def test_portal_list_query_count_does_not_depend_on_the_number_of_rows(world: World, web: Any,
                                                                       django_assert_max_num_queries: Any) -> None:
    for i in range(30):
        ticket_for(world, subject=f"请求{i}")
    client = web(world.users["customer_a"])
    with django_assert_max_num_queries(8):
        response = client.get("/portal/tickets/?scope=org")
    assert len(response.context["page"].rows) == 25 and response.context["next_url"]


def test_customer_reply_resumes_a_request_waiting_for_them(world: World, web: Any) -> None:
    ticket = services.ticket_transition(actor=world.users["engineer"], ticket=in_progress(world, ticket_for(world)),
                                        transition="request_info")
    response = web(world.users["customer_a"]).post(f"/portal/tickets/{ticket.public_id}/reply/", {"body": "日志已上传"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_customer_confirms_a_resolution(world: World, web: Any) -> None:
    ticket = resolved(world, ticket_for(world))
    client = web(world.users["customer_a"])
    page = client.get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert 'value="confirm"' in page and 'value="reject"' in page and "已补充打印机配置" in page
    assert client.post(f"/portal/tickets/{ticket.public_id}/decision/", {"transition": "confirm"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_customer_rejection_needs_a_reason_and_reopens_the_work(world: World, web: Any) -> None:
    ticket = resolved(world, ticket_for(world))
    client = web(world.users["customer_a"])
    assert client.post(f"/portal/tickets/{ticket.public_id}/decision/", {"transition": "reject"}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    response = client.post(f"/portal/tickets/{ticket.public_id}/decision/", {"transition": "reject", "reason": "还是打不开"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.reopen_count == 1


def test_customer_cannot_confirm_what_is_not_resolved(world: World, web: Any) -> None:
    ticket = in_progress(world, ticket_for(world))
    response = web(world.users["customer_a"]).post(f"/portal/tickets/{ticket.public_id}/decision/", {"transition": "confirm"})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_closed_request_offers_reopen_not_reply(world: World, web: Any) -> None:
    ticket = closed(world, ticket_for(world))
    page = web(world.users["customer_a"]).get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert 'value="reopen"' in page and 'id="reply"' not in page


def test_portal_speaks_english_to_an_english_customer(world: World, web: Any) -> None:
    ticket = ticket_for(world)
    customer = world.users["customer_a"]
    customer.language = "en"
    customer.save()
    client = web(customer)
    for url in ("/portal/tickets/", "/portal/tickets/new/", f"/portal/tickets/{ticket.public_id}/"):
        page = client.get(url).content.decode()
        assert "Submit a service request" in page, url
        assert "提交服务请求" not in page, url


def test_customer_rates_a_closed_request_once(world: World, web: Any) -> None:
    ticket = closed(world, ticket_for(world))
    client = web(world.users["customer_a"])
    assert 'id="rating"' in client.get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert client.post(f"/portal/tickets/{ticket.public_id}/rate/", {"rating": "9"}).status_code == 400
    assert client.post(f"/portal/tickets/{ticket.public_id}/rate/", {"rating": "4", "comment": "还行"}).status_code == 302
    ticket.survey.refresh_from_db()
    assert (ticket.survey.rating, ticket.survey.comment) == (4, "还行")
    page = client.get(f"/portal/tickets/{ticket.public_id}/").content.decode()
    assert 'id="rating"' not in page and "4/5" in page
    assert client.post(f"/portal/tickets/{ticket.public_id}/rate/", {"rating": "1"}).status_code == 409
    ticket.survey.refresh_from_db()
    assert ticket.survey.rating == 4


def test_survey_link_works_without_sign_in_once(world: World, client: Any) -> None:
    from weibao.tickets.services_work import ticket_survey_link

    ticket = closed(world, ticket_for(world))
    token = ticket_survey_link(ticket=ticket)
    page = client.get(f"/portal/survey/{token}/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert client.post(f"/portal/survey/{token}/", {"rating": "0"}).status_code == 400
    done = client.post(f"/portal/survey/{token}/", {"rating": "5", "comment": "很好"})
    assert done.status_code == 200 and 'id="survey-thanks"' in done.content.decode()
    ticket.survey.refresh_from_db()
    assert ticket.survey.rating == 5
    assert client.get(f"/portal/survey/{token}/").status_code == 404


def test_survey_page_speaks_english_by_cookie(world: World, client: Any) -> None:
    from weibao.tickets.services_work import ticket_survey_link

    token = ticket_survey_link(ticket=closed(world, ticket_for(world)))
    client.cookies["django_language"] = "en"
    assert "Satisfaction survey" in client.get(f"/portal/survey/{token}/").content.decode()
