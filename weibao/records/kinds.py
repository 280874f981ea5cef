"""The seven service records that Chinese maintenance contracts require, in their contractual order."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordKind(models.TextChoices):
    REGISTRATION = "registration", _("客户咨询/反馈登记表")
    ASSESSMENT = "assessment", _("用户问题反馈及落实情况表")
    RECEIPT = "receipt", _("客户回执")
    WORK_ORDER = "work_order", _("维护任务单")
    OPINION = "opinion", _("用户意见反馈表")
    ACCEPTANCE = "acceptance", _("维护验收表")
    ARCHIVE = "archive", _("归档记录")


ORDER: list[RecordKind] = list(RecordKind)


def number_of(kind: str) -> int:
    return ORDER.index(RecordKind(kind)) + 1


def filename_of(kind: str, ticket_number: str) -> str:
    return f"{ticket_number}-{number_of(kind):02d}-{kind}.pdf"
