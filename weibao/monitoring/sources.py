"""Alarm sources: creating them (the token is shown once), authenticating webhook calls, mapping labels to systems."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from weibao.accounts import access
from weibao.accounts.models import User
from weibao.core.errors import Conflict, ValidationFailed
from weibao.customers.models import System
from weibao.monitoring.models import AlarmSource, MappingRule, SourceKind

TOKEN_PREFIX = "wbm_"  # noqa: S105 - a marker so a leaked token is recognisable, not a secret


def token_hash(raw: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough and keeps every webhook call cheap.
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewSource:
    source: AlarmSource
    token: str  # shown once, never stored
    webhook_url: str


def webhook_url(source: AlarmSource) -> str:
    return settings.BASE_URL + reverse("api-v1:alarm-source-webhook", kwargs={"public_id": source.public_id})


def _new_token() -> tuple[str, str, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[:10], token_hash(raw)


@transaction.atomic
def alarm_source_create(*, actor: User | None, kind: str, name: str, system: System | None = None) -> NewSource:
    """Add a source. `actor` None is the command line, run by whoever runs the server."""
    if actor is not None:
        access.require(access.has_role(actor, "admin"), "Only an administrator adds alarm sources")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A source needs a name", details={"name": ["This field is required."]})
    if kind not in SourceKind.values:
        raise ValidationFailed("Unknown source kind", details={"kind": [f"Expected one of {', '.join(SourceKind.values)}"]})
    raw, prefix, digest = _new_token()
    try:
        with transaction.atomic():
            source = AlarmSource.objects.create(kind=kind, name=name[:100], token_prefix=prefix, token_hash=digest,
                                                default_system=system)
    except IntegrityError:
        raise Conflict(f"An alarm source named {name!r} exists already", details={"name": ["Already in use."]}) from None
    return NewSource(source=source, token=raw, webhook_url=webhook_url(source))


@transaction.atomic
def alarm_source_rotate_token(*, actor: User | None, source: AlarmSource) -> NewSource:
    if actor is not None:
        access.require(access.has_role(actor, "admin"), "Only an administrator changes alarm sources")
    raw, prefix, digest = _new_token()
    AlarmSource.objects.filter(id=source.id).update(token_prefix=prefix, token_hash=digest)
    source.token_prefix, source.token_hash = prefix, digest
    return NewSource(source=source, token=raw, webhook_url=webhook_url(source))


def presented_token(authorization: str, extra_header: str = "") -> str:
    """The token a caller presents: `Bearer <t>` (Alertmanager, Grafana, our Zabbix media type),
    Basic auth with the token as password (older senders), or an X-Weibao-Token header."""
    auth = (authorization or "").strip()
    scheme, _sp, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return (extra_header or "").strip()


def alarm_source_authenticate(*, source: AlarmSource | None, raw: str) -> bool:
    if source is None or not source.is_active or not raw:
        return False
    return hmac.compare_digest(source.token_hash, token_hash(raw))


@transaction.atomic
def mapping_rule_add(*, actor: User | None, source: AlarmSource, label: str, value: str, system: System) -> MappingRule:
    if actor is not None:
        access.require(access.has_role(actor, "admin", "manager"), "Only a manager or administrator maps alarms")
    if not label.strip() or not value.strip():
        raise ValidationFailed("A rule needs a label and a value", details={"label": ["Required."], "value": ["Required."]})
    position = source.rules.count()
    return MappingRule.objects.create(source=source, label=label.strip(), value=value.strip(), system=system, position=position)


class SystemResolver:
    """Finds the system an alert is about, caching lookups for one delivery (no queries in the loop)."""

    def __init__(self, source: AlarmSource | None) -> None:
        self.source = source
        self.rules = list(source.rules.select_related("system")) if source is not None else []
        self._cache: dict[str, System | None] = {}

    def prime(self, label_sets: Iterable[dict[str, str]]) -> None:
        """Look up every system the given alerts name at once, before `resolve` is called for each."""
        if self.source is None:
            return
        label = self.source.system_label
        values = {v for labels in label_sets if (v := str(labels.get(label, "")).strip())} - set(self._cache)
        if values:
            self._cache.update(_systems_by_reference(values))

    def resolve(self, labels: dict[str, str]) -> System | None:
        if self.source is not None:
            value = str(labels.get(self.source.system_label, "")).strip()
            if value:
                if value not in self._cache:
                    self._cache.update(_systems_by_reference({value}))
                if self._cache[value] is not None:
                    return self._cache[value]
        for rule in self.rules:
            if rule.matches(labels):
                return rule.system
        return self.source.default_system if self.source is not None else None


def _systems_by_reference(values: set[str]) -> dict[str, System | None]:
    """Every label value of a delivery resolved in at most two queries (not one per distinct value)."""
    found: dict[str, System | None] = dict.fromkeys(values)
    qs = System.objects.select_related("organisation")
    pairs = {v: v.partition("/") for v in values if "/" in v}
    if pairs:
        by_pair = {(s.organisation.code, s.code): s for s in qs.filter(organisation__code__in={p[0] for p in pairs.values()},
                                                                     code__in={p[2] for p in pairs.values()})}
        for value, (org_code, _sl, code) in pairs.items():
            found[value] = by_pair.get((org_code, code))
    bare = values - set(pairs)
    if bare:
        by_id: dict[str, System] = {}
        by_code: dict[str, list[System]] = {}
        for system in qs.filter(Q(public_id__in=bare) | Q(code__in=bare)):
            if system.public_id in bare:
                by_id[system.public_id] = system
            if system.code in bare:
                by_code.setdefault(system.code, []).append(system)
        for value in bare:
            codes = by_code.get(value, [])
            # an ambiguous bare code maps nowhere
            found[value] = by_id.get(value) or (codes[0] if len(codes) == 1 else None)
    return found
