"""Exact: the bank phrases the sentence already contains, longest and best first."""

from __future__ import annotations

from ..index import Index
from . import Suggestion


def spans(query: str, index: Index) -> list[tuple[int, int, str]]:
    """(start, end, phrase) for every bank phrase in the query, longest first.

    A phrase inside a longer hit is kept: the longer one may be a weak entry
    (部门要高度重视) while the shorter is the stock phrase (高度重视); ranking decides.
    """
    found = []
    size = len(query)
    index.prefetch(query[i : i + k] for i in range(size) for k in index.lengths)
    for i in range(size):
        for k in index.lengths:
            if i + k <= size and query[i : i + k] in index.phrases:
                found.append((i, i + k, query[i : i + k]))
    found.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    return found


def match(query: str, index: Index) -> list[Suggestion]:
    out = []
    for start, end, text in spans(query, index):
        if end - start == len(query):
            continue  # the query itself: its companions say more than an echo
        e = index.phrases[text]
        score = 0.5 + 0.4 * e.quality + 0.02 * min(len(text), 6)
        out.append(Suggestion(text, "phrase", "exact", score, f"contains 「{text}」 (×{e.count})"))
    return out
