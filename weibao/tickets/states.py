"""The ticket state machine, as data: statuses, named transitions, who may fire them, and their guards.

`services.ticket_transition` is the only writer of `Ticket.status`. Guards here look at state only
(children open, windows, waiting days); checks on the transition's parameters live in the service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weibao.core import clock

if TYPE_CHECKING:
    from weibao.tickets.models import Ticket


class Status(StrEnum):
    NEW = "new"
    ASSESSED = "assessed"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_THIRD_PARTY = "waiting_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DECLINED = "declined"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.NEW: gettext_lazy("新建"),
    Status.ASSESSED: gettext_lazy("已评估"),
    Status.ASSIGNED: gettext_lazy("已分派"),
    Status.IN_PROGRESS: gettext_lazy("处理中"),
    Status.WAITING_CUSTOMER: gettext_lazy("等待客户"),
    Status.WAITING_THIRD_PARTY: gettext_lazy("等待第三方"),
    Status.RESOLVED: gettext_lazy("已解决"),
    Status.CLOSED: gettext_lazy("已关闭"),
    Status.DECLINED: gettext_lazy("不予受理"),
    Status.MERGED: gettext_lazy("已合并"),
}

# A ticket in one of these is finished: it no longer blocks its parent and counts for no queue.
DONE = frozenset({Status.RESOLVED, Status.CLOSED, Status.DECLINED, Status.MERGED})
OPEN = frozenset(Status) - DONE
ACTIVE = frozenset({Status.NEW, Status.ASSESSED, Status.ASSIGNED, Status.IN_PROGRESS,
                    Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY})
# In one fixed order: the queues' partial indexes are declared with this IN list, and SQLite uses a partial
# index only when the query repeats its condition term for term (a set's order changes with the hash seed).
ACTIVE_VALUES: tuple[str, ...] = tuple(sorted(s.value for s in ACTIVE))


class By(StrEnum):
    """Who may fire a transition: staff, the customer's own people, or the system (actor None)."""

    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"


# --- working days: the SLA app supplies its holiday calendar at start-up ---------------------------
WorkingDaysFn = Callable[[datetime, datetime, Any], int]
_working_days_provider: WorkingDaysFn | None = None


def set_working_days_provider(fn: WorkingDaysFn | None) -> None:
    """Called by the SLA app's AppConfig.ready() so tickets count 调休 and holidays without importing sla.

    fn(start, end, organisation) -> number of whole working days between the two moments.
    """
    global _working_days_provider
    _working_days_provider = fn


def _weekdays_between(start: datetime, end: datetime) -> int:
    # Fallback until a calendar is registered: Monday–Friday, counted on local dates after `start`.
    first = timezone.localtime(start).date() if timezone.is_aware(start) else start.date()
    last = timezone.localtime(end).date() if timezone.is_aware(end) else end.date()
    days, day = 0, first
    while day < last:
        day = day + timedelta(days=1)
        if day.weekday() < 5:
            days += 1
    return days


def working_days_between(start: datetime, end: datetime, organisation: Any = None) -> int:
    if _working_days_provider is not None:
        return _working_days_provider(start, end, organisation)
    return _weekdays_between(start, end)


def reopen_window_days() -> int:
    return int(getattr(settings, "TICKET_REOPEN_DAYS", 14))


# --- guards: return None when allowed, else the reason in the user's language ----------------------
Guard = Callable[["Ticket", datetime], "str | None"]


def no_open_children(ticket: Ticket, now: datetime) -> str | None:
    if ticket.children.filter(status__in=[s.value for s in OPEN]).exists():
        return _("该请求还有未完成的子工单，不能提交解决。")
    return None


def resolved_long_enough(ticket: Ticket, now: datetime) -> str | None:
    days = ticket.organisation.auto_close_working_days
    if ticket.resolved_at is None or working_days_between(ticket.resolved_at, now, ticket.organisation) < days:
        return _("解决后未满 %(days)s 个工作日，不能自动关闭。") % {"days": days}
    return None


def within_reopen_window(ticket: Ticket, now: datetime) -> str | None:
    window = reopen_window_days()
    if ticket.closed_at is None or now - ticket.closed_at > timedelta(days=window):
        return _("关闭已超过 %(days)s 天，不能重新打开，请新建请求。") % {"days": window}
    return None


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[Status]
    target: Status
    by: frozenset[By]
    label: Any
    guard: Guard | None = None


def _t(name: str, sources: set[Status], target: Status, by: set[By], label: Any, guard: Guard | None = None) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(by), label, guard)


S, C, SYS = By.STAFF, By.CUSTOMER, By.SYSTEM
WORKING = {Status.IN_PROGRESS}
PRE_WORK = {Status.NEW, Status.ASSESSED, Status.ASSIGNED}

TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    _t("assess", {Status.NEW}, Status.ASSESSED, {S}, gettext_lazy("需求评估")),
    _t("assign", {Status.NEW, Status.ASSESSED}, Status.ASSIGNED, {S}, gettext_lazy("分派")),
    _t("start", {Status.ASSIGNED}, Status.IN_PROGRESS, {S}, gettext_lazy("开始处理")),
    _t("request_info", WORKING, Status.WAITING_CUSTOMER, {S}, gettext_lazy("请客户补充信息")),
    _t("wait_third_party", WORKING, Status.WAITING_THIRD_PARTY, {S}, gettext_lazy("等待第三方")),
    _t("resume", {Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY}, Status.IN_PROGRESS, {S, C, SYS},
       gettext_lazy("继续处理")),
    # The system (actor None) proposes when a monitoring incident's alarms have all recovered and the severity
    # policy says so; the customer still confirms or rejects.
    _t("propose_resolution", WORKING, Status.RESOLVED, {S, SYS}, gettext_lazy("提交解决"), no_open_children),
    # SYS: a contact without a customer account decided through the one-time link in the resolution mail
    # (weibao.mail.decisions fires it on their behalf and records who).
    _t("confirm", {Status.RESOLVED}, Status.CLOSED, {S, C, SYS}, gettext_lazy("确认解决")),
    _t("reject", {Status.RESOLVED}, Status.IN_PROGRESS, {S, C, SYS}, gettext_lazy("未解决，退回")),
    _t("auto_close", {Status.RESOLVED}, Status.CLOSED, {SYS}, gettext_lazy("自动关闭"), resolved_long_enough),
    _t("decline", PRE_WORK, Status.DECLINED, {S}, gettext_lazy("不予受理")),
    _t("merge", PRE_WORK | WORKING | {Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY}, Status.MERGED, {S},
       gettext_lazy("合并")),
    _t("reopen", {Status.CLOSED}, Status.IN_PROGRESS, {S, C, SYS}, gettext_lazy("重新打开"), within_reopen_window),
]}

STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in Status]
TRANSITION_CHOICES = [(name, t.label) for name, t in TRANSITIONS.items()]


def actor_kind(actor: Any) -> By | None:
    if actor is None:
        return By.SYSTEM
    if not (actor.is_authenticated and actor.is_active):
        return None
    if getattr(actor, "is_staff_member", False):
        return By.STAFF
    if getattr(actor, "is_customer", False):
        return By.CUSTOMER
    return None


def refusal(ticket: Ticket, actor: Any, transition: Transition, now: datetime) -> str | None:
    """Why `actor` may not fire `transition` on `ticket` now (None when it may)."""
    if Status(ticket.status) not in transition.sources:
        return _("当前状态“%(status)s”不能执行“%(transition)s”。") % {
            "status": Status(ticket.status).label, "transition": transition.label}
    kind = actor_kind(actor)
    if kind is None or kind not in transition.by:
        return _("您无权执行“%(transition)s”。") % {"transition": transition.label}
    if kind is By.CUSTOMER and ticket.organisation_id != getattr(actor, "organisation_id", None):
        return _("您无权执行“%(transition)s”。") % {"transition": transition.label}
    if transition.guard is not None:
        return transition.guard(ticket, now)
    return None


def allowed_transitions(ticket: Ticket, actor: Any, now: datetime | None = None) -> list[str]:
    """The transitions the actor could fire now (guards on state included; parameters not).

    Same rules as `refusal`, without building the messages: the detail page and API call it on every view.
    """
    moment = now or clock.now()
    status, kind = Status(ticket.status), actor_kind(actor)
    if kind is None or (kind is By.CUSTOMER and ticket.organisation_id != getattr(actor, "organisation_id", None)):
        return []
    return [name for name, t in TRANSITIONS.items()
            if status in t.sources and kind in t.by and (t.guard is None or t.guard(ticket, moment) is None)]
