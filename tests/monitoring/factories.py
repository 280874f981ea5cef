"""Monitoring test helpers: sources with known tokens, webhook posting, fixture payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from weibao.monitoring.sources import NewSource, alarm_source_create


def make_source(kind: str = "alertmanager", name: str = "prom", **kwargs: Any) -> NewSource:
    return alarm_source_create(actor=None, kind=kind, name=name, **kwargs)


def post_webhook(new: NewSource, body: bytes | str | dict[str, Any], token: str | None = None, **headers: str) -> Any:
    if isinstance(body, dict):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    raw = new.token if token is None else token
    if raw:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {raw}")
    url = f"/api/v1/alarm-sources/{new.source.public_id}/webhook"
    return Client().post(url, data=body, content_type="application/json", **headers)


def payload(shared: Path, name: str) -> bytes:
    for sub in ("alertmanager-0.25-generated", "zulip-fixtures", "prometheus-msteams"):
        path = shared / "alerts" / sub / name
        if path.is_file():
            return path.read_bytes()
    raise FileNotFoundError(name)


def with_label(body: bytes, **labels: str) -> bytes:
    data = json.loads(body)
    for alert in data["alerts"]:
        alert["labels"].update(labels)
    return json.dumps(data).encode()
