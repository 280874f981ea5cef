"""Staff forms for the facts behind the service records: assessment, work order, acceptance sign-off.

Only the shape of the input is checked here; the rules (who may, what is required together) stay in
weibao.records.services, whose errors the views put back on these forms.
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import STAFF_ROLES, User
from weibao.records.models import Decision

LOCAL_DATETIME = {"type": "datetime-local"}


def _staff() -> QuerySet[User]:
    return User.objects.filter(role__in=list(STAFF_ROLES), is_active=True).order_by("username")


class AssessmentForm(forms.Form):
    decision = forms.ChoiceField(label=_("处理决定"), choices=Decision.choices)
    maintenance_mode = forms.CharField(label=_("与客户商定的维护方式"), max_length=200, required=False)
    plan = forms.CharField(label=_("维护方案"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    reviewer = forms.ModelChoiceField(label=_("审核人"), required=False, queryset=_staff())
    reviewer_opinion = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class WorkOrderForm(forms.Form):
    tasks = forms.CharField(label=_("任务（每项一行）"), widget=forms.Textarea(attrs={"rows": 5}))
    engineers = forms.ModelMultipleChoiceField(label=_("工程师"), queryset=_staff())
    planned_start = forms.DateTimeField(label=_("计划开始"), required=False,
                                        widget=forms.DateTimeInput(attrs=LOCAL_DATETIME, format="%Y-%m-%dT%H:%M"))
    planned_end = forms.DateTimeField(label=_("计划完成"), required=False,
                                      widget=forms.DateTimeInput(attrs=LOCAL_DATETIME, format="%Y-%m-%dT%H:%M"))
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def task_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["tasks"].splitlines() if line.strip()]


class AcceptanceSignForm(forms.Form):
    passed = forms.BooleanField(label=_("验收通过"), required=False, initial=True)
    verification = forms.CharField(label=_("验证情况（工程师签字时填写）"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}))
