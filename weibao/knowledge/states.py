"""The article review workflow as data: draft → in_review → published → archived."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from weibao.accounts import access


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ARCHIVED = "archived"


Guard = Callable[[Any, Any], bool]


def _staff(actor: Any, article: Any) -> bool:
    return access.is_staff(actor)


def _reviewer(actor: Any, article: Any) -> bool:
    return access.is_manager_or_admin(actor)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[ArticleStatus]
    target: ArticleStatus
    guard: Guard
    label: str | Promise


S = ArticleStatus
TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition("submit", frozenset({S.DRAFT}), S.IN_REVIEW, _staff, gettext_lazy("提交审核")),
    Transition("withdraw", frozenset({S.IN_REVIEW}), S.DRAFT, _staff, gettext_lazy("撤回")),
    Transition("request_changes", frozenset({S.IN_REVIEW}), S.DRAFT, _reviewer, gettext_lazy("退回修改")),
    Transition("publish", frozenset({S.IN_REVIEW}), S.PUBLISHED, _reviewer, gettext_lazy("发布")),
    Transition("archive", frozenset({S.PUBLISHED, S.DRAFT}), S.ARCHIVED, _reviewer, gettext_lazy("归档")),
    Transition("restore", frozenset({S.ARCHIVED}), S.DRAFT, _reviewer, gettext_lazy("恢复为草稿")),
]}


def allowed_transitions(article: Any, actor: Any) -> list[str]:
    return [t.name for t in TRANSITIONS.values() if article.status in t.sources and t.guard(actor, article)]
