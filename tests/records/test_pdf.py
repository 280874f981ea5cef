"""The seven records as real PDFs: A4, Chinese text extractable, the CJK font embedded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from tests.personas import World
from tests.records.factories import SUBJECT, declined, make_ticket, work_to
from tests.records.pdf_inspect import pdf_fonts, pdf_page_size_mm, pdf_text
from weibao.core import clock
from weibao.records.kinds import RecordKind
from weibao.records.pdf import CjkFontMissing
from weibao.records.rendering import record_pdf_render
from weibao.records.services import acceptance_sign, assessment_record, work_order_record
from weibao.tickets.models import Survey

pytestmark = pytest.mark.django_db


def full_ticket(world: World):  # type: ignore[no-untyped-def]
    engineer, manager = world.users["engineer"], world.users["manager"]
    ticket = work_to(make_ticket(world), world, until="assessed")
    assessment_record(actor=manager, ticket=ticket, decision="plan", maintenance_mode="远程维护，周末窗口",
                      plan="升级导出组件并回归测试", reviewer=manager, reviewer_opinion="同意按方案实施")
    work_order_record(actor=manager, ticket=ticket, tasks=["核对导出模板", "发布修正版本"], engineers=[engineer],
                      planned_start=clock.now() + timedelta(days=1), planned_end=clock.now() + timedelta(days=2))
    ticket = work_to(ticket, world, until="resolved")
    acceptance_sign(actor=engineer, ticket=ticket, verification="导出后逐列核对无误")
    ticket = work_to(ticket, world, until="closed")
    Survey.objects.update_or_create(ticket=ticket, defaults={"rating": 5, "comment": "响应及时，处理专业",
                                                             "answered_at": clock.now()})
    return ticket


EXPECTED = {
    RecordKind.REGISTRATION: ["客户咨询/反馈登记表", "甲联系人", "电话", "甲系统"],
    RecordKind.ASSESSMENT: ["用户问题反馈及落实情况表", "制定深入维护方案", "远程维护，周末窗口", "同意按方案实施",
                           "确属程序缺陷", "修正导出模板并重新发布"],
    RecordKind.RECEIPT: ["客户回执", "已收到"],
    RecordKind.WORK_ORDER: ["维护任务单", "纠错性维护", "核对导出模板", "发布修正版本"],
    RecordKind.OPINION: ["用户意见反馈表", "问题已解决，谢谢", "响应及时，处理专业"],
    RecordKind.ACCEPTANCE: ["维护验收表", "导出后逐列核对无误", "通过"],
    RecordKind.ARCHIVE: ["归档记录", "草稿", "维护验收表"],
}


@pytest.mark.parametrize("kind", list(RecordKind), ids=lambda k: k.value)
def test_record_pdf_has_chinese_text_and_embedded_cjk_font(world: World, cjk_font, kind: RecordKind) -> None:
    ticket = full_ticket(world)
    content = record_pdf_render(ticket, kind.value, language="zh-hans")
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for needle in [*EXPECTED[kind], ticket.number, "甲单位", SUBJECT]:
        assert needle in text, f"{needle!r} missing from {kind}: {text[:400]}"
    width, height = pdf_page_size_mm(content)
    assert (round(width), round(height)) == (210, 297), "A4"
    fonts = pdf_fonts(content)
    assert fonts and all(fonts.values()), f"every font must be embedded: {fonts}"


def test_record_in_english_on_request(world: World, cjk_font) -> None:
    ticket = full_ticket(world)
    text = pdf_text(record_pdf_render(ticket, RecordKind.WORK_ORDER, language="en"))
    assert "Maintenance work order" in text and "Corrective" in text
    assert "核对导出模板" in text  # the customer's and engineers' own words stay as written


def test_receipt_of_a_declined_request_gives_the_reason(world: World, cjk_font) -> None:
    ticket = declined(world, "属于新功能开发，需另行签订合同")
    text = pdf_text(record_pdf_render(ticket, RecordKind.RECEIPT, language="zh-hans"))
    assert "不予维护" in text and "属于新功能开发，需另行签订合同" in text


def test_vendor_name_and_logo_come_from_settings(world: World, cjk_font, tmp_path) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (40, 20), (200, 30, 30)).save(logo)
    ticket = make_ticket(world)
    with override_settings(VENDOR_NAME="华东软件技术有限公司", VENDOR_LOGO=str(logo)):
        content = record_pdf_render(ticket, RecordKind.REGISTRATION, language="zh-hans")
    assert "华东软件技术有限公司" in pdf_text(content)
    assert b"/Subtype /Image" in content or b"/Subtype/Image" in content


def test_no_cjk_font_fails_loudly_instead_of_printing_boxes(world: World, tmp_path) -> None:
    ticket = make_ticket(world)
    with override_settings(CJK_FONT=str(tmp_path / "missing.ttf")), pytest.raises(CjkFontMissing) as err:
        record_pdf_render(ticket, RecordKind.REGISTRATION, language="zh-hans")
    assert err.value.code == "cjk_font_missing" and "WEIBAO_CJK_FONT" in err.value.message
