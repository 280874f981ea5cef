"""Words for the index and for queries: jieba cuts Chinese, the same pass splits English words.

rjieba (jieba-rs) is used when its wheel imports: measured here 35M chars/s against jieba's 0.8M
(bench/search_tokenizer.py), with identical cuts on our material; pure-Python jieba is the fallback.
Administrators' words (product, system, department names) are added to the dictionary from the
`UserWord` table; the tokenizer notices edits through a version check at most every few seconds,
so every process cuts with the same dictionary soon after an edit.

Both index backends receive the same space-separated, lower-cased, punctuation-free tokens, so the
database tokenizers (FTS5 unicode61, PostgreSQL 'simple') only split on those spaces.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

try:  # pragma: no cover - which branch runs depends on the platform's wheels
    import rjieba

    ENGINE = "rjieba"
except ImportError:  # pragma: no cover
    rjieba = None  # type: ignore[assignment]
    ENGINE = "jieba"

MAX_QUERY_CHARS = 500
MAX_QUERY_TOKENS = 24
MAX_INDEX_CHARS = 200_000
_VERSION_CHECK_SECONDS = 5.0

# Words every query contains and no query is about; dropping them keeps AND queries useful.
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 就 都 而 被 把 让 给 对 从 这 那 有 我 你 他 她 它 我们 你们 他们 请 吗 呢 吧 啊 呀 么 之
    一个 一下 什么 怎么 如何 为什么 可以 能 会 要 没有 不 还 又 很 已经 现在 时候 问题 您好 你好 谢谢 麻烦 一 个 下 中 上
    a an the and or of to in on at for by with from is are was were be been it this that these those i you he she we they
    me my your our their please hi hello thanks thank regards dear can could would should do does did not no how what why
    when where which who""".split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; "_" splits like punctuation
_DROP = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class _Cutter:
    """One dictionary instance per process; `words` is the user dictionary it was built with."""

    def __init__(self, words: Iterable[tuple[str, int | None]]) -> None:
        self.words = tuple(sorted(words, key=lambda w: w[0]))
        if rjieba is not None:
            self._impl: Any = rjieba.Jieba()
            for word, freq in self.words:
                self._impl.add_word(word, freq, None)
            self._cut: Callable[[str], list[str]] = self._impl.cut
            self._search: Callable[[str], list[str]] = self._impl.cut_for_search
        else:  # pragma: no cover
            import jieba

            self._impl = jieba.Tokenizer()
            for word, freq in self.words:
                self._impl.add_word(word, freq)
            self._cut = lambda text: list(self._impl.cut(text))
            self._search = lambda text: list(self._impl.cut_for_search(text))

    def cut(self, text: str) -> list[str]:
        return self._cut(text)

    def cut_for_search(self, text: str) -> list[str]:
        return self._search(text)


_lock = threading.Lock()
_state: dict[str, Any] = {"cutter": None, "version": None, "checked": 0.0}
WordList = list[tuple[str, int | None]]
# Replaced by the search app when Django is ready (reads UserWord); without Django (bench scripts,
# unit tests of this module) the dictionary is just jieba's own.
_source: dict[str, Callable[[], Any]] = {"version": lambda: 0, "words": lambda: []}


def set_user_dictionary_source(*, version: Callable[[], Any], words: Callable[[], WordList]) -> None:
    """`version()` must be cheap (it runs every few seconds); `words()` runs only when it changes."""
    _source.update(version=version, words=words)
    reset()


def reset() -> None:
    """Forget the cutter, so the next cut rebuilds it with the current user dictionary."""
    with _lock:
        _state.update(cutter=None, version=None, checked=0.0)


def _cutter() -> _Cutter:
    now = time.monotonic()
    cutter = _state["cutter"]
    if cutter is not None and now - _state["checked"] < _VERSION_CHECK_SECONDS:
        return cutter  # type: ignore[no-any-return]
    with _lock:
        version = _source["version"]()
        _state["checked"] = now
        if _state["cutter"] is None or version != _state["version"]:
            _state["cutter"] = _Cutter(_source["words"]())
            _state["version"] = version
        return _state["cutter"]  # type: ignore[no-any-return]


def engine() -> str:
    return ENGINE


def normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＡＢＣ１２３ → ABC123) that Chinese keyboards produce;
    # ASCII has nothing to fold (a quick test that saves a tenth of a full reindex).
    text = _DROP.sub(" ", text)
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).lower()


def _clean(tokens: Iterable[str]) -> list[str]:
    # One regex pass over the joined cut (not one per token): this is the hot loop of a full reindex.
    return _WORD.findall(" ".join(tokens))


def index_tokens(text: str) -> list[str]:
    """Search-mode cut (long words and the shorter words inside them), for documents."""
    if not text:
        return []
    return _clean(_cutter().cut_for_search(normalise(text[:MAX_INDEX_CHARS])))


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


def index_texts(texts: list[str]) -> list[str]:
    """`index_text` of many texts (a reindex batch), with the cutter looked up once."""
    cutter = _cutter()
    find = _WORD.findall
    return [" ".join(find(" ".join(cutter.cut_for_search(normalise(t[:MAX_INDEX_CHARS]))))) if t else "" for t in texts]


def query_tokens(text: str) -> list[str]:
    """Precise cut of what a user typed: unique words, stop words dropped (unless nothing else is left)."""
    if not text:
        return []
    words = _clean(_cutter().cut(normalise(text[:MAX_QUERY_CHARS])))
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(word, None)
    unique = list(seen)
    meaningful = [w for w in unique if w not in STOPWORDS]
    return (meaningful or unique)[:MAX_QUERY_TOKENS]


def highlight_terms(text: str) -> list[str]:
    """Terms to mark in snippets: the query's words plus the shorter words a search-mode cut finds in them."""
    terms = set(query_tokens(text))
    for term in list(terms):
        if len(term) > 2:
            terms.update(t for t in _clean(_cutter().cut_for_search(term)) if len(t) > 1)
    return sorted(terms, key=len, reverse=True)
