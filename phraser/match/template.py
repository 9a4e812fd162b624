"""Templates: the sentence fits a template's literal pieces; suggest it with the user's filler."""

from __future__ import annotations

from rapidfuzz import fuzz

from ..index import Index, TemplateEntry
from . import Suggestion

#: Connectors that official style writes shorter inside a template: 以X作为抓手 → 以X为抓手.
CONNECTOR_VARIANTS = {"作为": "为", "做为": "为", "当做": "作为", "当作": "作为"}


def _tail(rest: str, suffix: str) -> tuple[int, int, float, str] | None:
    """Locate the template's suffix in `rest`: (filler end, tail end, similarity, fix)."""
    j = rest.find(suffix)
    if j >= 0:
        end = j + len(suffix)
        for long, short in CONNECTOR_VARIANTS.items():
            cut = j + len(short) - len(long)
            if suffix.startswith(short) and rest[cut : j + len(short)] == long and cut >= 2:
                return cut, end, 0.97, f"{long}→{short}"
        return (j, end, 1.0, "") if j >= 2 else None
    best = None
    for start in range(2, len(rest)):
        if rest[start] != suffix[0]:
            continue
        for size in range(max(2, len(suffix) - 2), len(suffix) + 3):
            tail = rest[start : start + size]
            sim = fuzz.ratio(tail, suffix) / 100
            if sim >= 0.66 and (best is None or sim > best[2]):
                best = (start, start + len(tail), sim, f"{tail}→{suffix}")
    return best


def _starts(query: str, prefix: str):
    i = query.find(prefix)
    while i >= 0:
        yield i
        i = query.find(prefix, i + 1)


def _candidates(query: str, index: Index) -> list[TemplateEntry]:
    """The templates whose prefix stands in the query, in the index's order."""
    sizes = index.template_prefix_sizes
    return index.templates_with_prefix(
        {query[i : i + k] for k in sizes for i in range(len(query) - k + 1)}
    )


def match(query: str, index: Index) -> list[Suggestion]:
    """Every template whose prefix stands in the query and whose suffix follows it.

    Each occurrence of the prefix is tried (以 may appear twice); the best fit wins.
    """
    out = []
    for t in _candidates(query, index):
        best = None
        for i in _starts(query, t.prefix):
            rest = query[i + len(t.prefix) :]
            if t.suffix[0] not in rest:
                continue
            hit = _tail(rest, t.suffix)
            if hit is None:
                continue
            j, end, sim, fixed = hit
            filler = rest[:j]
            if not 2 <= len(filler) <= 15 or not filler.isalnum():
                continue
            if best is None or (sim, -len(filler)) > (best[3], -len(best[1])):
                best = (i, filler, end, sim, fixed, rest)
        if best is None:
            continue
        i, filler, end, sim, fixed, rest = best
        rewrite = query[:i] + t.prefix + filler + t.suffix + rest[end:]
        # A connector fixed (作为 → 为) is a correction, as sure as a typo fix.
        score = (0.78 + 0.12 * t.quality) * sim + (0.1 if fixed and sim > 0.9 else 0.0)
        why = f"fits {t.text} with 「{filler}」" + (f" ({fixed})" if fixed else "")
        span = (i, i + len(t.prefix) + end)
        out.append(Suggestion(t.text, "template", "template", score, why, rewrite, span))
    return out
