"""The staff queues and sort orders, as data.

A queue narrows the actor's scoped ticket list (from the tickets selectors); a sort is a keyset order
ending with the id. Due-time queues and sorting come from the SLA app when it provides them
(`weibao.sla.selectors`: `ticket_filter_due_soon(qs, now)`, `ticket_filter_overdue(qs, now)`); the SLA app
keeps `Ticket.due_at` (null when no clock runs: last in the due order). Without it they are hidden, so the
staff UI never depends on SLA being installed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weibao.accounts.models import User
from weibao.tickets.models import Ticket
from weibao.tickets.selectors import team_filter
from weibao.tickets.states import ACTIVE_VALUES, Status

QueueFilter = Callable[[QuerySet[Ticket], User, datetime], QuerySet[Ticket]]
_ACTIVE = list(ACTIVE_VALUES)


@dataclass(frozen=True)
class Queue:
    key: str
    label: Promise
    # The work queues read active requests only; partial indexes on active statuses (tickets migrations
    # 0003–0004) give each one newest first, so no walk back past a million closed rows and no sort.
    filter: QueueFilter


@dataclass(frozen=True)
class Sort:
    key: str
    label: Promise
    order: tuple[str, ...]  # keyset order: plain columns ending with the id (the due sort reads Ticket.due_at)


def _sla_hook(name: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module("weibao.sla.selectors")
    except ImportError:
        return None
    hook = getattr(module, name, None)
    return hook if callable(hook) else None


def _mine(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs.filter(assignee=actor, status__in=_ACTIVE)


def _team(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs.filter(team_filter(actor), status__in=_ACTIVE)


def _unassigned(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs.filter(assignee__isnull=True, status__in=_ACTIVE)


def _waiting(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs.filter(status=Status.WAITING_CUSTOMER.value)


def _resolved(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs.filter(status=Status.RESOLVED.value)


def _all(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
    return qs


def _sla_queue(hook_name: str) -> QueueFilter:
    def apply(qs: QuerySet[Ticket], actor: User, now: datetime) -> QuerySet[Ticket]:
        hook = _sla_hook(hook_name)
        return hook(qs.filter(status__in=_ACTIVE), now) if hook else qs.none()

    return apply


def queues() -> list[Queue]:
    found = [
        Queue("mine", _("我的"), _mine),
        Queue("team", _("本组"), _team),
        Queue("unassigned", _("未分派"), _unassigned),
    ]
    if _sla_hook("ticket_filter_due_soon"):
        found.append(Queue("due_soon", _("即将到期"), _sla_queue("ticket_filter_due_soon")))
    if _sla_hook("ticket_filter_overdue"):
        found.append(Queue("overdue", _("已超时"), _sla_queue("ticket_filter_overdue")))
    found += [
        Queue("waiting", _("等待客户"), _waiting),
        Queue("resolved", _("待客户确认"), _resolved),
        Queue("all", _("全部"), _all),
    ]
    return found


def sorts(queue: Queue | None = None) -> list[Sort]:
    """Orders the queue can afford: on "all" (a million rows, no index on priority) only id orders."""
    found = [
        Sort("newest", _("最新"), ("-id",)),
        Sort("oldest", _("最早"), ("id",)),
        Sort("priority", _("优先级"), ("priority", "-id")),
        Sort("updated", _("最近更新"), ("-updated_at", "-id")),
    ]
    if queue is not None and queue.key == "all":
        found = [s for s in found if s.order in (("-id",), ("id",))]
    # Due order reads the active-only (…, due_at, id) partial indexes: a queue's open requests, not "all".
    if _sla_hook("ticket_filter_due_soon") is not None and not (queue is not None and queue.key == "all"):
        found.insert(0, Sort("due", _("到期时间"), ("due_at", "id")))
    return found


def queue_by_key(key: str) -> Queue:
    available = queues()
    return next((q for q in available if q.key == key), available[0])


def sort_by_key(key: str, queue: Queue | None = None) -> Sort:
    available = sorts(queue)
    return next((s for s in available if s.key == key), available[0])


