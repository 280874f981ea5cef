"""Forms of the staff ticket pages: they parse and validate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import STAFF_ROLES, Organisation, Team, User
from weibao.customers.models import System
from weibao.tickets.models import (
    Channel,
    EntitlementKindChoice,
    FollowUpResult,
    Level,
    LinkKind,
    MaintenanceCategory,
    Priority,
    ResolutionMethod,
    TicketType,
    WorkMode,
)
from weibao.tickets.states import STATUS_LABELS, Status
from weibao.web.forms import MultipleFileField

BLANK: list[tuple[str, Any]] = [("", "—")]


def staff_users() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(role__in=list(STAFF_ROLES), is_active=True).order_by("username"),
        required=False, label=_("处理人"),
    )


class QueueFilterForm(forms.Form):
    """GET parameters of a queue page; an unknown value is ignored rather than an error."""

    status = forms.ChoiceField(label=_("状态"), required=False, choices=BLANK + [(s.value, STATUS_LABELS[s]) for s in Status])
    priority = forms.ChoiceField(label=_("优先级"), required=False, choices=BLANK + list(Priority.choices))
    type = forms.ChoiceField(label=_("类型"), required=False, choices=BLANK + list(TicketType.choices))
    channel = forms.ChoiceField(label=_("渠道"), required=False, choices=BLANK + list(Channel.choices))
    team = forms.ModelChoiceField(label=_("团队"), required=False, queryset=Team.objects.order_by("name"))
    q = forms.CharField(label=_("编号或标题"), required=False, max_length=100)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000)
    internal = forms.BooleanField(label=_("内部备注（客户看不到）"), required=False)
    attachments = MultipleFileField(label=_("附件"))


class AssignForm(forms.Form):
    prefix = "assign"
    team = forms.ModelChoiceField(label=_("团队"), required=False, queryset=Team.objects.order_by("name"))
    assignee = staff_users()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("team") and not data.get("assignee"):
            raise forms.ValidationError(_("请选择团队或处理人。"))
        return data


class UpdateForm(forms.Form):
    prefix = "update"
    type = forms.ChoiceField(label=_("类型"), choices=TicketType.choices)
    maintenance_category = forms.ChoiceField(label=_("维护类别"), choices=MaintenanceCategory.choices, required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Level.choices)
    impact = forms.ChoiceField(label=_("影响范围"), choices=Level.choices)
    tags = forms.CharField(label=_("标签"), required=False, max_length=500, help_text=_("逗号分隔"))

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        return sorted({t.strip() for t in raw.replace("，", ",").split(",") if t.strip()})


class LinkForm(forms.Form):
    prefix = "link"
    number = forms.CharField(label=_("请求编号"), max_length=30)
    kind = forms.ChoiceField(label=_("关系"), choices=LinkKind.choices)


# --- parameters of the named transitions ---------------------------------------------------------


class NoParams(forms.Form):
    pass


class NoteParams(forms.Form):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ReasonParams(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ResolutionParams(forms.Form):
    resolution_method = forms.ChoiceField(label=_("解决方式"),
                                          choices=[c for c in ResolutionMethod.choices if c[0]])
    resolution_root_cause = forms.CharField(label=_("根本原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                            max_length=5000)
    resolution_text = forms.CharField(label=_("解决说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=50_000)


class MergeParams(forms.Form):
    into = forms.CharField(label=_("合并到（请求编号）"), max_length=30)


class AssessParams(forms.Form):
    maintenance_category = forms.ChoiceField(label=_("维护类别"), choices=MaintenanceCategory.choices, required=False)
    assessment_note = forms.CharField(label=_("评估意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                      max_length=5000)
    entitlement_kind = forms.ChoiceField(label=_("费用性质（服务经理可调整）"), required=False,
                                         choices=[("", _("按合同自动判定"))] + [c for c in EntitlementKindChoice.choices if c[0]])
    entitlement_reason = forms.CharField(label=_("调整理由"), required=False, max_length=5000)


class OptionalReasonParams(forms.Form):
    reason = forms.CharField(label=_("原因"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class AssignParams(forms.Form):
    team = forms.ModelChoiceField(label=_("团队"), required=False, queryset=Team.objects.order_by("name"))
    assignee = staff_users()


TRANSITION_FORMS: dict[str, type[forms.Form]] = {
    "propose_resolution": ResolutionParams,
    "decline": ReasonParams,
    "reject": OptionalReasonParams,
    "reopen": OptionalReasonParams,
    "merge": MergeParams,
    "assign": AssignParams,
    "request_info": NoteParams,
    "wait_third_party": NoteParams,
    "assess": AssessParams,
    "start": NoteParams,
    "resume": NoteParams,
    "confirm": NoteParams,
}


def transition_form(name: str, data: Any = None, prefix: str | None = None) -> forms.Form:
    return TRANSITION_FORMS.get(name, NoParams)(data, prefix=prefix or f"t-{name}")


class IntakeForm(forms.Form):
    """Phone intake (电话登记): the caller's organisation and system, what they said, how bad it is."""

    contact = forms.CharField(widget=forms.HiddenInput, required=False)
    organisation = forms.ModelChoiceField(label=_("客户"), queryset=Organisation.objects.none())
    system = forms.ModelChoiceField(label=_("系统"), queryset=System.objects.none(), required=False)
    subject = forms.CharField(label=_("标题"), max_length=300)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=50_000)
    type = forms.ChoiceField(label=_("类型"), choices=TicketType.choices, initial=TicketType.FAULT)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Level.choices, initial=Level.MEDIUM)
    impact = forms.ChoiceField(label=_("影响范围"), choices=Level.choices, initial=Level.MEDIUM)
    unverified_requester = forms.BooleanField(label=_("来电人身份未核实"), required=False)

    def __init__(self, *args: Any, organisations: Any, systems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]


class BulkForm(forms.Form):
    ticket = forms.MultipleChoiceField(label=_("请求"), choices=())
    action = forms.ChoiceField(choices=[("assign", "assign"), ("transition", "transition")])
    transition = forms.CharField(required=False, max_length=40)
    note = forms.CharField(required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The ids are checked against the actor's visible tickets by the view, not by a choice list.
        self.fields["ticket"].choices = [(v, v) for v in self.data.getlist("ticket")] if self.data else []  # type: ignore[attr-defined]


class TimeEntryForm(forms.Form):
    prefix = "time"
    mode = forms.ChoiceField(label=_("方式"), choices=WorkMode.choices)
    started_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    minutes = forms.IntegerField(label=_("分钟"), min_value=1, max_value=24 * 60)
    billable = forms.BooleanField(label=_("计费"), required=False, initial=True)
    note = forms.CharField(label=_("说明"), required=False, max_length=5000)


class VisitForm(forms.Form):
    prefix = "visit"
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    engineers = forms.ModelMultipleChoiceField(
        label=_("工程师"), queryset=User.objects.filter(role__in=list(STAFF_ROLES), is_active=True).order_by("username"))
    arrived_at = forms.DateTimeField(label=_("到达时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    departed_at = forms.DateTimeField(label=_("离开时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    customer_signatory = forms.CharField(label=_("客户签字人"), required=False, max_length=100)
    summary = forms.CharField(label=_("工作内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class FollowUpForm(forms.Form):
    prefix = "followup"
    result = forms.ChoiceField(label=_("回访结果"), choices=FollowUpResult.choices)
    note = forms.CharField(label=_("回访记录"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


class QualityReviewForm(forms.Form):
    prefix = "quality"
    score = forms.IntegerField(label=_("评分（0–100）"), min_value=0, max_value=100)
    findings = forms.CharField(label=_("发现"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


class ConsentForm(forms.Form):
    """The customer agreed to a back-end data fix: how and when (phone call, mail, signed form)."""

    prefix = "consent"
    note = forms.CharField(label=_("客户同意的方式与时间"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class SolutionPlanForm(forms.Form):
    """A detailed solution plan and its schedule; stops the request's solution-plan SLA clock."""

    prefix = "plan"
    plan = forms.CharField(label=_("解决方案与实施步骤"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000)
    due_date = forms.DateField(label=_("计划完成日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tell_customer = forms.BooleanField(label=_("同时以回复发送给客户"), required=False, initial=True)


class EntitlementForm(forms.Form):
    prefix = "entitlement"
    kind = forms.ChoiceField(label=_("费用性质"), choices=[c for c in EntitlementKindChoice.choices if c[0]])
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ChildForm(forms.Form):
    """A child work order (子工单) under this request, for the same customer and system."""

    prefix = "child"
    subject = forms.CharField(label=_("标题"), max_length=300)
    description = forms.CharField(label=_("描述"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=50_000)
