"""The in-memory index that matchers read: loaded once per process from a bank.

Postings from characters to phrase ids keep fuzzy matching to a few hundred rapidfuzz
comparisons per query however large the bank grows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .bank import Bank


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    count: int
    score: float
    quality: float  # percentile of score within the bank, 0..1


@dataclass(frozen=True)
class TemplateEntry:
    id: int
    text: str
    prefix: str
    suffix: str
    count: int
    score: float
    quality: float


@dataclass
class Index:
    phrases: dict[str, Entry]
    templates: list[TemplateEntry]
    partners: dict[str, list[tuple[str, float, int]]]
    by_char: dict[str, list[Entry]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()

    @classmethod
    def load(cls, bank: Bank) -> Index:
        rows = list(bank.db.execute("select id, text, count, score from phrases order by score"))
        n = max(1, len(rows) - 1)
        phrases = {
            text: Entry(pid, text, count, score, i / n)
            for i, (pid, text, count, score) in enumerate(rows)
        }
        trows = list(
            bank.db.execute(
                "select id, text, prefix, suffix, count, score from templates order by score"
            )
        )
        tn = max(1, len(trows) - 1)
        templates = [TemplateEntry(*row, i / tn) for i, row in enumerate(trows)]
        partners: dict[str, list[tuple[str, float, int]]] = defaultdict(list)
        for a, b, count, score in bank.db.execute("select a, b, count, score from pairs"):
            partners[a].append((b, score, count))
            partners[b].append((a, score, count))
        for plist in partners.values():
            plist.sort(key=lambda x: (-x[1] * (1 + x[2]) ** 0.5, -x[2], x[0]))
        by_char: dict[str, list[Entry]] = defaultdict(list)
        for e in phrases.values():
            for ch in set(e.text):
                by_char[ch].append(e)
        lengths = tuple(sorted({len(t) for t in phrases}, reverse=True))
        return cls(phrases, templates, dict(partners), dict(by_char), lengths)
