"""Requests in the index: incremental through the outbox, internal notes and other organisations hidden."""

from __future__ import annotations

import io

import pytest

from tests.search.test_extract import _docx
from tests.tickets.factories import make_ticket, place
from weibao.knowledge.faq_services import article_draft_from_ticket, faq_groups
from weibao.search.index import index_object, reindex
from weibao.search.models import SearchDocument
from weibao.search.query import Filters, search
from weibao.tickets.attachments import IncomingFile
from weibao.tickets.services import ticket_reply


def _numbers(actor, q: str, **kw) -> set[str]:  # type: ignore[no-untyped-def]
    return {h.label for h in search(actor=actor, q=q, filters=Filters(kinds=("ticket",)), **kw).hits}


@pytest.fixture
def tickets(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        a = make_ticket(world, subject="接口网关超时", description="调用数据共享接口时网关返回 504。")
        b = make_ticket(world, org="b", subject="接口网关超时（乙）", description="乙单位的网关也超时。")
        ticket_reply(actor=world.users["engineer"], ticket=a, body="内部备注：怀疑是负载均衡器的会话保持配置", internal=True)
        ticket_reply(actor=world.users["engineer"], ticket=a, body="请提供出错时间段的日志。")
    return a, b


def test_ticket_is_indexed_through_the_outbox_with_its_conversation(world, tickets) -> None:
    a, b = tickets
    assert _numbers(world.users["engineer"], "网关超时") == {a.number, b.number}
    assert _numbers(world.users["engineer"], "日志 时间段") == {a.number}
    assert _numbers(world.users["engineer"], a.number) == {a.number}


def test_customer_sees_only_own_organisation_and_no_internal_notes(world, tickets) -> None:
    a, b = tickets
    assert _numbers(world.users["customer_a"], "网关超时") == {a.number}
    assert _numbers(world.users["customer_b"], "网关超时") == {b.number}
    assert _numbers(world.users["customer_a"], "负载均衡器 会话保持") == set()
    assert _numbers(world.users["engineer"], "负载均衡器 会话保持") == {a.number}
    assert _numbers(None, "网关超时") == set()
    # an explicit filter for another organisation gives nothing, not the other organisation's requests
    assert _numbers(world.users["customer_a"], "网关超时", ) == {a.number}
    assert {h.label for h in search(actor=world.users["customer_a"], q="网关超时",
                                    filters=Filters(organisation_id=world.org_b.id)).hits} == set()


def test_attachment_text_is_searchable_and_internal_attachments_are_staff_only(world, tickets,
                                                                                 django_capture_on_commit_callbacks) -> None:
    from weibao.tickets.services import ticket_attach

    a, _b = tickets
    with django_capture_on_commit_callbacks(execute=True):
        ticket_attach(actor=world.users["customer_a"], ticket=a, attachments=[IncomingFile("报错截图说明.docx", _docx("错误代码 ZX-4711 出现在夜间批处理"))])
        ticket_attach(actor=world.users["engineer"], ticket=a, internal=True,
                      attachments=[IncomingFile("内部分析.docx", _docx("根因 内存泄漏 在 缓存模块"))])
    assert _numbers(world.users["customer_a"], "ZX-4711 批处理") == {a.number}
    assert _numbers(world.users["customer_a"], "内存泄漏 缓存模块") == set()
    assert _numbers(world.users["engineer"], "内存泄漏 缓存模块") == {a.number}
    assert _numbers(world.users["customer_b"], "ZX-4711") == set()


def test_indexing_twice_changes_nothing_and_reindex_rebuilds(world, tickets) -> None:
    a, _b = tickets
    before = list(SearchDocument.objects.order_by("kind", "ref_id", "part").values_list("kind", "ref_id", "part", "body"))
    index_object("ticket", a.id)
    index_object("ticket", a.id)
    after = list(SearchDocument.objects.order_by("kind", "ref_id", "part").values_list("kind", "ref_id", "part", "body"))
    assert before == after
    SearchDocument.objects.filter(kind="ticket").delete()
    assert _numbers(world.users["engineer"], "网关超时") == set()
    assert reindex(["ticket"])["ticket"] == 2
    assert _numbers(world.users["engineer"], "网关超时") == {a.number, _b.number}


def test_status_filter_and_solved_suggestions(world, tickets, api) -> None:
    a, b = tickets
    place(a, "resolved", world)
    index_object("ticket", a.id)
    assert _numbers(world.users["engineer"], "网关超时", ) == {a.number, b.number}
    assert {h.label for h in search(actor=world.users["engineer"], q="网关超时", filters=Filters(status="resolved")).hits} == {a.number}
    body = api(world.users["customer_a"]).get("/api/v1/suggestions", {"q": "网关 超时 504"}).json()
    assert [t["number"] for t in body["tickets"]] == [a.number]
    assert body["tickets"][0]["url"] == f"/portal/tickets/{a.public_id}/"
    assert api(world.users["customer_b"]).get("/api/v1/suggestions", {"q": "网关 超时"}).json()["tickets"] == []


def test_article_drafted_from_a_resolved_request(world, tickets) -> None:
    from weibao.core.errors import ValidationFailed

    a, b = tickets
    with pytest.raises(ValidationFailed):
        article_draft_from_ticket(actor=world.users["engineer"], ticket_public_id=b.public_id)
    place(a, "resolved", world)
    article = article_draft_from_ticket(actor=world.users["engineer"], ticket_public_id=a.public_id)
    assert article.title == a.subject and article.status == "draft" and article.audience == "internal"
    assert "已调整配置。" in article.body and "504" in article.body and article.source_ticket_id == a.id


def test_faq_groups_of_a_period_show_coverage(world, django_capture_on_commit_callbacks) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests.knowledge.factories import article

    with django_capture_on_commit_callbacks(execute=True):
        for subject in ["VPN 连不上", "vpn 无法连接", "VPN 连接失败"]:
            make_ticket(world, subject=subject, description="")
        for subject in ["打印机卡纸", "打印机无法打印"]:
            make_ticket(world, org="b", subject=subject, description="")
        make_ticket(world, subject="月底报表导出很慢", description="")
    article(world.users["engineer"], manager=world.users["manager"], title="打印机卡纸怎么办", body="打印机 卡纸 无法打印 的处理")
    today = timezone.localdate()
    groups = faq_groups(actor=world.users["manager"], start=today - timedelta(days=1), end=today)
    assert [g.size for g in groups] == [3, 2]
    assert groups[0].covered_by is None and "vpn" in groups[0].terms
    assert groups[1].covered_by is not None and groups[1].covered_by["title"] == "打印机卡纸怎么办"
    assert io is not None
