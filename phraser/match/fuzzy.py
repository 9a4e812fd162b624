"""Fuzzy: bank phrases that are nearly in the sentence (a character off, or reordered)."""

from __future__ import annotations

from collections import Counter

from rapidfuzz import fuzz

from ..index import Index, Overlap
from . import Suggestion
from .exact import spans


def _overlap(a: str, b: Counter) -> int:
    return sum((Counter(a) & b).values())


def _candidates(index: Index, o: Overlap, cut: int) -> list[str]:
    """Phrases of three characters or more that hold all their distinct characters but one
    among the query's, taken from the `cut` phrases sharing the most characters with it;
    in that order, equal counts by the query character met first, then by vocabulary
    position (the order of counting the postings character by character)."""
    import numpy as np

    held = np.flatnonzero(o.counts)
    if len(held) > cut:
        # One integer per phrase orders it as above; the cut is the `cut`-th smallest.
        key = (-o.counts[held] * (len(o.chars) + 1) + o.first[held]) * len(o.counts) + held
        held = held[key <= np.partition(key, cut - 1)[cut - 1]]
    counts = o.counts[held]
    held = held[(o.lengths[held] >= 3) & (counts >= o.distinct[held] - 1)]
    ordered = sorted(held.tolist(), key=lambda n: (-o.counts[n], o.first[n], n))
    return [index.ranked_texts[n] for n in ordered]


def match(query: str, index: Index, *, limit: int = 300) -> list[Suggestion]:
    """Candidates share most of their characters with the query; rapidfuzz ranks them.

    A candidate that aligns with a stretch of the query already holding a bank phrase is
    only that phrase's sibling (进一步加大 beside 进一步加强) and is not suggested.
    """
    found = [(a, b) for a, b, _t in spans(query, index)]
    qchars = Counter(query)
    out = []
    for text in _candidates(index, index.overlap(qchars), limit * 4):
        if text in query:
            continue
        cover = _overlap(text, qchars) / len(text)
        if cover < 0.74:
            continue
        align = fuzz.partial_ratio_alignment(text, query)
        partial = align.score / 100
        if partial < 0.8:
            continue
        lo, hi = align.dest_start, align.dest_end
        if any(a < hi and lo < b and (min(b, hi) - max(a, lo)) >= len(text) - 1 for a, b in found):
            continue
        sim = 0.5 * cover + 0.5 * partial
        if sim < 0.75:
            continue
        e = index.phrases[text]
        out.append(
            Suggestion(
                text,
                "phrase",
                "fuzzy",
                0.5 + 0.3 * sim + 0.05 * e.quality,
                f"close to the sentence ({sim:.0%})",
            )
        )
        if len(out) >= limit:
            break
    return out
