"""Plug-in panels on the request pages (staff and portal), filled by other apps when they exist.

An app that wants a box on the request page ships a module `weibao.<app>.ticket_panels` with
`staff_panel(actor, ticket)` and/or `portal_panel(actor, ticket)`, each returning
`(template_name, context)` or None. The SLA app's due-time explanation and the records app's
document downloads plug in here; an app that is absent renders nothing. Domain apps never import
the interfaces: the dependency points from here to them, found by name.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

PANEL_MODULES = ("weibao.sla.ticket_panels", "weibao.records.ticket_panels", "weibao.monitoring.ticket_panels")


def render_panels(request: HttpRequest, ticket: Any, audience: Literal["staff", "portal"]) -> list[SafeString]:
    html: list[SafeString] = []
    for name in PANEL_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # the app (or its panel module) is not there: no panel
            raise
        provider = getattr(module, f"{audience}_panel", None)
        if provider is None:
            continue
        found = provider(request.user, ticket)
        if found:
            template, context = found
            html.append(render_to_string(template, {"ticket": ticket, **context}, request=request))
    return html


# Additions to the conversation itself, under the description or a message (the mail app's quoted history).
CONVERSATION_MODULES = ("weibao.mail.ticket_conversation",)


def conversation_extras(request: HttpRequest, ticket: Any, timeline: list[dict[str, Any]]) -> SafeString:
    """Put each provider's HTML on the timeline's message items (item["extra"]); returns the description's.

    `timeline` holds only what the actor may see; providers are given those message ids and nothing else.
    """
    message_ids = [item["message"].id for item in timeline if item.get("message") is not None]
    found: dict[Any, list[SafeString]] = {}
    for name in CONVERSATION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        for key, (template, context) in module.conversation_extras(request.user, ticket, message_ids).items():
            found.setdefault(key, []).append(render_to_string(template, {"ticket": ticket, **context}, request=request))
    for item in timeline:
        if item.get("message") is not None and item["message"].id in found:
            item["extra"] = SafeString("".join(found[item["message"].id]))
    return SafeString("".join(found.get(None, [])))
