"""The records' error messages follow the user's language: Chinese by default, English from the catalogue."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.personas import World
from tests.records.factories import make_ticket
from weibao.core.errors import Conflict, ValidationFailed
from weibao.records.models import Archive
from weibao.records.services import assessment_record, ticket_archive, work_order_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "message", "detail"), [
    ("zh-hans", "评估记录无效。", "维护方案须填写内容。"),
    ("en", "Invalid assessment", "A maintenance plan needs its content."),
])
def test_assessment_errors_in_the_users_language(world: World, language: str, message: str, detail: str) -> None:
    ticket = make_ticket(world)
    with translation.override(language), pytest.raises(ValidationFailed) as caught:
        assessment_record(actor=world.users["engineer"], ticket=ticket, decision="plan", plan=" ")
    assert str(caught.value.message) == message and caught.value.details["plan"] == [detail]


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", "应为以下之一："), ("en", "Expected one of "),
])
def test_choice_error_names_the_choices(world: World, language: str, expected: str) -> None:
    ticket = make_ticket(world)
    with translation.override(language), pytest.raises(ValidationFailed) as caught:
        assessment_record(actor=world.users["engineer"], ticket=ticket, decision="maybe")
    assert caught.value.details["decision"][0].startswith(expected) and "immediate" in caught.value.details["decision"][0]


@pytest.mark.parametrize(("language", "text"), [
    ("zh-hans", "结束时间早于开始时间。"), ("en", "The end is before the start."),
])
def test_work_order_errors_in_the_users_language(world: World, language: str, text: str) -> None:
    from datetime import timedelta

    from weibao.core import clock

    now = clock.now()
    with translation.override(language), pytest.raises(ValidationFailed) as caught:
        work_order_record(actor=world.users["engineer"], ticket=make_ticket(world), tasks=["重启服务"],
                          engineers=[world.users["engineer"]], planned_start=now, planned_end=now - timedelta(hours=1))
    assert caught.value.details["planned_end"] == [text]


@pytest.mark.parametrize(("language", "text"), [
    ("zh-hans", "只有已关闭或已拒绝的服务请求可以归档。"), ("en", "Only a closed or declined request can be archived."),
])
def test_conflicts_in_the_users_language(world: World, language: str, text: str) -> None:
    with translation.override(language), pytest.raises(Conflict) as caught:
        ticket_archive(actor=world.users["manager"], ticket=make_ticket(world))
    assert str(caught.value.message) == text and not Archive.objects.exists()
