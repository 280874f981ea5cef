"""The records API: PDF download (access-checked), the facts behind the records, sign-off, archive."""

from __future__ import annotations

import hashlib

import pytest

from tests.personas import World
from tests.records.factories import make_ticket, work_to
from tests.records.pdf_inspect import pdf_text
from weibao.records.kinds import RecordKind
from weibao.records.models import Archive

pytestmark = pytest.mark.django_db


def test_customer_downloads_own_record_as_pdf(world: World, api, cjk_font) -> None:
    ticket = make_ticket(world)
    response = api(world.users["customer_a"]).get(f"/api/v1/tickets/{ticket.public_id}/records/registration")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="{ticket.number}-01-registration.pdf"' in response["Content-Disposition"]
    assert response["X-Content-SHA256"] == hashlib.sha256(response.content).hexdigest()
    assert "客户咨询/反馈登记表" in pdf_text(response.content)
    english = api(world.users["customer_a"]).get(f"/api/v1/tickets/{ticket.public_id}/records/registration?lang=en")
    assert "Customer enquiry / report registration form" in pdf_text(english.content)


def test_other_org_unknown_kind_and_bad_language_are_refused(world: World, api, cjk_font) -> None:
    ticket = make_ticket(world)
    url = f"/api/v1/tickets/{ticket.public_id}/records"
    assert api(world.users["customer_b"]).get(f"{url}/registration").status_code == 404
    unknown = api(world.users["engineer"]).get(f"{url}/invoice")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert api(world.users["engineer"]).get(f"{url}/receipt?lang=fr").status_code == 400
    assert api().get(f"{url}/receipt").status_code == 401


def test_openapi_lists_the_record_kinds(api) -> None:
    schema = api().get("/api/v1/schema/?format=json").json()
    op = schema["paths"]["/tickets/{public_id}/records/{kind}"]["get"]
    [kind] = [p for p in op["parameters"] if p["name"] == "kind"]
    assert set(kind["schema"]["enum"]) == set(RecordKind.values)
    assert "application/pdf" in op["responses"]["200"]["content"]


def test_workflow_through_the_api_ends_in_a_frozen_archive(world: World, api, cjk_font) -> None:
    ticket = work_to(make_ticket(world), world, until="assessed")
    manager, engineer = api(world.users["manager"]), api(world.users["engineer"])
    base = f"/api/v1/tickets/{ticket.public_id}"
    bad = manager.put(f"{base}/assessment-record", {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()["details"]
    ok = manager.put(f"{base}/assessment-record", {"decision": "immediate", "maintenance_mode": "远程",
                                                    "reviewer": "manager", "reviewer_opinion": "同意"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert api(world.users["customer_a"]).put(f"{base}/assessment-record", {"decision": "immediate"}, format="json").status_code == 403
    wo = manager.put(f"{base}/work-order", {"tasks": ["排查日志"], "engineers": ["engineer", "nobody"]}, format="json")
    assert wo.status_code == 400 and "nobody" in str(wo.json()["details"])
    wo = manager.put(f"{base}/work-order", {"tasks": ["排查日志"], "engineers": ["engineer"]}, format="json")
    assert wo.status_code == 200 and wo.json()["engineers"] == ["engineer"]
    ticket = work_to(ticket, world, until="resolved")
    signed = engineer.post(f"{base}/acceptance/sign", {"verification": "复测通过"}, format="json")
    assert signed.status_code == 200 and signed.json()["engineer"] == "engineer"
    assert manager.post(f"{base}/archive").status_code == 409  # not closed yet
    work_to(ticket, world)
    archived = manager.post(f"{base}/archive")
    assert archived.status_code == 201 and len(archived.json()["documents"]) == 7
    assert manager.post(f"{base}/archive").json()["code"] == "archived"
    index = api(world.users["customer_a"]).get(f"{base}/records").json()
    assert all(row["archived"] and len(row["sha256"]) == 64 for row in index["records"])
    pdf = api(world.users["customer_a"]).get(f"{base}/records/acceptance")
    assert pdf["X-Record-Archived"] == "true"
    assert pdf["X-Content-SHA256"] == next(r["sha256"] for r in index["records"] if r["kind"] == "acceptance")
    assert manager.put(f"{base}/assessment-record", {"decision": "plan", "plan": "x"}, format="json").status_code == 409


def test_staff_and_portal_download_pages(world: World, web, cjk_font) -> None:
    ticket = make_ticket(world)
    staff = web(world.users["engineer"]).get(f"/staff/tickets/{ticket.public_id}/records/receipt/")
    assert staff.status_code == 200 and staff.content.startswith(b"%PDF-")
    portal = web(world.users["customer_a"]).get(f"/portal/tickets/{ticket.public_id}/records/receipt/")
    assert portal.status_code == 200 and portal.content.startswith(b"%PDF-")
    assert web(world.users["customer_b"]).get(f"/portal/tickets/{ticket.public_id}/records/receipt/").status_code == 404
    assert web(world.users["engineer"]).get(f"/staff/tickets/{ticket.public_id}/records/nope/").status_code == 404


def test_staff_archive_button_archives_a_closed_request(world: World, web, cjk_font) -> None:
    ticket = work_to(make_ticket(world), world)
    url = f"/staff/tickets/{ticket.public_id}/archive/"
    refused = web(world.users["engineer"]).post(url, {"next": "https://evil.example/"})
    assert refused.status_code == 302 and refused["Location"] == f"/staff/tickets/{ticket.public_id}/"
    assert not Archive.objects.exists()
    done = web(world.users["manager"]).post(url, {"next": "/staff/somewhere/"})
    assert done.status_code == 302 and done["Location"] == "/staff/somewhere/"
    assert Archive.objects.get().ticket_id == ticket.id
