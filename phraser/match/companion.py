"""Companions: the usual parallel partners of the stock phrases in the sentence."""

from __future__ import annotations

from ..index import Index
from . import Suggestion
from .exact import spans


def match(query: str, index: Index, *, per_phrase: int = 5) -> list[Suggestion]:
    out = []
    hits = spans(query, index)
    whole = any(end - start == len(query) for start, end, _ in hits)
    for _start, _end, text in hits:
        for partner, score, count in index.partners.get(text, [])[:per_phrase]:
            if partner in query:
                continue
            base = 0.7 if whole else 0.45
            out.append(
                Suggestion(
                    partner,
                    "phrase",
                    "companion",
                    base + 0.25 * min(1.0, score) * min(1.0, count / 2),
                    f"stands beside 「{text}」 (×{count})",
                )
            )
    return out
