from __future__ import annotations

from collections.abc import Iterator

import pytest

from weibao.search import tokenizer


@pytest.fixture(autouse=True)
def _fresh_dictionary() -> Iterator[None]:
    # The cutter caches the user dictionary per process; a test's words are rolled back with its transaction.
    tokenizer.reset()
    yield
    tokenizer.reset()
