"""Scanning: where known strings occur in a run of documents, found for all of them at once.

Mining's later passes ask where each of ~10^5 candidate phrases, template pieces and list
pairs occurs, with the word boundaries, sentence, line and block of every occurrence.
Slicing every window of every clause in Python and looking it up in a dict was most of a
large build (≈ 300 of 530 s on the 9.8M-character news corpus). Here a run of documents
is one array of code points: the polynomial hash (mod 2**64) of any substring comes in
O(1) from prefix sums, so looking up every window of one length is a few vector
operations and a binary search in the sorted hashes of the strings sought. Positions map
to document, sentence, line and block by searching sorted arrays of boundaries.

A 64-bit hash can collide; with 10^7 distinct windows against 10^5 strings sought the
chance that any window is taken for a string it is not is about 10^-7 per build.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from . import text as textmod

_BITS = 1 << 64
_MASK = _BITS - 1
#: An odd multiplier, so it has an inverse mod 2**64 and prefix sums can be "divided out".
BASE = 0x9E3779B97F4A7C15
_BASE_INV = pow(BASE, -1, _BITS)
#: Bits of the filter that rules most windows out before the binary search.
FILTER_BITS = 24
_LOW = np.uint64((1 << FILTER_BITS) - 1)


def string_hash(s: str) -> int:
    """The hash `Scan.hashes` gives a window holding exactly `s`."""
    h = 0
    for ch in s:
        h = (h * BASE + ord(ch) + 1) & _MASK
    return h


def code_rows(strings: Iterable[str], size: int) -> np.ndarray:
    """Strings of `size` characters as a matrix of code points, a row each."""
    joined = "".join(strings).encode("utf-32-le")
    return np.frombuffer(joined, dtype=np.uint32).reshape(-1, size)


def row_hashes(chars: np.ndarray) -> np.ndarray:
    """`string_hash` of each row of code points (a column a character)."""
    h = np.zeros(len(chars), dtype=np.uint64)
    for t in range(chars.shape[1]):
        h = h * np.uint64(BASE) + chars[:, t].astype(np.uint64) + np.uint64(1)
    return h


class HashIndex:
    """Where each of a set of 64-bit hashes is in its array, by open addressing (linear
    probing, at most half full): one random access a lookup where a binary search takes
    twenty (that difference was most of the levels' time). A hash given twice is found at
    its first place."""

    MIX = np.uint64(0xBF58476D1CE4E5B9)  # odd: spreads even small hashes over the slots

    def __init__(self, hashes: np.ndarray):
        bits = max(1, (2 * len(hashes)).bit_length())
        self.shift, self.mask = np.uint64(64 - bits), (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.values = np.full(1 << bits, -1, dtype=np.int32)
        todo, slot = np.arange(len(hashes)), self._slots(hashes)
        while len(todo):  # each round, one of the hashes after each free slot takes it
            free = np.flatnonzero(self.values[slot] < 0)
            _, first = np.unique(slot[free], return_index=True)
            won = free[first]
            self.values[slot[won]] = todo[won]
            self.keys[slot[won]] = hashes[todo[won]]
            lost = np.ones(len(todo), dtype=bool)
            lost[won] = False
            todo, slot = todo[lost], (slot[lost] + 1) & self.mask

    def _slots(self, h: np.ndarray) -> np.ndarray:
        return ((h * self.MIX) >> self.shift).astype(np.int64)

    def find(self, h: np.ndarray) -> np.ndarray:
        """The index of each hash, −1 for those not in the set."""
        out = np.full(len(h), -1, dtype=np.int32)
        todo, slot = np.arange(len(h)), self._slots(h)
        while len(todo):
            value = self.values[slot]
            hit = (value >= 0) & (self.keys[slot] == h[todo])
            out[todo[hit]] = value[hit]
            on = (value >= 0) & ~hit
            todo, slot = todo[on], (slot[on] + 1) & self.mask
        return out


class Needles:
    """Strings sought, grouped by length, each length's hashes in a `HashIndex`, and a
    bitmap of their hashes' low bits: one lookup rules out almost every window, and the
    index finds the rest in one random access each (a binary search took ~18 cache-missing
    steps, 10 % of a statistics pass)."""

    def __init__(self, strings: Sequence[str]):
        self.strings = list(strings)
        by_len: dict[int, list[int]] = {}
        for i, s in enumerate(self.strings):
            by_len.setdefault(len(s), []).append(i)
        #: Per length: the hashes (in the strings' order), their index, the strings' ids.
        self.lengths: dict[int, tuple[np.ndarray, HashIndex, np.ndarray]] = {}
        self.filter = np.zeros(1 << FILTER_BITS, dtype=bool)
        for k, ids in sorted(by_len.items()):
            h = row_hashes(code_rows((self.strings[i] for i in ids), k))
            self.lengths[k] = (h, HashIndex(h), np.array(ids, dtype=np.int32))
            self.filter[h & _LOW] = True

    def __len__(self) -> int:
        return len(self.strings)


def _cut_lengths(text: str) -> np.ndarray:
    from .mine import segment

    return np.fromiter(map(len, segment(text)), dtype=np.int32)


#: Texts handed to forked workers by index (fork copies them; nothing is pickled in).
_CUTTING: list[str] = []


def _cut_part(i: int) -> np.ndarray:
    return _cut_lengths(_CUTTING[i])


def word_lengths(texts: list[str], workers: int = 1) -> list[np.ndarray]:
    """jieba's word lengths of each text, cut by `workers` forked processes: cutting is
    most of a scan's time and each text's cut is independent, so the result is the same."""
    global _CUTTING
    if workers <= 1 or len(texts) <= 1:
        return [_cut_lengths(t) for t in texts]
    _CUTTING = texts
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_cut_part, range(len(texts)))
    finally:
        _CUTTING = []


def word_bounds(text: str, workers: int = 1) -> np.ndarray:
    """True at every position of `text` (and its end) where a jieba word of a Han run
    starts or ends.

    Each run is cut on its own, as the runs joined by a non-Han separator (jieba cuts
    there anyway), in a few pieces that workers can share."""
    bound = np.zeros(len(text) + 1, dtype=bool)
    runs = [(m.start(), m.group()) for m in textmod.HAN_RUN.finditer(text)]
    if not runs:
        return bound
    pieces = max(1, workers) * 2 if workers > 1 else 1
    per = -(-len(runs) // pieces)
    groups = [runs[i : i + per] for i in range(0, len(runs), per)]
    lengths = word_lengths(["\x00".join(r for _s, r in g) for g in groups], workers)
    for group, lens in zip(groups, lengths, strict=True):
        starts = np.array([s for s, _r in group], dtype=np.int64)
        sizes = np.array([len(r) for _s, r in group], dtype=np.int64)
        joined_start = np.concatenate(([0], np.cumsum(sizes + 1)[:-1]))
        ends = np.cumsum(lens, dtype=np.int64)
        ends = np.concatenate(([0], ends))
        run = np.searchsorted(joined_start, ends, side="right") - 1
        within = ends - joined_start[run]
        keep = within <= sizes[run]
        bound[starts[run[keep]] + within[keep]] = True
    return bound


@dataclass
class Docs:
    """The documents of one scan: their spool indexes, block numbering and offsets."""

    idx: np.ndarray  # spool index of each document
    start: np.ndarray  # offset of each document in the scan's text
    block_base: np.ndarray  # first block number of each document


class Layout:
    """A run of whole documents joined by newlines, and where each position is in them:
    document, sentence, line, block. `offset` is where the run starts in the whole corpus,
    so positions of different runs compare in corpus order."""

    def __init__(self, bodies: list[str], docs: Docs, block_chars: int, offset: int = 0):
        self.text = "\n".join(bodies)
        self.docs = docs
        self.block_chars = block_chars
        self.offset = offset
        n = self.n = len(self.text)
        self.codes = codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
        at = np.arange(n, dtype=np.int64)
        is_end = np.isin(
            codes, np.array([ord(ch) for ch in textmod.SENTENCE_ENDS], dtype=np.uint32)
        )
        self.sentence_start = (np.maximum.accumulate(np.where(is_end, at, -1)) + 1).astype(np.int32)
        self.sentence_end = _suffix_min(np.where(is_end, at, n)).astype(np.int32)
        self.newlines = np.flatnonzero(codes == 10).astype(np.int32)

    def doc_of(self, pos: np.ndarray) -> np.ndarray:
        """Index into `docs` of the document holding each position."""
        return np.searchsorted(self.docs.start, pos, side="right") - 1

    def blocks(self, pos: np.ndarray, doc: np.ndarray) -> np.ndarray:
        """Block of each position: its sentence's offset in the document, in blocks."""
        sentence = self.sentence_start[pos] - self.docs.start[doc]
        return self.docs.block_base[doc] + (sentence + 1) // self.block_chars

    def places(self, pos: np.ndarray) -> list[tuple[int, int, int, str]]:
        """(document, line, column, sentence) of each position, lines and columns 1-based."""
        doc = self.doc_of(pos)
        start = self.docs.start[doc]
        nl = np.searchsorted(self.newlines, pos)
        line = nl - np.searchsorted(self.newlines, start) + 1
        before = np.concatenate(([-1], self.newlines))[nl]  # the newline before, or -1
        line_start = np.maximum(before + 1, start)
        col = pos - line_start + 1
        s, e = self.sentence_start[pos], self.sentence_end[pos]
        # One string per sentence however many places are in it: a worker's places are
        # pickled back, and pickle writes a shared string once (a large run's places
        # 74 → 15 MB).
        first = np.unique(s, return_index=True)[1]
        text = self.text
        sentence = {a: text[a:b] for a, b in zip(s[first].tolist(), e[first].tolist(), strict=True)}
        return list(
            zip(
                self.docs.idx[doc].tolist(),
                line.tolist(),
                col.tolist(),
                map(sentence.__getitem__, s.tolist()),
                strict=True,
            )
        )


def _suffix_min(a: np.ndarray) -> np.ndarray:
    return np.minimum.accumulate(a[::-1])[::-1] if len(a) else a


class Scan(Layout):
    """A layout that can also find strings: Han runs, substring hashes, word boundaries."""

    def __init__(self, bodies: list[str], docs: Docs, block_chars: int, offset: int = 0):
        super().__init__(bodies, docs, block_chars, offset)
        n, codes = self.n, self.codes
        han = (
            ((codes >= 0x3400) & (codes <= 0x4DBF))
            | ((codes >= 0x4E00) & (codes <= 0x9FFF))
            | (codes == 0x3007)
        )
        at = np.arange(n, dtype=np.int64)
        # room[p]: Han characters from p to the end of its run (0 off Han).
        self.room = (_suffix_min(np.where(han, n, at)) - at).astype(np.int32)
        self.run_start = np.maximum.accumulate(np.where(han, 0, at + 1)).astype(np.int32)
        del at, han
        # Prefix sums for substring hashes: prefix[q] = Σ_{t<q} c_t·B^-t, powers[t] = B^t.
        inv = np.full(n, _BASE_INV, dtype=np.uint64)
        inv[:1] = 1
        inv = np.cumprod(inv, dtype=np.uint64)
        self.prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(
            (codes.astype(np.uint64) + np.uint64(1)) * inv, dtype=np.uint64, out=self.prefix[1:]
        )
        del inv
        powers = np.full(n, BASE, dtype=np.uint64)
        powers[:1] = 1
        self.powers = np.cumprod(powers, dtype=np.uint64)
        self.bound = np.zeros(0, dtype=bool)

    # -- words ------------------------------------------------------------------------

    def cut(self, workers: int = 1) -> None:
        """Fill `bound`: True at every position where a jieba word of a Han run starts or ends
        (`word_bounds`), cut by `workers` processes."""
        self.bound = word_bounds(self.text, workers)

    # -- finding ------------------------------------------------------------------------

    def hashes(self, pos: np.ndarray, size: int | np.ndarray) -> np.ndarray:
        """Hash of the window of `size` characters at each of `pos`."""
        end = pos + size
        return self.powers[end - 1] * (self.prefix[end] - self.prefix[pos])

    def find(self, needles: Needles, lengths: Sequence[int] | None = None, whole: bool = False):
        """(positions, needle ids) of every occurrence inside a Han run, in text order;
        with `whole`, only those that start and end on word boundaries (`cut` first): the
        windows between are never hashed or looked up."""
        found_pos, found_id = [], []
        for k, (_hashes, index, ids) in needles.lengths.items():
            if (lengths is not None and k not in lengths) or k > self.n:
                continue
            room = self.room >= k  # False in the last k − 1 places
            if whole:
                room[: self.n + 1 - k] &= self.bound[: self.n + 1 - k] & self.bound[k:]
            pos = np.flatnonzero(room)
            if not len(pos):
                continue
            h = self.hashes(pos, k)
            maybe = needles.filter[h & _LOW]
            pos, h = pos[maybe], h[maybe]
            where = index.find(h)
            hit = where >= 0
            found_pos.append(pos[hit])
            found_id.append(ids[where[hit]])
        if not found_pos:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        pos = np.concatenate(found_pos)
        ids = np.concatenate(found_id)
        order = np.argsort(pos, kind="stable")
        return pos[order], ids[order]


def group_ranks(keys: np.ndarray) -> np.ndarray:
    """Each row's place among the rows of its key (0 for the first), rows in stream order."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    rank = np.empty(len(k), dtype=np.int64)
    rank[order] = _ranks_in_runs(np.concatenate(([True], k[1:] != k[:-1])))
    return rank


def _ranks_in_runs(new: np.ndarray) -> np.ndarray:
    """Each row's place in its run of rows, a run starting wherever `new` is True (as it
    is at row 0)."""
    starts = np.flatnonzero(new)
    return np.arange(len(new)) - np.repeat(starts, np.diff(np.append(starts, len(new))))


def first_per_group(keys: np.ndarray, cap: int) -> np.ndarray:
    """Indexes of the first `cap` rows of each key, rows being in stream order."""
    return np.flatnonzero(group_ranks(keys) < cap)


class KeyGroups:
    """Rows in stream order, sorted by key once, then grouped by key alone or with columns
    that never decrease along the rows (document, block, sentence of a position in a
    scan): within a key such a column is already in order, so one stable sort serves every
    grouping. What `groups` gives, but in key order, not first-row order."""

    def __init__(self, key: np.ndarray):
        self.order = np.argsort(key, kind="stable")
        k = key[self.order]
        self.new_key = np.ones(len(k), dtype=bool)
        self.new_key[1:] = k[1:] != k[:-1]

    def groups(self, column: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(first, size) of each distinct key, or (key, `column`), keys ascending."""
        starts = np.flatnonzero(self._new(column))
        return self.order[starts], np.diff(np.append(starts, len(self.order)))

    def firsts(self, column: np.ndarray, cap: int) -> np.ndarray:
        """The first row of each distinct (key, `column`), only the first `cap` of each key."""
        starts = np.flatnonzero(self._new(column))
        return self.order[starts[_ranks_in_runs(self.new_key[starts]) < cap]]

    def _new(self, column: np.ndarray | None) -> np.ndarray:
        """Where a group starts, in key order."""
        if column is None:
            return self.new_key
        c = column[self.order]
        new = self.new_key.copy()
        new[1:] |= c[1:] != c[:-1]
        return new


def groups(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, size) of each distinct combination of `columns`: the index of its first row
    and how many rows share it, in the order of the first rows."""
    if not len(columns[0]):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])  # stable: each group's rows stay in row order
    new = np.zeros(len(order), dtype=bool)
    new[0] = True
    for column in columns:
        c = column[order]
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(order)))
    first = order[starts]
    by_row = np.argsort(first)
    return first[by_row], sizes[by_row]
