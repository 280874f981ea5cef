"""Forms of the customer portal's request pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from weibao.customers.models import System
from weibao.tickets.models import Level, TicketType
from weibao.web.forms import MultipleFileField


class CreateForm(forms.Form):
    system = forms.ModelChoiceField(label=_("系统"), queryset=System.objects.none(), required=False,
                                    empty_label=_("（不确定 / 其他）"))
    type = forms.ChoiceField(label=_("类型"), choices=TicketType.choices, initial=TicketType.FAULT)
    subject = forms.CharField(label=_("标题"), max_length=300)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 8}), max_length=50_000,
                                  help_text=_("请写明操作步骤、出现的现象、时间和影响范围。"))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Level.choices, initial=Level.MEDIUM)
    impact = forms.ChoiceField(label=_("影响范围"), choices=Level.choices, initial=Level.MEDIUM)
    attachments = MultipleFileField(label=_("附件（截图、日志等）"))

    def __init__(self, *args: Any, systems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("回复"), widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000, required=False)
    attachments = MultipleFileField(label=_("附件"))


class DecisionForm(forms.Form):
    """The customer's answer to a proposed resolution (or a reopen of a closed request)."""

    transition = forms.ChoiceField(choices=[("confirm", "confirm"), ("reject", "reject"), ("reopen", "reopen")])
    reason = forms.CharField(label=_("原因"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("transition") in ("reject", "reopen") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("请说明还存在什么问题。"))
        return data


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("满意度"), coerce=int, widget=forms.RadioSelect,
                                    choices=[(5, _("5 非常满意")), (4, _("4 满意")), (3, _("3 一般")),
                                             (2, _("2 不满意")), (1, _("1 非常不满意"))])
    comment = forms.CharField(label=_("意见和建议"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
