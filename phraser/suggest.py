"""Suggesting: normalise what the user typed, run every matcher, rank one list."""

from __future__ import annotations

import re

from . import text as textmod
from .index import Index
from .match import Suggestion, companion, exact, fuzzy, intent, template, typo, variant
from .rank import rank

#: Longer input is cut: suggestions are for the sentence being written, and a
#: pasted megabyte must not hang the prompt.
MAX_QUERY_CHARS = 400

_SPACE_BETWEEN_HAN = re.compile(f"(?<=[{textmod.HAN}])\\s+(?=[{textmod.HAN}])")


class QueryError(ValueError):
    """A query that cannot be used (empty)."""


def prepare(query: str) -> str:
    """Normalise width, drop spaces between Han characters, lower-case Latin, cap the length.

    Traditional characters are folded later, by the index (the bank holds the table).
    """
    q = textmod.normalise(query).strip()
    q = _SPACE_BETWEEN_HAN.sub("", q).lower()
    return q[:MAX_QUERY_CHARS]


def has_han(query: str) -> bool:
    return bool(textmod.HAN_CHAR.search(query))


class Suggester:
    """All matchers over one loaded index."""

    def __init__(self, index: Index):
        self.index = index

    def suggest(self, query: str, *, top: int = 5) -> list[Suggestion]:
        q = self.index.simplify(prepare(query))
        if not q:
            raise QueryError("empty query")
        if not has_han(q):
            return []
        candidates: list[Suggestion] = []
        candidates += exact.match(q, self.index)
        candidates += companion.match(q, self.index)
        candidates += template.match(q, self.index)
        candidates += typo.match(q, self.index)
        candidates += variant.match(q, self.index)
        candidates += fuzzy.match(q, self.index)
        candidates += intent.match(q, self.index)
        kept = [c for c in candidates if c.text != q and c.text not in self.index.banned]
        return rank(_drop_loose(_defer_to_templates(kept)), top=top, pinned=self.index.pinned)


#: A suggestion this sure (a whole typo fixed, a phrase found as written) answers the query.
SURE = 0.95
#: Paraphrases and near matches below this are guesses.
LOOSE = 0.5


def _drop_loose(candidates: list[Suggestion]) -> list[Suggestion]:
    """Guesses (intent or fuzzy below LOOSE) go when something sure answers the query:
    under 狠抓落失 → 狠抓落实 a drafter does not want 尽可能 or 出发点 as well."""
    if not any(c.score >= SURE for c in candidates):
        return candidates
    return [c for c in candidates if c.match not in ("intent", "fuzzy") or c.score >= LOOSE]


def _defer_to_templates(candidates: list[Suggestion]) -> list[Suggestion]:
    """A phrase that is only a literal piece of a fitting template (为抓手 in 以……为抓手)
    ranks just below that template: the template with its rewrite says more."""
    templates = [c for c in candidates if c.match == "template"]
    for c in candidates:
        if c.kind != "phrase":
            continue
        for t in templates:
            prefix, _, suffix = t.text.partition("……")
            if c.text in prefix or c.text in suffix:
                c.score = min(c.score, t.score - 0.01)
    return candidates


def answer(suggester: Suggester, query: str, *, top: int = 5) -> dict:
    """One query's answer as `suggest --json` prints it and `/api/suggest` returns it:
    one shape for both, so a script can switch between them. A blank query gets none."""
    results = suggester.suggest(query, top=top) if prepare(query) else []
    return {"query": query, "suggestions": [s.to_dict() for s in results]}
