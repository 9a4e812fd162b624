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
        for partner, score, count in index.partners(text)[: per_phrase * 3]:
            if partner in query:
                continue
            base = 0.7 if whole else 0.45
            # A partner that is itself a well-attested phrase, and of the same length (the
            # parallel four-character pairs of 公文), is the likelier companion at low counts.
            e = index.phrases.get(partner)
            quality = e.quality if e is not None else 0.0
            parallel = 0.01 if len(partner) == len(text) else 0.0
            conf = base + 0.2 * min(1.0, score) * min(1.0, count / 2) + 0.02 * quality + parallel
            out.append(
                Suggestion(
                    partner, "phrase", "companion", conf, f"stands beside 「{text}」 (×{count})"
                )
            )
    return out
