"""Frequently asked questions mined from requests: group a period's requests by what they ask.

Each request becomes a TF-IDF vector over its jieba words (subject words count double); requests
join the most similar existing group when the cosine similarity to the group's centroid reaches a
threshold, else they start one (single-pass "leader" clustering with an inverted index, so a month of
thousands of requests groups in well under a second). Groups are ranked by size. Deterministic: the
same requests always give the same groups, so a manager's click drafts from what they saw.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from weibao.search import tokenizer

THRESHOLD = 0.25  # endava sample: category purity of the top 20 groups 0.876 (0.874 at 0.3), more grouped
MAX_TERMS = 15


@dataclass
class Question:
    id: int
    subject: str
    text: str


@dataclass
class Group:
    terms: list[str]
    members: list[int]
    representative: int
    centroid: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.members)


def _words(q: Question) -> Counter[str]:
    words: Counter[str] = Counter()
    for w in tokenizer.query_tokens(q.subject):
        words[w] += 2
    for w in tokenizer.query_tokens(q.text[:2000]):
        words[w] += 1
    # single Latin letters and digits say nothing about what is asked
    return Counter({w: c for w, c in words.items() if len(w) > 1 or not w.isascii()})


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {k: v / norm for k, v in vec.items()}


def group_questions(questions: Sequence[Question], *, threshold: float = THRESHOLD, min_size: int = 2) -> list[Group]:
    counts = [(q, _words(q)) for q in sorted(questions, key=lambda q: q.id)]
    df: Counter[str] = Counter()
    for _q, words in counts:
        df.update(words.keys())
    n = max(len(counts), 1)
    idf = {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}
    common = max(20, n // 10)
    groups: list[Group] = []
    sums: list[dict[str, float]] = []
    norms: list[float] = []
    postings: dict[str, set[int]] = {}
    vectors: dict[int, dict[str, float]] = {}
    for q, words in counts:
        if not words:
            continue
        top = sorted(words.items(), key=lambda kv: kv[1] * idf[kv[0]], reverse=True)[:MAX_TERMS]
        vec = _normalise({w: (1 + math.log(c)) * idf[w] for w, c in top})
        vectors[q.id] = vec
        # Candidate groups share one of the question's five strongest, not-too-common words: a group
        # that shares none of them cannot reach the threshold in practice, and this keeps it linear.
        candidates: set[int] = set()
        keys = [w for w, _ in sorted(vec.items(), key=lambda kv: -kv[1]) if df[w] <= common][:5]
        for w in keys:
            candidates |= postings.get(w, set())
        best, best_sim = -1, 0.0
        for g in sorted(candidates):
            total, norm = sums[g], math.sqrt(norms[g]) or 1.0
            sim = sum(v * total.get(w, 0.0) for w, v in vec.items()) / norm
            if sim > best_sim:
                best, best_sim = g, sim
        if best >= 0 and best_sim >= threshold:
            groups[best].members.append(q.id)
        else:
            best = len(groups)
            groups.append(Group(terms=[], members=[q.id], representative=q.id))
            sums.append({})
            norms.append(0.0)
        # The centroid is the sum of member vectors; its norm is kept incrementally (cosine needs only that).
        total = sums[best]
        for w, v in vec.items():
            old = total.get(w, 0.0)
            total[w] = old + v
            norms[best] += (old + v) ** 2 - old ** 2
            postings.setdefault(w, set()).add(best)
    for g, group in enumerate(groups):
        group.centroid = _normalise(sums[g])
    out = []
    for group in groups:
        if group.size < min_size:
            continue
        group.terms = [w for w, _ in sorted(group.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        group.representative = max(
            group.members, key=lambda i: (sum(v * group.centroid.get(w, 0.0) for w, v in vectors[i].items()), -i)
        )
        out.append(group)
    out.sort(key=lambda g: (-g.size, g.representative))
    return out


def group_summary(group: Group) -> dict[str, Any]:
    return {"size": group.size, "terms": group.terms, "members": group.members, "representative": group.representative}
