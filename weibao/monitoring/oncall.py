"""Who is on call: rota turns handed over at a fixed local time, overrides first, people on leave skipped."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from weibao.accounts.models import User
from weibao.monitoring.models import Rota, RotaLeave, RotaOverride


def _turn_index(rota: Rota, at: datetime, members: int) -> int:
    tz = ZoneInfo(rota.timezone)
    first = datetime.combine(rota.start_date, rota.handover_time, tzinfo=tz)
    shift = timedelta(days=max(1, rota.shift_days))
    return int((at.astimezone(tz) - first) // shift) % members


def escalation_chain(rota: Rota, at: datetime) -> list[User]:
    """The on-call person first, then the following members in turn order (each once)."""
    members = [m.user for m in rota.members.select_related("user").order_by("position", "id") if m.user.is_active]
    if not members:
        return []
    day = at.astimezone(ZoneInfo(rota.timezone)).date()
    away = set(RotaLeave.objects.filter(user__in=members, starts_on__lte=day, ends_on__gte=day).values_list("user_id", flat=True))
    start = _turn_index(rota, at, len(members))
    ordered = [members[(start + i) % len(members)] for i in range(len(members))]
    chain = [u for u in ordered if u.id not in away]
    override = RotaOverride.objects.filter(rota=rota, starts_at__lte=at, ends_at__gt=at).select_related("user").order_by("-id").first()
    if override is not None:
        chain = [override.user] + [u for u in chain if u.id != override.user_id]
    return chain


def on_call(rota: Rota, at: datetime) -> User | None:
    chain = escalation_chain(rota, at)
    return chain[0] if chain else None
