"""The tickets REST API: validation, conflicts, uploads, pagination and query counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.personas import World
from tests.tickets.factories import make_ticket, place
from weibao.core.models import OutboxMessage
from weibao.tickets.models import Attachment, Message, Ticket, TicketEvent
from weibao.tickets.states import Status


def _counts() -> tuple[int, int, int, int, int]:
    return (Ticket.objects.count(), TicketEvent.objects.count(), Message.objects.count(), Attachment.objects.count(),
            OutboxMessage.objects.count())


def test_customer_creates_a_request_for_their_own_organisation(world: World, api: Callable[..., Any]) -> None:
    response = api(world.users["customer_a"]).post("/api/v1/tickets", {
        "subject": "审批流程卡在部门领导节点", "description": "提交后一直显示“处理中”。", "system": world.system_a.public_id,
        "urgency": "high", "impact": "medium", "component": "接口服务", "environment": "生产"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("SR-") and len(body["number"]) == len("SR-2026-000001")
    assert body["organisation"] == world.org_a.public_id and body["priority"] == "p2" and body["status"] == "new"
    assert body["requester"] == world.contact_a.public_id and body["team"] == world.team.name
    assert body["component"] == "接口服务" and body["environment"] == "生产"
    assert body["allowed_transitions"] == []


@pytest.mark.parametrize("payload", [
    {},
    {"subject": ""},
    {"subject": "x" * 301},
    {"subject": "ok", "urgency": "extreme"},
    {"subject": "ok", "channel": "fax"},
    {"subject": "ok", "type": "wish"},
    {"subject": "ok", "system": "no-such-system"},
    {"subject": "ok", "requester": "nobody"},
    {"subject": "ok", "component": "接口服务"},  # a component needs its system
    {"subject": "ok", "tags": "not-a-list"},
])
def test_invalid_create_is_400_and_changes_nothing(world: World, api: Callable[..., Any], payload: dict[str, Any]) -> None:
    before = _counts()
    response = api(world.users["customer_a"]).post("/api/v1/tickets", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid" and response.json()["details"]
    assert _counts() == before


def test_system_of_another_customer_is_refused(world: World, api: Callable[..., Any]) -> None:
    before = _counts()
    response = api(world.users["customer_a"]).post("/api/v1/tickets", {"subject": "x", "system": world.system_b.public_id},
                                                   format="json")
    assert response.status_code == 400 and "system" in response.json()["details"]
    assert _counts() == before


def test_transition_not_allowed_is_409_with_reason_and_allowed_list(world: World, api: Callable[..., Any]) -> None:
    ticket = make_ticket(world)
    before = _counts()
    response = api(world.users["engineer"]).post(f"/api/v1/tickets/{ticket.public_id}/transitions",
                                                 {"transition": "confirm"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed" and body["message"]
    assert set(body["details"]["allowed"]) == {"assess", "assign", "decline", "merge"}
    assert body["details"]["status"] == "new"
    assert _counts() == before
    bad = api(world.users["engineer"]).post(f"/api/v1/tickets/{ticket.public_id}/transitions", {"transition": "fly"},
                                            format="json")
    assert bad.status_code == 400 and _counts() == before


def test_full_workflow_through_the_api(world: World, api: Callable[..., Any]) -> None:
    customer, eng, manager = api(world.users["customer_a"]), api(world.users["engineer"]), api(world.users["manager"])
    t = customer.post("/api/v1/tickets", {"subject": "数据同步延迟", "system": world.system_a.public_id}, format="json").json()
    url = f"/api/v1/tickets/{t['id']}"

    def fire(client: Any, name: str, **extra: Any) -> dict[str, Any]:
        r = client.post(f"{url}/transitions", {"transition": name, **extra}, format="json")
        assert r.status_code == 200, r.json()
        return r.json()  # type: ignore[no-any-return]

    assert fire(manager, "assess", maintenance_category="corrective")["entitlement_kind"] in ("free", "prepaid", "paid")
    r = manager.post(f"{url}/assignment", {"assignee": "engineer"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "assigned" and r.json()["assignee"]["username"] == "engineer"
    fire(eng, "start")
    fire(eng, "request_info", note="请提供同步任务日志")
    r = customer.post(f"{url}/messages", {"body": "日志见附件"}, format="json")
    assert r.status_code == 201
    assert customer.get(url).json()["status"] == "in_progress"  # the customer's answer resumed the work
    done = fire(eng, "propose_resolution", resolution_method="configuration", resolution_text="调大了同步批次。")
    assert done["status"] == "resolved"
    assert "confirm" in customer.get(url).json()["allowed_transitions"]
    assert fire(customer, "confirm")["status"] == "closed"
    kinds = [e["kind"] for e in customer.get(f"{url}/events").json()]
    assert kinds.count("transitioned") == 7 and kinds[0] == "created"


def test_reply_markdown_is_sanitised(world: World, api: Callable[..., Any]) -> None:
    ticket = make_ticket(world)
    r = api(world.users["customer_a"]).post(f"/api/v1/tickets/{ticket.public_id}/messages",
                                            {"body": "**急** <script>alert(1)</script> [点我](javascript:alert(2))"},
                                            format="json")
    assert r.status_code == 201
    html = r.json()["body_html"]
    assert "<strong>急</strong>" in html and "<script" not in html and "javascript:" not in html


def test_attachment_too_large_is_413_and_nothing_is_stored(world: World, api: Callable[..., Any], settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    ticket = make_ticket(world)
    files_dir = Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / "tickets" / ticket.public_id
    before = _counts()
    r = api(world.users["customer_a"]).post(f"/api/v1/tickets/{ticket.public_id}/attachments",
                                            {"file": SimpleUploadedFile("big.log", b"x" * 1001)}, format="multipart")
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert r.json()["details"] == {"filename": "big.log", "size": 1001, "limit": 1000}
    assert "1000" in r.json()["message"] and "1001" in r.json()["message"]  # "1000 字节", "1001 字节"
    settings.ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    r = api(world.users["customer_a"]).post(f"/api/v1/tickets/{ticket.public_id}/attachments",
                                            {"file": SimpleUploadedFile("big.log", b"x" * (20 * 1024 * 1024 + 1))},
                                            format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 413 and "size limit of 20.0\xa0MB" in r.json()["message"], r.json()
    assert _counts() == before and not files_dir.exists()


@pytest.mark.parametrize("name,content", [("tool.exe", b"MZ\x90\x00"), ("run.sh", b"#!/bin/sh\n"),
                                          ("photo.png", b"MZ\x90\x00 renamed executable")])
def test_forbidden_attachment_is_415_and_nothing_is_stored(world: World, api: Callable[..., Any], settings: Any,
                                                           name: str, content: bytes) -> None:
    ticket = make_ticket(world)
    files_dir = Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / "tickets" / ticket.public_id
    before = _counts()
    r = api(world.users["customer_a"]).post(
        f"/api/v1/tickets/{ticket.public_id}/messages",
        {"body": "附件", "files": [SimpleUploadedFile("ok.txt", b"fine"), SimpleUploadedFile(name, content)]},
        format="multipart")
    assert r.status_code == 415, r.json()
    assert _counts() == before and not files_dir.exists()


def test_attachment_is_stored_outside_static_and_downloaded_through_the_check(world: World, api: Callable[..., Any],
                                                                              settings: Any) -> None:
    ticket = make_ticket(world)
    client = api(world.users["customer_a"])
    r = client.post(f"/api/v1/tickets/{ticket.public_id}/attachments",
                    {"file": SimpleUploadedFile("报错截图.png", b"\x89PNG\r\n\x1a\n....")}, format="multipart")
    assert r.status_code == 201, r.json()
    att = Attachment.objects.get(public_id=r.json()[0]["id"])
    path = Path(att.file.path)
    assert path.is_file() and str(path).startswith(str(Path(settings.DATA_DIR))) and "报错" not in path.name
    assert not str(path).startswith(str(Path(settings.STATIC_ROOT)))
    got = client.get(f"/api/v1/tickets/{ticket.public_id}/attachments/{att.public_id}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"\x89PNG\r\n\x1a\n...."
    assert "attachment" in got["Content-Disposition"]
    other = api(world.users["customer_b"]).get(f"/api/v1/tickets/{ticket.public_id}/attachments/{att.public_id}")
    assert other.status_code == 404


def test_list_filters_and_cursor_pagination(world: World, api: Callable[..., Any]) -> None:
    for i in range(5):
        make_ticket(world, subject=f"问题{i}")
    place(make_ticket(world, subject="等客户"), Status.WAITING_CUSTOMER, world)
    client = api(world.users["engineer"])
    first = client.get("/api/v1/tickets?page_size=4").json()
    assert len(first["results"]) == 4 and first["next"]
    second = client.get(first["next"]).json()
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 6
    waiting = client.get("/api/v1/tickets?queue=waiting_customer").json()["results"]
    assert [r["subject"] for r in waiting] == ["等客户"]
    assert client.get("/api/v1/tickets?status=bogus").status_code == 400
    assert client.get("/api/v1/tickets?queue=bogus").status_code == 400
    assert [r["subject"] for r in client.get("/api/v1/tickets?q=问题3").json()["results"]] == ["问题3"]


def test_list_query_count_does_not_depend_on_page_size(world: World, api: Callable[..., Any]) -> None:
    for i in range(30):
        t = make_ticket(world, subject=f"问题{i}")
        Ticket.objects.filter(pk=t.pk).update(assignee=world.users["engineer"])
    client = api(world.users["manager"])
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(f"/api/v1/tickets?page_size={size}")
        assert r.status_code == 200 and len(r.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 4


def test_create_costs_a_fixed_number_of_queries(world: World, api: Callable[..., Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from weibao.core import config_cache

    monkeypatch.setattr(config_cache, "CHECK_SECONDS", 3600.0)  # the versions are read once per CHECK_SECONDS
    client = api(world.users["customer_a"])
    assert client.post("/api/v1/tickets", {"subject": "第一条"}, format="json").status_code == 201  # the year's row exists
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/tickets", {"subject": "登录后页面空白", "urgency": "high"}, format="json")
    assert response.status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    # requester contact, number, ticket, event, outbox message (matrix and rules are cached in process)
    assert sum("tickets_ticketsequence" in q for q in sql) == 1
    if connection.vendor == "postgresql":
        # the ticket's id drawn ahead, event, outbox row, then the year's number row (locked until the commit:
        # every concurrent create waits on it) and the ticket's INSERT in one statement
        assert len(sql) == 5, sql
        assert "nextval" in sql[1] and sql[-1].startswith('WITH n AS (UPDATE "tickets_ticketsequence"'), sql
    else:
        assert len(sql) == 5, sql
    first, second = Ticket.objects.order_by("id").values_list("number", flat=True)
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_a_failed_create_gives_its_number_back(world: World, api: Callable[..., Any]) -> None:
    from django.db import transaction

    from weibao.tickets import services

    client = api(world.users["customer_a"])
    first = client.post("/api/v1/tickets", {"subject": "一"}, format="json").json()["number"]
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_create(actor=world.users["customer_a"], organisation=world.org_a, subject="回滚", description="",
                               channel="api")
        raise RuntimeError("boom")
    second = client.post("/api/v1/tickets", {"subject": "二"}, format="json").json()["number"]
    assert int(second[-6:]) == int(first[-6:]) + 1


def test_customer_never_sees_internal_notes(world: World, api: Callable[..., Any]) -> None:
    ticket = make_ticket(world)
    eng = api(world.users["engineer"])
    assert eng.post(f"/api/v1/tickets/{ticket.public_id}/messages", {"body": "内部：客户环境有问题", "internal": True},
                    format="json").status_code == 201
    rows = api(world.users["customer_a"]).get(f"/api/v1/tickets/{ticket.public_id}/messages").json()["results"]
    assert rows == []
    events = api(world.users["customer_a"]).get(f"/api/v1/tickets/{ticket.public_id}/events").json()
    assert [e["kind"] for e in events] == ["created"]


def test_openapi_describes_ticket_enums_and_errors(world: World, api: Callable[..., Any]) -> None:
    schema = api(None).get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/tickets/{public_id}/transitions"]["post"]
    assert {"200", "400", "404", "409"} <= set(post["responses"])
    text = str(schema["components"]["schemas"])
    for word in ("waiting_third_party", "propose_resolution", "data_fix", "customisation", "monitoring", "p4"):
        assert word in text, word
    upload = schema["paths"]["/tickets/{public_id}/attachments"]["post"]["responses"]
    assert {"413", "415"} <= set(upload)


def test_openapi_builds_without_warnings_and_each_transition_request_has_its_own_enum(tmp_path: Any) -> None:
    """Two request components of one name (ticket and article transitions) made the schema describe one of them
    with the other's enum; spectacular only warned. --fail-on-warn turns any such warning into a failure."""
    from django.core.management import call_command

    out = tmp_path / "schema.json"
    call_command("spectacular", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    import json

    schemas = json.loads(out.read_text())["components"]["schemas"]

    def choices(component: str) -> list[str]:
        field = schemas[component]["properties"]["transition"]
        ref = field.get("$ref") or field["allOf"][0]["$ref"] if "enum" not in field else None
        return list(field["enum"] if ref is None else schemas[ref.rsplit("/", 1)[1]]["enum"])

    assert "propose_resolution" in choices("TransitionRequest")
    assert "publish" in choices("ArticleTransitionRequest") and "propose_resolution" not in choices("ArticleTransitionRequest")


def test_ticket_serializers_write_what_drf_would(world: World, api: Callable[..., Any]) -> None:
    """The hand-written to_representation of the list and detail serializers equals DRF's generic one."""
    import json

    from rest_framework import serializers

    from weibao.api.v1.tickets import TicketDetailSerializer, TicketSerializer
    from weibao.tickets import selectors, services

    plain = make_ticket(world, subject="无系统", system=None, requester=None)
    full = make_ticket(world, subject="全字段", tags=["登录", "紧急"])
    services.ticket_assign(actor=world.users["engineer"], ticket=full, assignee=world.users["engineer"], team=world.team)
    child = make_ticket(world, subject="子单", parent=full)
    done = place(make_ticket(world, subject="已关闭"), Status.CLOSED, world)
    for ticket in (plain, full, child, done):
        row = selectors.ticket_get_for(world.users["manager"], ticket.public_id)
        for cls in (TicketSerializer, TicketDetailSerializer):
            ser = cls(context={"actor": world.users["manager"]})
            generic = serializers.ModelSerializer.to_representation(ser, row)
            assert json.dumps(ser.to_representation(row)) == json.dumps(generic), (cls.__name__, ticket.subject)
