"""The alarm state machine, as data: statuses and named transitions (DESIGN rule 2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlarmStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    RESOLVED = "resolved"


OPEN_STATUSES = frozenset({AlarmStatus.FIRING, AlarmStatus.ACKNOWLEDGED, AlarmStatus.SILENCED})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[AlarmStatus]
    target: AlarmStatus
    by_person: bool  # may a person trigger it (UI, API, signed link), or only the machine (a source, a probe)?
    event: str  # the past-tense event kind it appends


def _t(name: str, sources: set[AlarmStatus], target: AlarmStatus, by_person: bool, event: str) -> Transition:
    return Transition(name, frozenset(sources), target, by_person, event)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # a resolved alarm that fires again inside the flap window is the same problem coming back
        _t("refire", {AlarmStatus.RESOLVED}, AlarmStatus.FIRING, False, "refired"),
        _t("acknowledge", {AlarmStatus.FIRING}, AlarmStatus.ACKNOWLEDGED, True, "acknowledged"),
        _t("unacknowledge", {AlarmStatus.ACKNOWLEDGED}, AlarmStatus.FIRING, True, "unacknowledged"),
        _t("silence", {AlarmStatus.FIRING, AlarmStatus.ACKNOWLEDGED}, AlarmStatus.SILENCED, True, "silenced"),
        _t("unsilence", {AlarmStatus.SILENCED}, AlarmStatus.FIRING, True, "unsilenced"),
        # a source or probe reports recovery; a person may close an alarm its source will never resolve
        _t("resolve", {AlarmStatus.FIRING, AlarmStatus.ACKNOWLEDGED, AlarmStatus.SILENCED}, AlarmStatus.RESOLVED, True, "resolved"),
    )
}


def allowed_transitions(status: str, *, by_person: bool) -> list[str]:
    return [t.name for t in TRANSITIONS.values() if status in t.sources and (t.by_person or not by_person)]
