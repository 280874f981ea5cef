"""Django admin for calendars, holidays and policies; interval validation is the service's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from weibao.core.errors import ValidationFailed
from weibao.sla.models import Calendar, EscalationStep, HolidayDate, Policy, Target, WorkingInterval
from weibao.sla.services import validate_intervals


class IntervalFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        rows = [
            {"weekday": f.cleaned_data.get("weekday"), "start": f.cleaned_data.get("start"), "end": f.cleaned_data.get("end")}
            for f in self.forms
            if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
        ]
        try:
            validate_intervals(rows)
        except ValidationFailed as exc:
            raise ValidationError([f"{k}: {' '.join(v)}" for k, v in exc.details.items()]) from None


class IntervalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WorkingInterval
    formset = IntervalFormSet
    extra = 1


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "time_zone", "always_open", "holiday_region", "public_id"]
    inlines = [IntervalInline]


@admin.register(HolidayDate)
class HolidayDateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "kind", "name", "region", "in_lieu", "source"]
    list_filter = ["region", "kind"]
    date_hierarchy = "date"
    search_fields = ["name"]


class TargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Target
    extra = 0


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EscalationStep
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "calendar", "contract", "service_level", "is_default"]
    inlines = [TargetInline, StepInline]

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:  # targets or calendar may have changed: the open clocks follow, in the worker
            from weibao.sla.policies import policy_changed

            policy_changed(form.instance.pk)

    def get_changeform_initial_data(self, request: Any) -> dict[str, Any]:
        return {"pause_statuses": ["waiting_customer", "waiting_third_party"]}
