"""Matching: from what the user typed to bank entries, one module per kind of match.

Each matcher is `(query, index) -> list[Suggestion]`; `rank` merges them into one list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Suggestion:
    """One suggested bank entry.

    text: the entry itself (a phrase, or a template such as 以……为指导);
    kind: what the entry is (phrase | template);
    match: how it was found (exact | fuzzy | template | companion);
    score: confidence in 0..1, comparable across matchers;
    why: one short reason; rewrite: the user's sentence with the entry applied;
    span: (start, end) of the query's characters the rewrite replaces, for callers that
    point into the text (`check`); not part of the JSON contract;
    pinned: the user pinned the entry (`rank` sets it); in the JSON only when true.
    """

    text: str
    kind: str
    match: str
    score: float
    why: str
    rewrite: str | None = None
    span: tuple[int, int] | None = field(default=None, compare=False)
    pinned: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        self.score = max(0.0, min(1.0, self.score))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(self.score, 4)
        del d["span"]
        if d["rewrite"] is None:
            del d["rewrite"]
        if not d["pinned"]:
            del d["pinned"]
        return d
