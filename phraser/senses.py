"""The `senses` table packed into a few arrays, for intent's lookups.

Intent looks up ≈ 140 sense terms a query in five statements. On the large bank those
statements were 2 ms of a 7 ms query: a seek per term and a row object per posting, in
a table of a million rows. The pack holds the same rows in the table's own order (term,
synonym, part, phrase id) as columns in blobs: a fresh process reads it in a few
milliseconds, and a lookup is slices of arrays. `write_pack` makes it from the table; it
runs again whenever the table changes, so the two never disagree.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable

import numpy as np

#: Part -2 marks a context word, -1 the whole phrase, 0.. a morpheme (see `lexicon`).
CONTEXT = -2
#: A term's rows in the table's order fall in four runs; `bounds` has their edges.
_RUNS = {  # (synonym, parts) → (first edge, last edge)
    (False, "context"): (0, 1),
    (False, "explained"): (1, 2),
    (False, "all"): (0, 2),
    (True, "context"): (2, 3),
    (True, "explained"): (3, 4),
    (True, "all"): (2, 4),
}
_COLUMNS = {"phrase_id": np.int32, "part": np.int8, "width": np.int8}


#: The table's columns in its key's order, then the rest: how `write_pack` takes rows.
ORDER = ("term", "synonym", "part", "phrase_id", "weight", "idf", "width")


def write_senses(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Insert sense rows (tuples in `ORDER`) and write their pack. Sorted first: the
    clustered table takes rows in its own order faster, and the pack wants them so."""
    ordered = sorted(rows)
    conn.executemany(
        f"insert into senses ({', '.join(ORDER)}) values ({', '.join('?' * len(ORDER))})",
        ordered,
    )
    write_pack(conn, ordered)


def write_pack(conn: sqlite3.Connection, rows: list[tuple] | None = None) -> None:
    """(Re)write `sense_pack`, one row per array, from `rows` in `ORDER` and sorted (those
    just inserted), or else from the `senses` table."""
    if rows is None:
        sql = f"select {', '.join(ORDER)} from senses order by {', '.join(ORDER[:4])}"
        rows = conn.execute(sql).fetchall()

    by_name = dict(zip(ORDER, zip(*rows, strict=True), strict=True)) if rows else {}

    def column(name: str, dtype) -> np.ndarray:
        return np.array(by_name.get(name, ()), dtype=dtype)

    term = column("term", object)
    new = np.ones(len(term), dtype=bool)
    new[1:] = term[1:] != term[:-1]
    terms = term[new].tolist()
    del term
    owner = np.cumsum(new) - 1  # each row's term number
    arrays = {name: column(name, t) for name, t in _COLUMNS.items()}
    # A term's rows fall in four runs in the table's order (context words, then the rest;
    # first as itself, then as a synonym): the run edges are where keys term·4 + run and
    # term·4 + edge meet.
    run = column("synonym", np.int64) * 2 + (arrays["part"] != CONTEXT)
    key = owner * 4 + run
    edges = np.arange(len(terms))[:, None] * 4 + np.arange(5)[None, :]
    bounds = np.searchsorted(key, edges.ravel()).reshape(-1, 5).astype(np.int32)
    idf = column("idf", np.float64)[bounds[:, 0]]  # one idf per term
    # A handful of distinct weights: a byte each, where the floats were half the pack.
    weights, weight = np.unique(column("weight", np.float64), return_inverse=True)
    blobs = {
        "terms": "\n".join(terms).encode(),
        "bounds": bounds.tobytes(),
        "idf": idf.tobytes(),
        "weights": weights.tobytes(),
        "weight": weight.astype(np.uint8 if len(weights) <= 256 else np.uint32).tobytes(),
        **{name: a.tobytes() for name, a in arrays.items()},
    }
    conn.execute("delete from sense_pack")
    conn.executemany("insert into sense_pack (name, data) values (?, ?)", blobs.items())


class SensePack:
    """What `write_pack` wrote, read back for lookups (`Bank.senses`)."""

    def __init__(self, blobs: dict[str, bytes]):
        text = blobs["terms"].decode()
        self.terms = text.split("\n") if text else []
        self.bounds = np.frombuffer(blobs["bounds"], dtype=np.int32).reshape(-1, 5)
        self.idf = np.frombuffer(blobs["idf"], dtype=np.float64)
        self.weights = np.frombuffer(blobs["weights"], dtype=np.float64)
        wide = len(blobs["weight"]) > len(blobs["part"])  # more than 256 distinct weights
        self.weight = np.frombuffer(blobs["weight"], dtype=np.uint32 if wide else np.uint8)
        self.columns = {name: np.frombuffer(blobs[name], dtype=t) for name, t in _COLUMNS.items()}
        ids = self.columns["phrase_id"]
        self.top_id = int(ids.max()) if len(ids) else 0

    def _wanted(self, phrase_ids: Iterable[int]) -> np.ndarray:
        """A flag per phrase id, set for `phrase_ids`: indexing it by the rows' ids is the
        cheapest membership test for a few hundred ids (np.isin sorts: 0.3 ms a query)."""
        ids = np.fromiter(phrase_ids, dtype=np.int64)
        flags = np.zeros(self.top_id + 1, dtype=bool)
        flags[ids[(ids >= 0) & (ids <= self.top_id)]] = True
        return flags

    @functools.cached_property
    def _rank(self) -> dict[str, int]:
        """Each term's number (its place in the table's order): 5 ms to make, where a
        binary search per term was 0.1 ms of every query."""
        return dict(zip(self.terms, range(len(self.terms)), strict=True))

    def lookup(
        self,
        terms: Iterable[str],
        phrase_ids: Iterable[int] | None = None,
        *,
        synonym: bool = False,
        parts: str = "all",
    ) -> list[tuple]:
        """(term, phrase_id, weight, idf, part, width, synonym) rows of the given terms, in
        the table's key order, optionally only of the given phrases: with `synonym`, the
        rows where the term stands for a morpheme as its synonym, else the others; `parts`
        "all", "explained" (whole phrase and morphemes: no context words) or "context"
        (only those)."""
        rank = self._rank
        ranks = sorted({rank[t] for t in terms if t in rank})
        if not ranks:
            return []
        first, last = _RUNS[(synonym, parts)]
        chosen = self.bounds[ranks]
        lo, sizes = chosen[:, first], chosen[:, last] - chosen[:, first]
        held = sizes > 0
        lo, sizes, owners = lo[held], sizes[held], np.asarray(ranks)[held]
        if not len(sizes):
            return []
        # Row numbers of the runs end to end: each run's start, then steps of one.
        heads = np.cumsum(sizes) - sizes
        at = np.arange(int(sizes.sum())) + np.repeat(lo - heads, sizes)
        owner = np.repeat(owners, sizes)
        pid = self.columns["phrase_id"][at]
        if phrase_ids is not None:
            keep = self._wanted(phrase_ids)[pid]
            at, owner, pid = at[keep], owner[keep], pid[keep]
        terms_of = self.terms
        return list(
            zip(
                [terms_of[r] for r in owner.tolist()],
                pid.tolist(),
                self.weights[self.weight[at]].tolist(),
                self.idf[owner].tolist(),
                self.columns["part"][at].tolist(),
                self.columns["width"][at].tolist(),
                [int(synonym)] * len(at),
                strict=True,
            )
        )
