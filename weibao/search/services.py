"""Writes of the search app: the administrators' dictionary.

A word added or removed changes how text containing it is cut, so each edit schedules (through the
outbox, in the same transaction) a background reindex of the documents whose text contains it; see
`handlers.on_dictionary_changed`.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from weibao.accounts import access
from weibao.accounts.access import Actor
from weibao.accounts.models import User
from weibao.core.errors import Conflict, ValidationFailed
from weibao.core.outbox import outbox_put
from weibao.search import tokenizer
from weibao.search.models import UserWord, WordKind

DICTIONARY_TOPIC = "search.dictionary"
_BAD = re.compile(r"[\s\x00-\x1f]")


def user_word_add(*, actor: Actor | None, word: str, kind: str = WordKind.OTHER, freq: int | None = None) -> UserWord:
    """Add a word jieba keeps whole: at once for new text, in the background for indexed text containing it."""
    access.require(access.is_manager_or_admin(actor), _("只有管理人员可以编辑搜索词典。"))
    word = word.strip()
    errors: dict[str, list[str]] = {}
    if not word or len(word) > 60 or _BAD.search(word):
        errors["word"] = [_("词条不能为空、不能含空白字符，最长 60 个字符。")]
    if kind not in WordKind.values:
        errors["kind"] = [_("可选值：%(values)s。") % {"values": ", ".join(WordKind.values)}]
    if freq is not None and not (1 <= freq <= 10_000_000):
        errors["freq"] = [_("词频应在 1 到 10000000 之间。")]
    if errors:
        raise ValidationFailed(_("词条不正确"), details=errors)
    with transaction.atomic():
        if UserWord.objects.filter(word=word).exists():
            raise Conflict(_("词条已存在"), details={"word": [_("已存在。")]})
        entry = UserWord.objects.create(word=word, kind=kind, freq=freq, created_by=actor if isinstance(actor, User) else None)
        _schedule_reindex(word, f"add:{entry.id}")
    tokenizer.reset()
    return entry


def user_word_delete(*, actor: Actor | None, entry: UserWord) -> None:
    access.require(access.is_manager_or_admin(actor), _("只有管理人员可以编辑搜索词典。"))
    with transaction.atomic():
        _schedule_reindex(entry.word, f"delete:{entry.id}")
        entry.delete()
    tokenizer.reset()


def _schedule_reindex(word: str, key: str) -> None:
    outbox_put(topic=DICTIONARY_TOPIC, key=f"{key}:0", payload={"word": word, "after": 0, "key": key})
