"""What a rebuild changed: entries added, dropped and re-ranked between two banks.

Only the `phrases` and `templates` tables are read, straight from SQLite, so a bank of
an older schema version can still be compared with the one that replaced it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: An entry is re-ranked when its rank (among entries of its kind, by score) at least
#: doubled or halved, and moved by at least MIN_PLACES: near the top a move from 2nd to
#: 5th matters, deep in a large bank a move of a few hundred places is noise.
FACTOR = 2.0
MIN_PLACES = 3


class DiffError(Exception):
    """A file that is not a phrase bank."""


@dataclass
class Change:
    text: str
    kind: str
    old_rank: int | None = None
    new_rank: int | None = None
    old_count: int | None = None
    new_count: int | None = None
    old_score: float | None = None
    new_score: float | None = None


@dataclass
class Diff:
    old: str
    new: str
    old_entries: int = 0
    new_entries: int = 0
    added: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)
    reranked: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _entries(path: Path) -> dict[tuple[str, str], tuple[int, int, float]]:
    """(kind, text) → (rank within its kind, count, score)."""
    if not Path(path).is_file():
        raise DiffError(f"no phrase bank at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DiffError(f"cannot open {path}: {exc}") from None
    out = {}
    try:
        for kind, table in (("phrase", "phrases"), ("template", "templates")):
            rows = conn.execute(
                f"select text, count, score from {table} order by score desc, text"
            ).fetchall()
            for rank, (text, count, score) in enumerate(rows, start=1):
                out[(kind, text)] = (rank, count, score)
    except sqlite3.DatabaseError:
        raise DiffError(f"{path} is not a phraser bank") from None
    finally:
        conn.close()
    return out


def diff(old: Path, new: Path, *, factor: float = FACTOR, min_places: int = MIN_PLACES) -> Diff:
    """Compare two banks: what `new` added, what it dropped, what moved (see FACTOR)."""
    before, after = _entries(old), _entries(new)
    result = Diff(str(old), str(new), len(before), len(after))
    for key, (rank, count, score) in after.items():
        if key not in before:
            result.added.append(Change(key[1], key[0], None, rank, None, count, None, score))
    for key, (rank, count, score) in before.items():
        if key not in after:
            result.dropped.append(Change(key[1], key[0], rank, None, count, None, score, None))
            continue
        rank2, count2, score2 = after[key]
        moved = max(rank, rank2) >= factor * min(rank, rank2) and abs(rank - rank2) >= min_places
        if moved:
            result.reranked.append(
                Change(key[1], key[0], rank, rank2, count, count2, score, score2)
            )
    result.added.sort(key=lambda c: (c.new_rank, c.kind, c.text))
    result.dropped.sort(key=lambda c: (c.old_rank, c.kind, c.text))
    result.reranked.sort(key=lambda c: (min(c.old_rank, c.new_rank), c.kind, c.text))
    return result
