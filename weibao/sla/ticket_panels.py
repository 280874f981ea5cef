"""The SLA box on the request pages (found by weibao.core.panels by name; no interface import here)."""

from __future__ import annotations

from typing import Any

from weibao.sla.models import Metric
from weibao.sla.selectors import sla_explain

LABELS = dict(Metric.choices)


def _panel(ticket: Any, *, internal: bool) -> tuple[str, dict[str, Any]] | None:
    targets = sla_explain(ticket, internal=internal)
    if not targets:
        return None
    for t in targets:
        t["label"] = LABELS.get(t["metric"], t["metric"])
    return "staff/sla/_ticket_panel.html", {"sla_targets": targets, "sla_internal": internal}


def staff_panel(actor: Any, ticket: Any) -> tuple[str, dict[str, Any]] | None:
    return _panel(ticket, internal=True)


def portal_panel(actor: Any, ticket: Any) -> tuple[str, dict[str, Any]] | None:
    return _panel(ticket, internal=False)
