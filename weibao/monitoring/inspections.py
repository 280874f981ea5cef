"""Scheduled inspections (巡检): run a plan's checks now and print an inspection report (PDF) for the customer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from weibao.accounts import access
from weibao.accounts.models import Organisation, User
from weibao.core import clock
from weibao.core.errors import ValidationFailed
from weibao.core.fonts import cjk_font_path
from weibao.monitoring.checkers import ProbeSpec, run_checks
from weibao.monitoring.models import InspectionPlan, InspectionReport, Probe, ProbeKind


def inspection_plan_create(*, actor: User | None, organisation: Organisation, name: str, probes: list[Probe],
                           interval_days: int = 30) -> InspectionPlan:
    if actor is not None:
        access.require(access.is_manager_or_admin(actor), "Only a manager or administrator plans inspections")
    if any(p.system.organisation_id != organisation.id for p in probes):
        raise ValidationFailed("Every check must belong to this customer's systems", details={"probes": ["Other customer."]})
    with transaction.atomic():
        plan = InspectionPlan.objects.create(organisation=organisation, name=name.strip()[:200], interval_days=max(1, interval_days),
                                             next_run_at=clock.now())
        plan.probes.set(probes)
    return plan


def _row(probe: Probe, state: str, ms: int | None, error: str) -> dict[str, object]:
    return {"system": probe.system.name, "name": probe.name, "kind": probe.get_kind_display(), "target": probe.target,
            "state": state, "response_ms": ms, "detail": error}


def inspection_run(*, plan: InspectionPlan, now: datetime | None = None) -> InspectionReport:
    """Run every check of the plan now (not the stored last results) and keep the report with its PDF."""
    now = now or clock.now()
    probes = list(plan.probes.select_related("system").order_by("system__name", "name"))
    active = [p for p in probes if p.kind != ProbeKind.HEARTBEAT]
    specs = [ProbeSpec(id=p.id, kind=p.kind, target=p.target, timeout=p.timeout_seconds, expected_status=p.expected_status,
                       keyword=p.keyword, max_response_ms=p.max_response_ms, tls_warn_days=p.tls_warn_days, dns_expect=p.dns_expect)
             for p in active]
    outcomes = {o.probe_id: o for o in (asyncio.run(run_checks(specs)) if specs else [])}
    rows = []
    for p in probes:
        if p.kind == ProbeKind.HEARTBEAT:
            fresh = p.last_heartbeat_at is not None and now - p.last_heartbeat_at <= timedelta(seconds=p.interval_seconds + p.timeout_seconds)
            rows.append(_row(p, "up" if fresh else "down", None, "" if fresh else "no recent heartbeat"))
        else:
            o = outcomes[p.id]
            rows.append(_row(p, o.state, o.response_ms, o.error))
    passed = sum(1 for r in rows if r["state"] == "up")
    with transaction.atomic():
        report = InspectionReport.objects.create(plan=plan, organisation=plan.organisation, ran_at=now, results=rows,
                                                 passed=passed, failed=len(rows) - passed)
        report.pdf.save(f"inspection-{report.public_id}.pdf", ContentFile(inspection_pdf(report)), save=True)
        InspectionPlan.objects.filter(id=plan.id).update(next_run_at=now + timedelta(days=plan.interval_days))
    return report


def inspection_pdf(report: InspectionReport, language: str = "zh-hans") -> bytes:
    from weasyprint import HTML

    font = cjk_font_path()
    with translation.override(language):
        html = render_to_string("monitoring/inspection_report.html", {
            "report": report, "plan": report.plan, "organisation": report.organisation,
            "ran_at": timezone.localtime(report.ran_at), "font_url": Path(font).as_uri() if font else "",
        })
    return bytes(HTML(string=html).write_pdf())


def inspections_run_due(*, now: datetime | None = None) -> int:
    now = now or clock.now()
    plans = list(InspectionPlan.objects.filter(next_run_at__lte=now).select_related("organisation")[:20])
    for plan in plans:
        # claim: move next_run_at first so a second scheduler does not run the same plan
        if InspectionPlan.objects.filter(id=plan.id, next_run_at=plan.next_run_at).update(
                next_run_at=now + timedelta(days=plan.interval_days)):
            inspection_run(plan=plan, now=now)
    return len(plans)
