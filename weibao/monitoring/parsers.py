"""Webhook bodies → normalised alerts. One parser per source kind; each raises PayloadError on bad input.

Alertmanager and Grafana (9 and 11, unified alerting) share the Alertmanager webhook shape: a group
with `alerts[]`, each with `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `fingerprint`.
Zabbix has no fixed webhook body; ours is defined by the media type in `zabbix/` (documented in
docs/monitoring.md), and the older flat shape (hostname/severity/status/trigger) is accepted too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

MAX_ALERTS = 5000


class PayloadError(ValueError):
    """The body is not what the source kind sends; the message says what is wrong."""


@dataclass
class ParsedAlert:
    fingerprint: str
    firing: bool
    name: str
    severity: str
    summary: str
    description: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str = ""
    group_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def extra_text(self) -> dict[str, str]:
        """Source-specific extras (Grafana dashboard links, values) kept beside the annotations."""
        return {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in self.extra.items()}


# --- severity ---------------------------------------------------------------------------------

_SEVERITY_WORDS = {
    "critical": "critical", "crit": "critical", "disaster": "critical", "emergency": "critical", "fatal": "critical",
    "page": "critical", "p1": "critical", "严重": "critical", "灾难": "critical",
    "high": "high", "error": "high", "major": "high", "p2": "high", "高": "high",
    "warning": "warning", "warn": "warning", "average": "warning", "minor": "warning", "p3": "warning", "警告": "warning",
    "info": "info", "information": "info", "informational": "info", "notice": "info", "low": "info",
    "not classified": "info", "none": "info", "p4": "info", "提示": "info", "信息": "info",
}
# Zabbix numeric severities ({EVENT.NSEVERITY}): 0 not classified … 5 disaster
_ZABBIX_NSEVERITY = {"0": "info", "1": "info", "2": "warning", "3": "warning", "4": "high", "5": "critical"}


def normalise_severity(value: object, default: str = "warning") -> str:
    word = str(value or "").strip().lower()
    return _SEVERITY_WORDS.get(word, default)


# --- helpers ----------------------------------------------------------------------------------

_ZERO_TIME = "0001-01-01T00:00:00Z"


def _time(value: object, what: str) -> datetime | None:
    if value in (None, "", _ZERO_TIME):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{what} must be an RFC 3339 string")
    parsed = parse_datetime(value.replace("Z", "+00:00")) if len(value) < 64 else None
    if parsed is None:
        # Go prints nanoseconds; Python keeps microseconds: cut the extra digits before parsing.
        head, dot, rest = value.partition(".")
        if dot:
            digits = "".join(ch for ch in rest if ch.isdigit())
            tail = rest[len(digits):]
            parsed = parse_datetime(f"{head}.{digits[:6]}{tail}".replace("Z", "+00:00"))
    if parsed is None:
        raise PayloadError(f"{what} is not a valid time: {value[:40]!r}")
    if parsed.year <= 1:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str_map(value: object, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{what} must be an object")
    return {str(k)[:200]: str(v)[:2000] for k, v in value.items()}


def _load(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def _stable_fingerprint(labels: dict[str, str]) -> str:
    # Sources that send no fingerprint: the sorted label set identifies the alert, as Alertmanager does.
    canonical = json.dumps(labels, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# --- Alertmanager and Grafana -----------------------------------------------------------------


def _parse_group(data: Any, *, grafana: bool) -> list[ParsedAlert]:
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("'alerts' must be a list")
    if len(alerts) > MAX_ALERTS:
        raise PayloadError(f"too many alerts in one delivery ({len(alerts)} > {MAX_ALERTS})")
    group_key = str(data.get("groupKey") or "")[:500]
    common = _str_map(data.get("commonLabels"), "commonLabels")
    out: list[ParsedAlert] = []
    for i, raw in enumerate(alerts):
        if not isinstance(raw, dict):
            raise PayloadError(f"alerts[{i}] must be an object")
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise PayloadError(f"alerts[{i}].status must be 'firing' or 'resolved'")
        labels = _str_map(raw.get("labels"), f"alerts[{i}].labels")
        annotations = _str_map(raw.get("annotations"), f"alerts[{i}].annotations")
        fingerprint = str(raw.get("fingerprint") or "") or _stable_fingerprint(labels)
        name = labels.get("alertname") or common.get("alertname") or ""
        if not name:
            raise PayloadError(f"alerts[{i}] has no alertname label")
        extra: dict[str, Any] = {}
        if grafana:
            for key in ("dashboardURL", "panelURL", "silenceURL", "imageURL", "valueString"):
                if raw.get(key):
                    extra[key] = str(raw[key])[:2000]
            if isinstance(raw.get("values"), dict):
                extra["values"] = raw["values"]
        severity_label = labels.get("severity") or labels.get("priority") or common.get("severity")
        out.append(ParsedAlert(
            fingerprint=fingerprint[:200],
            firing=status == "firing",
            name=name[:200],
            severity=normalise_severity(severity_label),
            summary=(annotations.get("summary") or annotations.get("message") or name)[:500],
            description=annotations.get("description", ""),
            labels=labels,
            annotations=annotations,
            starts_at=_time(raw.get("startsAt"), f"alerts[{i}].startsAt"),
            ends_at=_time(raw.get("endsAt"), f"alerts[{i}].endsAt"),
            generator_url=str(raw.get("generatorURL") or "")[:1000],
            group_key=group_key,
            extra=extra,
        ))
    return out


def parse_alertmanager(body: bytes) -> list[ParsedAlert]:
    data = _load(body)
    if isinstance(data, dict) and data.get("version") not in (None, "4"):
        raise PayloadError(f"unsupported Alertmanager webhook version {data.get('version')!r} (expected '4')")
    return _parse_group(data, grafana=False)


def parse_grafana(body: bytes) -> list[ParsedAlert]:
    data = _load(body)
    if isinstance(data, dict) and "evalMatches" in data and "alerts" not in data:
        raise PayloadError("legacy Grafana (≤ 8) alert bodies are not supported: use unified alerting (Grafana 9+)")
    return _parse_group(data, grafana=True)


# --- Zabbix -----------------------------------------------------------------------------------


def parse_zabbix(body: bytes) -> list[ParsedAlert]:
    data = _load(body)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    if "event_id" in data or "trigger_id" in data:
        return [_zabbix_media_type(data)]
    if "hostname" in data and "status" in data:
        return [_zabbix_flat(data)]
    raise PayloadError("not a Zabbix alert: expected the Weibao media type fields (event_id, trigger_id, event_value …)")


def _zabbix_media_type(data: dict[str, Any]) -> ParsedAlert:
    trigger_id = str(data.get("trigger_id") or "").strip()
    host = str(data.get("host") or data.get("host_name") or "").strip()
    if not trigger_id or "{" in trigger_id:
        raise PayloadError("trigger_id is missing (the media type sends {TRIGGER.ID})")
    value = str(data.get("event_value", "1")).strip()
    if value not in ("0", "1"):
        raise PayloadError("event_value must be 1 (problem) or 0 (recovery)")
    tags: dict[str, str] = {}
    raw_tags = data.get("event_tags")
    if isinstance(raw_tags, str) and raw_tags.strip().startswith("["):
        try:
            raw_tags = json.loads(raw_tags)
        except json.JSONDecodeError:
            raise PayloadError("event_tags is not the JSON list {EVENT.TAGSJSON} gives") from None
    if isinstance(raw_tags, list):
        for tag in raw_tags:
            if isinstance(tag, dict) and "tag" in tag:
                tags[str(tag["tag"])[:200]] = str(tag.get("value", ""))[:2000]
    nseverity = str(data.get("event_nseverity", "")).strip()
    severity = _ZABBIX_NSEVERITY.get(nseverity) or normalise_severity(data.get("event_severity"))
    name = str(data.get("trigger_name") or data.get("alert_subject") or f"trigger {trigger_id}")[:200]
    labels = {"alertname": name, "host": host, "zabbix_trigger_id": trigger_id, **tags}
    return ParsedAlert(
        # one Zabbix trigger on one host is one problem: recovery events share it
        fingerprint=f"zbx-{trigger_id}-{host}"[:200],
        firing=value == "1",
        name=name,
        severity=severity,
        summary=str(data.get("alert_subject") or name)[:500],
        description=str(data.get("alert_message") or ""),
        labels={k: v for k, v in labels.items() if v},
        annotations={k: str(data[k])[:2000] for k in ("event_id", "event_date", "event_time", "zabbix_url") if data.get(k)},
        starts_at=None,
        ends_at=None,
        generator_url=str(data.get("event_url") or "")[:1000],
    )


def _zabbix_flat(data: dict[str, Any]) -> ParsedAlert:
    host = str(data.get("hostname") or "").strip()
    status = str(data.get("status") or "").upper()
    if status not in ("PROBLEM", "OK", "RESOLVED"):
        raise PayloadError("status must be PROBLEM or OK")
    item = str(data.get("item") or "")
    # The trigger text changes between PROBLEM and OK ("unreachable" / "reachable"); the item does not.
    key = item or str(data.get("trigger") or "")
    return ParsedAlert(
        fingerprint=f"zbx-{_stable_fingerprint({'host': host, 'item': key})}",
        firing=status == "PROBLEM",
        name=(item or str(data.get("trigger") or "Zabbix"))[:200],
        severity=normalise_severity(data.get("severity")),
        summary=str(data.get("trigger") or item)[:500],
        description="",
        labels={k: v for k, v in {"alertname": item, "host": host}.items() if v},
        annotations={},
        starts_at=None,
        ends_at=None,
        generator_url=str(data.get("link") or "")[:1000],
    )


PARSERS: dict[str, Callable[[bytes], list[ParsedAlert]]] = {
    "alertmanager": parse_alertmanager,
    "grafana": parse_grafana,
    "zabbix": parse_zabbix,
}
