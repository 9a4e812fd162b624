"""Fuzzy: bank phrases that are nearly in the sentence (a character off, or reordered)."""

from __future__ import annotations

from collections import Counter

from rapidfuzz import fuzz

from ..index import Index
from . import Suggestion
from .exact import spans


def _overlap(a: str, b: Counter) -> int:
    return sum((Counter(a) & b).values())


def match(query: str, index: Index, *, limit: int = 300) -> list[Suggestion]:
    """Candidates share most of their characters with the query; rapidfuzz ranks them.

    A candidate that aligns with a stretch of the query already holding a bank phrase is
    only that phrase's sibling (进一步加大 beside 进一步加强) and is not suggested.
    """
    found = [(a, b) for a, b, _t in spans(query, index)]
    qchars = Counter(query)
    seen: Counter = Counter()
    for ch in qchars:
        for e in index.by_char.get(ch, ()):
            seen[e.text] += 1
    out = []
    for text, shared in seen.most_common(limit * 4):
        if len(text) < 3 or text in query or shared < len(set(text)) - 1:
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
