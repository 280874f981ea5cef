"""Writes of the search app: the administrators' dictionary."""

from __future__ import annotations

import re

from django.db import transaction

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.accounts.models import User
from weibao.core.errors import Conflict, ValidationFailed
from weibao.search import tokenizer
from weibao.search.models import UserWord, WordKind

_BAD = re.compile(r"[\s\x00-\x1f]")


def user_word_add(*, actor: Actor | None, word: str, kind: str = WordKind.OTHER, freq: int | None = None) -> UserWord:
    """Add a word jieba keeps whole. Takes effect at once for new text; `weibao search reindex` for old text."""
    access.require(access.is_manager_or_admin(actor), "只有管理人员可以编辑搜索词典。")
    word = word.strip()
    errors: dict[str, list[str]] = {}
    if not word or len(word) > 60 or _BAD.search(word):
        errors["word"] = ["词条不能为空、不能含空白字符，最长 60 个字符。"]
    if kind not in WordKind.values:
        errors["kind"] = [f"可选值：{', '.join(WordKind.values)}。"]
    if freq is not None and not (1 <= freq <= 10_000_000):
        errors["freq"] = ["词频应在 1 到 10000000 之间。"]
    if errors:
        raise ValidationFailed("词条不正确", details=errors)
    with transaction.atomic():
        if UserWord.objects.filter(word=word).exists():
            raise Conflict("词条已存在", details={"word": ["已存在。"]})
        entry = UserWord.objects.create(word=word, kind=kind, freq=freq, created_by=actor if isinstance(actor, User) else None)
    tokenizer.reset()
    return entry


def user_word_delete(*, actor: Actor | None, entry: UserWord) -> None:
    access.require(access.is_manager_or_admin(actor), "只有管理人员可以编辑搜索词典。")
    entry.delete()
    tokenizer.reset()
