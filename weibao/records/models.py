"""Facts the service records need that the request itself does not hold, and the frozen archive.

Records is its own app that reads tickets (DESIGN.md put documents under tickets/; the split lets the
two be built and changed independently). Each model here is one-to-one with a request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from weibao.core.errors import Conflict
from weibao.core.models import TimeStamped
from weibao.records.kinds import RecordKind


class Decision(models.TextChoices):
    IMMEDIATE = "immediate", _("当即处理")
    PLAN = "plan", _("制定深入维护方案")
    DECLINE = "decline", _("不属于维护范围")


class Assessment(TimeStamped):
    """用户问题反馈及落实情况: what was decided about the request, agreed with the customer, reviewed."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="record_assessment")
    decision = models.CharField(_("处理决定"), max_length=20, choices=Decision.choices)
    maintenance_mode = models.CharField(_("与客户商定的维护方式"), max_length=200, blank=True)
    plan = models.TextField(_("维护方案"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reviewer_opinion = models.TextField(_("审核意见"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("需求评估记录")
        verbose_name_plural = _("需求评估记录")


class WorkOrder(TimeStamped):
    """维护任务单: the tasks, the engineers and the schedule of the maintenance."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="record_work_order")
    tasks = models.JSONField(_("任务"), default=list, help_text=_("每项一行"))
    engineers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("工程师"), related_name="+")
    planned_start = models.DateTimeField(_("计划开始"), null=True, blank=True)
    planned_end = models.DateTimeField(_("计划完成"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("维护任务单")
        verbose_name_plural = _("维护任务单")


class Acceptance(TimeStamped):
    """维护验收: the fix verified, signed off by the engineer who did it and by the team lead."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="record_acceptance")
    passed = models.BooleanField(_("验收通过"), default=True)
    verification = models.TextField(_("验证情况"), blank=True)
    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("维护工程师"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    engineer_signed_at = models.DateTimeField(_("工程师签字时间"), null=True, blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("组长"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    lead_signed_at = models.DateTimeField(_("组长签字时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("维护验收")
        verbose_name_plural = _("维护验收")

    @property
    def complete(self) -> bool:
        return bool(self.engineer_signed_at and self.lead_signed_at)


class FrozenQuerySet(models.QuerySet):
    """Archived rows are written once; bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs: Any) -> int:
        raise Conflict(gettext("归档已冻结，不能更改。"), code="archive_frozen")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise Conflict(gettext("归档已冻结，不能删除。"), code="archive_frozen")


class Frozen(models.Model):
    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Conflict(gettext("归档已冻结，不能更改。"), code="archive_frozen")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise Conflict(gettext("归档已冻结，不能删除。"), code="archive_frozen")


class Archive(Frozen):
    """归档记录: filed once when the request is closed; the PDFs and their SHA-256 never change."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.PROTECT, related_name="record_archive")
    archived_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("归档人"), on_delete=models.PROTECT,
                                    related_name="+")
    archived_at = models.DateTimeField(_("归档时间"))
    language = models.CharField(max_length=10)
    directory = models.CharField(max_length=300, help_text="relative to WEIBAO_DATA_DIR")

    class Meta:
        verbose_name = _("归档记录")
        verbose_name_plural = _("归档记录")


class ArchivedDocument(Frozen):
    archive = models.ForeignKey(Archive, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("归档文件")
        verbose_name_plural = _("归档文件")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["archive", "kind"], name="archived_document_once_per_kind")]
