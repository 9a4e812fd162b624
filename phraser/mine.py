"""Mining: turn a spooled corpus into phrases, slot templates and companion pairs.

The passes, each streaming over the spool so memory follows the bank, not the corpus:

1. **levels** — character n-grams inside Han runs, one length per pass. An n-gram is
   counted only when its (n-1)-prefix or suffix was frequent (Apriori pruning), and the
   same counts give the left/right neighbour entropy of the level below for free.
2. **stats** — over the surviving candidates: jieba-boundary alignment, document and
   block spread, template (A…B) occurrences, and parallel list items. Occurrences are
   found for all strings at once with array operations (`phraser.scan`).
3. **examples** — a few example sentences for the entries chosen after the stats pass.

Scores are explained where they are computed; the README's design section has the why.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import math
import multiprocessing
import os
import tempfile
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from . import text as textmod
from .corpus import Spool
from .lexicon import set_phrases
from .offload import Later
from .scan import (
    BASE,
    Docs,
    HashIndex,
    KeyGroups,
    Layout,
    Needles,
    Scan,
    code_rows,
    first_per_group,
    group_ranks,
    groups,
    row_hashes,
    word_bounds,
)

#: Characters a stock phrase does not start with: particles, conjunctions, prepositions
#: and modal verbs that glue phrases to their context (的工作, 要进一步).
BAD_START = set("的了着过和与及并而或是在就都也又还被把将对从向等之个们地得这那其要会能可所该")
#: Characters a stock phrase does not end with.
BAD_END = set(
    "的了着过和与及并而或是在就都也又还被把将对从向等之个们地得这那其要会能可所该为以后来"
)
#: Single-character words that split a clause: a candidate with one of them standing alone
#: inside is a piece of a sentence, not a phrase.
INNER_BREAKS = set("要是在就都将把被对从向让使")
#: Ordinals and list markers: 一是, 二要, 第三 head enumerations, they are not phrases.
ORDINALS = set("一二三四五六七八九十第")
#: What follows a numeral that opens a list item (一是, 二要, 三抓, 四把) or a span of
#: time (五年来, 十年内).
LIST_MARKS = set("是要抓把年")
#: Quantifiers that open a noun phrase (一些地方, 一批重大), not a stock phrase.
QUANTIFIERS = ("一些", "一批", "一大批", "一部分", "一定", "一种", "一段", "一项", "一次")


def enumerates(gram: str) -> bool:
    """Whether `gram` opens a list item (一是加强, 第三), a span of time (五年来) or a noun
    phrase (一些地方), rather than being a phrase that starts with a numeral (一视同仁,
    一刀切, 三严三实, 四个意识): all of those were dropped before, with 一 an ordinal."""
    return (
        gram[0] == "第"
        or (gram[0] in ORDINALS and gram[1] in LIST_MARKS)
        or gram.startswith(QUANTIFIERS)
    )

#: Normalised entropy (H / log count) on the slot side of a template piece: a slot's
#: neighbours vary, a fixed phrase's do not.
HEAD_ENTROPY = 0.6
TAIL_ENTROPY = 0.35
#: A template's pieces stand 2–15 characters apart: the chance co-occurrence of A and B
#: is spread over that many positions. MIN_LIFT: how far above chance they must be.
SLOT_POSITIONS = 14
MIN_LIFT = 4.0

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class MineParams:
    """Knobs of a build; they are stored in the bank's meta table."""

    min_count: int = 2
    min_len: int = 3
    max_len: int = 8
    min_pmi: float = 1.5
    min_entropy: float = 0.3
    min_fillers: int = 3
    examples: int = 3
    block_chars: int = 0  # 0: chosen from the corpus size

    def resolved_block_chars(self, total_chars: int) -> int:
        if self.block_chars:
            return self.block_chars
        return max(1500, total_chars // 300)


#: The entries' classes have slots: a large build holds a million examples and half a
#: million entries, and an instance dict each doubled the objects made, held and freed.
@dataclass(slots=True)
class Example:
    doc: int
    line: int
    col: int
    sentence: str


class Examples:
    """Makes `Example`s from places, each sentence string kept once: one sentence shows
    several phrases, templates and pairs (on the large corpus 928K examples after the stats
    pass, ≈ 180 MB of them sentence copies)."""

    def __init__(self) -> None:
        self._sentences: dict[str, str] = {}

    def __call__(self, place: tuple[int, int, int, str]) -> Example:
        doc, line, col, sentence = place
        return Example(doc, line, col, self._sentences.setdefault(sentence, sentence))


class DocCounts(Sequence):
    """(document index, occurrences) of one phrase in each document it is in, packed in
    one array: on a 100M-character corpus of 52 documents the candidates' pairs were
    ≈ 11 million tuples in lists (≈ 70 bytes each, against 16 here)."""

    __slots__ = ("flat",)

    def __init__(self, flat: array):
        self.flat = flat  # document, occurrences, document, occurrences, …

    def __len__(self) -> int:
        return len(self.flat) // 2

    def __getitem__(self, i):
        return list(self)[i]  # rarely asked: the bank iterates

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.flat[::2], self.flat[1::2], strict=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"DocCounts({list(self)!r})"


@dataclass(slots=True)
class PhraseStat:
    text: str
    count: int
    pmi: float
    left_entropy: float
    right_entropy: float
    doc_count: int = 0
    #: (document index, occurrences) for each document the phrase occurs in.
    in_docs: Sequence[tuple[int, int]] = field(default_factory=list)
    block_count: int = 0
    dispersion: float = 0.0
    aligned: float = 0.0
    score: float = 0.0
    source: str = "mined"
    words: tuple[str, ...] = ()
    examples: list[Example] = field(default_factory=list)


@dataclass(slots=True)
class TemplateStat:
    prefix: str
    suffix: str
    count: int
    fillers: Counter
    score: float = 0.0
    doc_count: int = 0
    examples: list[Example] = field(default_factory=list)
    in_docs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"{self.prefix}……{self.suffix}"


@dataclass(slots=True)
class PairStat:
    a: str
    b: str
    count: int
    score: float = 0.0
    pmi: float = 0.0
    examples: list[Example] = field(default_factory=list)


@dataclass
class MineResult:
    phrases: list[PhraseStat]
    templates: list[TemplateStat]
    pairs: list[PairStat]
    chars: int
    han_chars: int


@functools.cache
def tokenizer():
    """Our own jieba instance, quiet, loaded once per process on first use (≈1 s).

    Loaded in a thread of its own: loading leaves reference cycles of frames (exceptions
    caught by the import system), and a frame links to its caller's, so loaded from deep
    in a build they kept that build's whole mining state alive until a cycle collection
    (4M objects on a large corpus, with the collector off for the build)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_load_tokenizer).result()


def _load_tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


@functools.cache
def _fast_cut():
    """jieba-rs (the `rjieba` binding) when installed: jieba's own dictionary and
    algorithm (DAG, most probable route; no HMM), so the same words, about 12 times
    faster — tokenizing every clause is the largest cost of mining. None without it."""
    try:
        import rjieba
    except ImportError:
        return None
    return rjieba.cut


def segment(text: str) -> list[str]:
    """jieba's words of `text` (HMM off), by the fastest implementation available."""
    fast = _fast_cut()
    if fast is not None:
        return fast(text, False)
    return tokenizer().lcut(text, HMM=False)


def phrase_words(text: str, tok=None) -> tuple[str, ...]:
    """A phrase's words, fine-grained: a long dictionary word whose halves are words
    too is split (深化改革 → 深化·改革), so a reworded variant can find each part."""
    tok = tok or tokenizer()
    out: list[str] = []
    freq = tok.FREQ
    for w in segment(text):
        half = len(w) // 2
        if len(w) >= 4 and len(w) % 2 == 0 and freq.get(w[:half]) and freq.get(w[half:]):
            out += [w[:half], w[half:]]
        else:
            out.append(w)
    return tuple(out)


def words_of(texts: list[str]) -> list[tuple[str, ...]]:
    """`phrase_words` of each of `texts`."""
    tok = tokenizer()
    return [phrase_words(t, tok) for t in texts]


def phrase_score(
    text: str, count: int, pmi: float, freedom: float, spread: float, aligned: float
) -> float:
    """log(1+count) × cohesion × freedom × dispersion^1.5 × alignment × length prior."""
    length_prior = {2: 0.5, 3: 0.75, 4: 1.0, 5: 0.9, 6: 0.85}.get(len(text), 0.75)
    return (
        math.log1p(count)
        * min(1.0, pmi / 6)
        * (0.25 + min(1.0, freedom))
        * spread**1.5
        * (0.25 + 0.75 * aligned)
        * length_prior
    )


def dispersion(count: int, blocks: int, total_blocks: int) -> float:
    """Blocks an item occurs in over the blocks expected if its occurrences fell at random.

    1.0 for an item spread like a stock formulation; a domain term (特种设备) clusters in
    the speech about it and scores low.
    """
    if total_blocks <= 1:
        return 1.0
    expected = total_blocks * (1 - (1 - 1 / total_blocks) ** count)
    return min(1.0, blocks / expected) if expected else 0.0


def _entropy(count: int, sum_clogc: float) -> float:
    """Neighbour entropy where each clause boundary counts as a distinct neighbour.

    With S occurrences and neighbour counts c_i, boundaries contribute (b/S)·log S,
    and the total collapses to log S − Σ c_i log c_i / S.
    """
    if count <= 1:
        return 0.0
    return max(0.0, math.log(count) - sum_clogc / count)


class ListCounts:
    """Streaming counts of parallel list items and of the pairs they form, with the places
    where each pair was first counted (its examples: the two side by side in a list).

    A pair is counted under its two phrases in code point order and named the way it was
    first seen (`pairs`): runs' counts then merge with Counter's own update."""

    def __init__(self, cap: int) -> None:
        self.items: Counter = Counter()
        self.extra: Counter = Counter()
        self._pairs: Counter = Counter()
        self._named: dict[tuple[str, str], tuple[str, str]] = {}
        self.cap = cap
        #: Each pair's first `cap` places: text offsets while a run is read, then
        #: (document, line, column, sentence) from `place`.
        self.shown: dict[tuple[str, str], list] = {}

    @property
    def pairs(self) -> dict[tuple[str, str], int]:
        """Each pair's count, in the order first seen, named as first seen."""
        return {self._named[key]: n for key, n in self._pairs.items()}

    def examples(self, pair: tuple[str, str]) -> list:
        """The first places of a pair named as in `pairs`."""
        a, b = pair
        return self.shown.get((a, b) if a < b else (b, a), [])

    def merge(self, later: ListCounts) -> None:
        """Add the counts of a later run of documents; a pair keeps the name it was first
        seen under, and its first places, as one pass would."""
        self.items.update(later.items)
        self.extra.update(later.extra)
        self._pairs.update(later._pairs)
        for key in later._named.keys() - self._named.keys():
            self._named[key] = later._named[key]
        for key, places in later.shown.items():
            mine = self.shown.setdefault(key, [])
            if len(mine) < self.cap:
                mine += places[: self.cap - len(mine)]

    def add(self, items: list[tuple[int, str]], cands: dict) -> None:
        """Count one sentence's list items, given as (text offset, item).

        An item is a phrase when it is one, or (first/last item) when it ends/starts with
        one. A four-character item standing whole beside a whole four-character phrase is
        taken even when seen once: the parallel list is the evidence.
        """
        texts = [item for _at, item in items]
        last = len(texts) - 1
        run = [
            item if item in cands else _item_phrase(item, cands, idx < last, idx > 0)
            for idx, item in enumerate(texts)
        ]
        for idx, item in enumerate(texts):
            if run[idx] is not None or len(item) != 4 or item[0] in BAD_START:
                continue
            if item[-1] in BAD_END or not textmod.HAN_RUN.fullmatch(item):
                continue
            if (idx > 0 and len(texts[idx - 1]) == 4 and texts[idx - 1] in cands) or (
                idx < last and len(texts[idx + 1]) == 4 and texts[idx + 1] in cands
            ):
                run[idx] = item
                self.extra[item] += 1
        named, pairs, shown, cap = self._named, self._pairs, self.shown, self.cap
        self.items.update(a for a in run if a is not None)
        for i, a in enumerate(run):
            if a is None:
                continue
            for b in run[i + 1 : i + 3]:
                if b is not None and b != a:
                    key = (a, b) if a < b else (b, a)
                    pairs[key] += 1
                    if key not in named:
                        named[key] = (a, b)
                    where = shown.setdefault(key, [])
                    if len(where) < cap:
                        at, item = items[i]
                        where.append(at if item.startswith(a) else at + len(item) - len(a))

    def place(self, scan: Scan) -> None:
        """Turn a run's text offsets into places, before the counts leave its worker."""
        keys = list(self.shown)
        sizes = [len(self.shown[key]) for key in keys]
        flat = np.fromiter((at for key in keys for at in self.shown[key]), dtype=np.int64)
        places = iter(scan.places(flat)) if len(flat) else iter(())
        self.shown = {
            key: [next(places) for _ in range(n)] for key, n in zip(keys, sizes, strict=True)
        }


def _item_phrase(item: str, cands: dict, before: bool, after: bool) -> str | None:
    """The phrase at an edge of a list item that is not one itself: at its end when an
    item follows (`before`), at its start when one precedes (`after`).

    An item often carries a lead-in (各地要主动作为, 环境保护是功在当代) or a tail (利在千秋的
    崇高事业); the phrase next to the separator is the list member.
    """
    if len(item) < 4 or not textmod.HAN_RUN.fullmatch(item):
        return None
    longest = min(8, len(item) - 1)
    if before:
        for k in range(longest, 2, -1):
            if item[-k:] in cands:
                return item[-k:]
    if after:
        for k in range(longest, 2, -1):
            if item[:k] in cands:
                return item[:k]
    return None


#: Distinct fillers a template keeps, the most frequent first.
MAX_FILLERS = 200
#: Documents are scanned in runs of about this many characters: a scan's arrays take
#: ≈ 60 bytes a character, so memory stays bounded whatever the size of the corpus.
SCAN_CHARS = 4_000_000
#: With several workers runs are cut smaller, about a corpus share each, so the last runs
#: do not leave a core idle; not below this, where a run's fixed costs would show.
MIN_RUN_CHARS = 1_000_000
#: A single run's words are cut by several processes only from this size: below it the
#: forks cost more than they save.
PARALLEL_CUT_CHARS = 1_000_000
#: Processes a build uses at most unless told: each holds a run's arrays.
MAX_WORKERS = 4
#: Phrases from which their words are cut by a second process (with several workers):
#: below, loading jieba there costs what it saves.
BACKGROUND_WORDS = 20_000


def default_workers() -> int:
    """The cores this process may use, at most `MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


class PhraseCounts:
    """What the stats pass learns about each candidate phrase, scan by scan: how often it
    stands on word boundaries, the blocks and documents it is in, its first examples (one
    per block, so they come from different parts of the corpus)."""

    def __init__(self, texts: list[str], cap: int, example: Examples):
        self.needles = Needles(texts)
        self.example = example
        n = len(texts)
        self.lens = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        self.aligned = np.zeros(n, dtype=np.int64)
        self.blocks = np.zeros(n, dtype=np.int64)
        self._docs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.examples: list[list[Example]] = [[] for _ in texts]
        self._shown = np.zeros(n, dtype=np.int64)  # examples taken of each
        self.cap = cap

    def measure(self, scan: Scan) -> tuple:
        """One run's share, to `merge` in run order (possibly measured in a worker)."""
        n = len(self.lens)
        pos, cid = scan.find(self.needles)
        whole = scan.bound[pos] & scan.bound[pos + self.lens[cid]]
        aligned = np.bincount(cid[whole], minlength=n)
        doc = scan.doc_of(pos)
        by = KeyGroups(cid)
        block = scan.blocks(pos, doc)
        blocks = np.bincount(cid[by.groups(block)[0]], minlength=n)
        at, size = by.groups(doc)  # a phrase's documents come in document order
        # 32-bit columns: a 100M-character corpus has ≈ 11M (phrase, document) pairs.
        in_docs = (cid[at], scan.docs.idx[doc[at]].astype(np.int32), size.astype(np.int32))
        shown = by.firsts(block, self.cap)  # one example a block
        return aligned, blocks, in_docs, (cid[shown], scan.places(pos[shown]))

    def merge(self, part: tuple) -> None:
        """Add a run's share: counts as arrays, documents kept for `doc_counts`, and the
        examples of phrases that still have fewer than `cap` (Python only for those)."""
        aligned, blocks, docs, (shown, places) = part
        self.aligned += aligned
        self.blocks += blocks
        self._docs.append(docs)
        if not len(shown):
            return
        take = _still_short(self._shown, shown, self.cap)
        examples, example = self.examples, self.example
        for c, i in zip(shown[take].tolist(), take.tolist(), strict=True):
            examples[c].append(example(places[i]))

    def doc_counts(self) -> list[DocCounts]:
        """Each phrase's (document, occurrences) in document order, from every run's."""
        n = len(self.lens)
        if not self._docs:
            return [DocCounts(array("q")) for _ in range(n)]
        cids, docs, sizes = (np.concatenate(c) for c in zip(*self._docs, strict=True))
        # The runs' columns go before the sort's arrays come: on a 100M-character corpus
        # all of them at once were ≈ 0.9 GB of the build's peak.
        self._docs = []
        order = np.argsort(cids, kind="stable")  # runs and their documents are in order
        flat = np.empty(2 * len(order), dtype=np.int64)
        flat[0::2] = docs[order]
        del docs
        flat[1::2] = sizes[order]
        del sizes
        # Each phrase's share of `flat`, in bytes.
        bounds = (16 * np.searchsorted(cids[order], np.arange(n + 1))).tolist()
        data = memoryview(flat).cast("B")
        out = []
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            pairs = array("q")
            pairs.frombytes(data[a:b])
            out.append(DocCounts(pairs))
        return out


class TemplateCounts:
    """Occurrences of A…B patterns, scan by scan, as arrays: A a head piece ending on a
    word boundary, B a tail piece on word boundaries, 2–15 characters of whole words
    between them in one clause. Fillers are kept as hashes with their first position;
    only the templates chosen get their filler strings and examples, at the end."""

    def __init__(self, heads: list[str], tails: list[str]):
        self.heads, self.tails = heads, tails
        self.head_needles, self.tail_needles = Needles(heads), Needles(tails)
        self.head_len = np.array([len(h) for h in heads], dtype=np.int64)
        self.tail_len = np.array([len(t) for t in tails], dtype=np.int64)
        self.parts: list[dict[str, np.ndarray]] = []
        #: Corpus counts of each head and tail (set by the miner).
        self.head_counts = np.ones(len(heads))
        self.tail_counts = np.ones(len(tails))
        #: Each scan's text and documents: filler strings and examples are cut from them.
        self.texts: list[tuple[str, Docs, int, int]] = []
        self.seen = 0

    def measure(self, scan: Scan, cap: int) -> tuple[dict[str, np.ndarray], tuple]:
        """One run's share, to `merge` in run order (possibly measured in a worker)."""
        a, b, i, j = self._occurrences(scan)
        key = a.astype(np.int64) * max(1, len(self.tails)) + b
        doc = scan.doc_of(i)
        by = KeyGroups(key)  # a run's patterns, their documents and sentences, in key order
        first, count = by.groups()
        block_keys, blocks = np.unique(key[by.groups(scan.blocks(i, doc))[0]], return_counts=True)
        at, per_doc = by.groups(doc)
        # 的 closing a filler belongs to the template's wording: 推进……的建设 is 推进……建设.
        ends = np.where((scan.codes[np.maximum(j - 1, 0)] == ord("的")) & (j - i > 2), j - 1, j)
        fh = scan.hashes(i, ends - i)
        f_first, f_count = groups(key, fh)
        shown = by.firsts(scan.sentence_start[i], cap)
        part = {
            "key": key[first],
            "count": count,
            "block_key": block_keys,
            "blocks": blocks,
            "doc_key": key[at],
            "doc": scan.docs.idx[doc[at]],
            "doc_n": per_doc.astype(np.int32),
            "f_key": key[f_first],
            "f_hash": fh[f_first],
            "f_count": f_count.astype(np.int32),
            "f_rank": f_first,
            "f_pos": i[f_first] + scan.offset,
            "f_len": (ends - i)[f_first].astype(np.int16),
            "ex_key": key[shown],
            "ex_pos": i[shown] - self.head_len[a[shown]] + scan.offset,
            "rows": np.array([len(key)]),
        }
        return part, (scan.text, scan.docs, scan.block_chars, scan.offset)

    def merge(self, part: dict[str, np.ndarray], text: tuple) -> None:
        part["f_rank"] = part["f_rank"] + self.seen  # ranks run on across runs
        self.seen += int(part.pop("rows")[0])
        self.parts.append(part)
        self.texts.append(text)

    def _occurrences(self, scan: Scan):
        """(head id, tail id, slot start, slot end) of every A…B, in the order one reads
        them: by tail position, longer tail first, then slot start, shorter head first."""
        n = scan.n
        hp, hid = scan.find(self.head_needles, whole=True)
        hk = self.head_len[hid]
        ends = {}
        for la in (1, 2):
            at = np.full(n + 1, -1, dtype=np.int32)
            sel = hk == la
            at[hp[sel] + la] = hid[sel]
            ends[la] = at
        tp, tid = scan.find(self.tail_needles, whole=True)
        tk = self.tail_len[tid]
        ok = tp - scan.run_start[tp] >= 3
        tp, tid, tk = tp[ok], tid[ok], tk[ok]
        rs = scan.run_start[tp]
        cols: list[list[np.ndarray]] = [[], [], [], [], [], []]
        for gap in range(2, 16):
            i = tp - gap
            for la in (1, 2):
                sel = np.flatnonzero(i - la >= rs)
                h = ends[la][i[sel]]
                hit = sel[h >= 0]
                for col, v in zip(
                    cols, (h[h >= 0], tid[hit], i[hit], tp[hit], tk[hit], la), strict=True
                ):
                    col.append(np.broadcast_to(v, hit.shape) if np.ndim(v) == 0 else v)
        a, b, i, j, k, la = (np.concatenate(c) if c else np.zeros(0, np.int64) for c in cols)
        order = np.lexsort((la, i, -k, j))
        return a[order], b[order], i[order], j[order]

    def totals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(keys, count, blocks, most fillers) of every pattern over all scans; a filler
        seen in two scans is counted in each, so the last is a bound, exact for one scan."""
        keys, inverse = np.unique(
            np.concatenate([p["key"] for p in self.parts]), return_inverse=True
        )
        count = np.bincount(inverse, weights=np.concatenate([p["count"] for p in self.parts]))

        def per_key(column: str, weights: str | None = None) -> np.ndarray:
            where = np.searchsorted(keys, np.concatenate([p[column] for p in self.parts]))
            w = np.concatenate([p[weights] for p in self.parts]) if weights else None
            return np.bincount(where, weights=w, minlength=len(keys)).astype(np.int64)

        return keys, count.astype(np.int64), per_key("block_key", "blocks"), per_key("f_key")

    def rows(self, prefix: str, keys: np.ndarray) -> dict[str, np.ndarray]:
        """The `prefix` columns of all scans (f_, doc, ex_), for patterns in `keys` only."""
        key_column = {"f_": "f_key", "doc": "doc_key", "ex_": "ex_key"}[prefix]
        names = [n for n in self.parts[0] if n.startswith(prefix)]
        out: dict[str, list[np.ndarray]] = {n: [] for n in names}
        for part in self.parts:
            mask = np.isin(part[key_column], keys)
            for n in names:
                out[n].append(part[n][mask])
        return {n: np.concatenate(v) for n, v in out.items()}

    def fillers(self, keys: np.ndarray) -> dict[str, np.ndarray]:
        """The distinct fillers of the patterns in `keys`, summed over scans, each with
        its first position (and rank: the order one reading would meet them)."""
        f = self.rows("f_", keys)
        order = np.lexsort((f["f_rank"], f["f_hash"], f["f_key"]))
        fk, fh = f["f_key"][order], f["f_hash"][order]
        new = np.ones(len(order), dtype=bool)
        new[1:] = (fk[1:] != fk[:-1]) | (fh[1:] != fh[:-1])
        starts = np.flatnonzero(new)
        out = {n: f[n][order[starts]] for n in ("f_key", "f_rank", "f_pos", "f_len")}
        counts = f["f_count"][order].astype(np.int64)
        out["f_count"] = np.add.reduceat(counts, starts) if len(order) else counts
        return out

    def _run_of(self, pos: np.ndarray) -> np.ndarray:
        """Which scanned run each corpus position falls in."""
        offsets = np.array([t[3] for t in self.texts])
        return np.searchsorted(offsets, pos, side="right") - 1

    def cut(self, pos: np.ndarray, size: np.ndarray) -> list[str]:
        """The strings at corpus positions `pos`."""
        which = self._run_of(pos)
        return [
            self.texts[w][0][q - self.texts[w][3] : q - self.texts[w][3] + n]
            for w, q, n in zip(which.tolist(), pos.tolist(), size.tolist(), strict=True)
        ]

    def places(self, pos: np.ndarray) -> list[tuple[int, int, int, str]]:
        """(document, line, column, sentence) of corpus positions, in the order given."""
        which = self._run_of(pos)
        out: list = [None] * len(pos)
        for w in np.unique(which).tolist():
            text, docs, block_chars, offset = self.texts[w]
            layout = Layout([text], docs, block_chars, offset)
            rows = np.flatnonzero(which == w)
            for r, place in zip(rows.tolist(), layout.places(pos[rows] - offset), strict=True):
                out[r] = place
        return out


#: The levels read the corpus's Han text in chunks of this many characters; a chunk's
#: arrays take ≈ 60 bytes a character, whatever the size of the corpus.
LEVEL_CHARS = 2_000_000
_B = np.uint64(BASE)


class HanText:
    """Every Han run of the corpus, each followed by a 0, as 16-bit codes in a temporary
    file (Han characters are all in the BMP): the levels read it once a level, a chunk at
    a time, so their memory does not follow the corpus size, and no level parses the
    spool again."""

    def __init__(self, bodies: Iterable[str], folder: Path | None = None):
        self.file = tempfile.TemporaryFile(prefix=".levels-", dir=folder)
        self.size = 0
        for body in bodies:
            runs = textmod.HAN_RUN.findall(body)
            if runs:
                self.size += len(runs) + sum(map(len, runs))
                self.file.write(("\x00".join(runs) + "\x00").encode("utf-16-le"))
        self.file.flush()

    def __enter__(self) -> HanText:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def read(self, start: int, stop: int) -> np.ndarray:
        """The codes from `start` to `stop` (fewer at the end)."""
        self.file.seek(2 * start)
        return np.frombuffer(self.file.read(2 * (min(stop, self.size) - start)), np.uint16)

    def chunks(self, overlap: int) -> Iterator[tuple[int, np.ndarray]]:
        """(start, codes) of each chunk, with `overlap` codes of the next one."""
        for start in range(0, self.size, LEVEL_CHARS):
            yield start, self.read(start, start + LEVEL_CHARS + overlap)

    def codes_at(self, pos: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The `size` codes at each of `pos` (a row each), and the rows' order in code
        point order of the strings they spell."""
        codes = np.zeros((len(pos), size), dtype=np.uint16)
        order = np.argsort(pos, kind="stable")
        at = pos[order]
        for start, chunk in self.chunks(size):
            lo, hi = np.searchsorted(at, [start, start + LEVEL_CHARS])
            codes[order[lo:hi]] = chunk[(at[lo:hi] - start)[:, None] + np.arange(size)]
        return codes, np.lexsort(codes.T[::-1])


@dataclass
class Level:
    """The frequent n-grams of one length: hashes, counts and code points (a row each) in
    their order, and that order's indexes in code point order (`lex`). Strings are made
    only for the n-grams asked for (`strings`): most are never named."""

    hashes: np.ndarray
    counts: np.ndarray
    codes: np.ndarray
    lex: np.ndarray

    def __post_init__(self) -> None:
        self.index = HashIndex(self.hashes)

    def strings(self, rows: np.ndarray) -> list[str]:
        """The n-grams of `rows` (indexes in code point order) as strings, in that order."""
        size = self.codes.shape[1]
        joined = self.codes[self.lex[rows]].tobytes().decode("utf-16-le")
        return [joined[i : i + size] for i in range(0, len(joined), size)]


class Tally:
    """Distinct n-grams over chunks: counts summed, a position, the first and last
    character and the index of the head and tail (n−1)-grams in the level below (−1 when
    not frequent). Chunks' tables are merged once they add up to the merged one, so each
    row is merged O(log chunks) times. `below` is the size of the level below (see
    `_gram_keys`)."""

    COLUMNS = ("hash", "count", "pos", "first", "last", "head", "tail")

    def __init__(self, below: int) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.bits = _key_bits(below)

    def add(self, part: tuple[np.ndarray, ...]) -> None:
        self.parts.append(part)
        if sum(len(p[0]) for p in self.parts[1:]) >= len(self.parts[0][0]):
            self.parts = [self._merged()]

    def _merged(self) -> tuple[np.ndarray, ...]:
        if len(self.parts) == 1:
            return self.parts[0]
        cols = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        self.parts = []
        _hash, count, _pos, first, last, head, tail = cols
        keys = _gram_keys(first, last, head, tail, self.bits)
        keep, count = _distinct(keys, self.bits, count, runs=True)  # each part in key order
        return (cols[0][keep], count, *(c[keep] for c in cols[2:]))

    def result(self) -> dict[str, np.ndarray]:
        """The merged columns by name (none when no chunk had any)."""
        if not self.parts:
            return {c: np.zeros(0, np.uint64 if c == "hash" else np.int64) for c in self.COLUMNS}
        return dict(zip(self.COLUMNS, self._merged(), strict=True))


def _key_bits(below: int) -> int:
    """The bits of `_gram_keys` over a level below of `below` n-grams."""
    return max(1, (below - 1).bit_length()) + 17


def _gram_keys(
    first: np.ndarray, last: np.ndarray, head: np.ndarray, tail: np.ndarray, bits: int
) -> np.ndarray:
    """An n-gram whose head or tail (n−1)-gram is frequent, exactly, in `bits` bits (see
    `_key_bits`): its head's index in the level below and its last character, or when the
    head is not frequent a flag, its tail's index and its first character. No two n-grams
    share a key, whatever their hashes, and the keys are small enough to sort with their
    row numbers packed below them (see `_distinct`)."""
    flag = np.uint64(1 << (bits - 1))
    by_head = (head.astype(np.uint64) << np.uint64(16)) | last.astype(np.uint64)
    by_tail = flag | (tail.astype(np.uint64) << np.uint64(16)) | first.astype(np.uint64)
    return np.where(head >= 0, by_head, by_tail)


def _distinct(
    keys: np.ndarray, bits: int = 64, weights: np.ndarray | None = None, runs: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(an index of each distinct value of `keys` (below 2**`bits`), in increasing order;
    how many times it occurs, or the sum of its `weights`). Which of the equal keys is
    indexed does not matter: they stand for the same n-gram. `runs`: see `_sorted`."""
    order, s = _sorted(keys, bits, runs)
    n = len(keys)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1]))) if n else order
    if weights is None:
        count = np.diff(np.append(starts, n))
    else:
        count = np.add.reduceat(weights[order], starts) if n else weights
    return order[starts], count


def _sorted(keys: np.ndarray, bits: int = 64, runs: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(an order that sorts `keys` (below 2**`bits`), the sorted keys). When the keys'
    bits and their row numbers' fit in 64, each row number is packed below its key and
    the packed values sorted: a plain sort of integers takes half the time of `argsort`
    and its gather (the levels' sorts were ≈ a third of their time). `runs`: the keys
    come mostly in increasing runs (merged chunks, each in key order), which a stable sort
    (numpy's timsort) merges in a fraction of a quicksort's time. Equal keys come in no
    set order either way."""
    n = len(keys)
    row_bits = max(1, (n - 1).bit_length())
    kind = "stable" if runs else None
    if bits + row_bits > 64:
        order = np.argsort(keys, kind=kind)
        return order, keys[order]
    shift = np.uint64(row_bits)
    packed = (keys.astype(np.uint64) << shift) | np.arange(n, dtype=np.uint64)
    packed.sort(kind=kind)
    return (packed & np.uint64((1 << row_bits) - 1)).astype(np.int64), packed >> shift


def _in_threads(work: Callable, items: Iterable[tuple], threads: int) -> Iterator:
    """`work(*item)` of each item, in order, `threads` at a time: numpy lets go of the
    GIL in its loops over big arrays, so threads share the levels' chunks without the
    copies of forked processes; at most one more item than threads is read ahead."""
    if threads <= 1:
        yield from itertools.starmap(work, items)
        return
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(work, *item))
            if len(pending) > threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _extension_part(start: int, codes: np.ndarray, n: int, prev: Level) -> tuple | None:
    """One chunk's distinct n-grams whose head or tail (n−1)-gram is in `prev`."""
    w = len(codes) - n + 2  # (n−1)-windows inside the chunk
    k = min(LEVEL_CHARS, len(codes) - n + 1)  # n-windows starting in the chunk
    if k <= 0:
        return None
    h = codes[:w].astype(np.uint64) + np.uint64(1)
    for t in range(1, n - 1):
        h *= _B
        h += codes[t : t + w]
        h += np.uint64(1)
    zeros = np.concatenate(([0], np.cumsum(codes == 0, dtype=np.int32)))
    valid = np.flatnonzero(zeros[n - 1 : n - 1 + w] == zeros[:w])
    del zeros
    found = np.full(w, -1, dtype=np.int32)
    found[valid] = prev.index.find(h[valid])
    head, tail = found[:k], found[1 : k + 1]
    first, last = codes[:k], codes[n - 1 : n - 1 + k]
    at = np.flatnonzero(((head >= 0) | (tail >= 0)) & (first != 0) & (last != 0))
    bits = _key_bits(len(prev.hashes))
    where, count = _distinct(_gram_keys(first[at], last[at], head[at], tail[at], bits), bits)
    at = at[where]
    full = h[at] * _B + last[at] + np.uint64(1)
    return full, count, at + start, first[at], last[at], head[at], tail[at]


def _entropy_sums(grams: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Σ c·log c of the n-grams into their tail (left) and head (right) (n−1)-grams, the
    level below's `size` of them, added in code point order of the other character (as
    a pass over sorted strings would add them: floating-point sums depend on it)."""
    clogc = grams["count"] * np.log(grams["count"])
    sums = []
    for side, other in (("tail", "first"), ("head", "last")):
        sel = np.flatnonzero(grams[side] >= 0)
        which = grams[side][sel]
        bits = _key_bits(size) - 1  # `_gram_keys`' shape, without its flag bit
        key = (which.astype(np.uint64) << np.uint64(16)) | grams[other][sel].astype(np.uint64)
        order, _ = _sorted(key, bits, runs=True)  # in `_gram_keys` order: heads sorted
        sums.append(np.bincount(which[order], weights=clogc[sel][order], minlength=size))
    return sums[0], sums[1]


#: What a forked process calls (`_in_fork`, the stats pass's workers): inherited by
#: fork, not pickled.
_FORKED: Callable | None = None
T = TypeVar("T")


class _in_fork:  # noqa: N801 (used as a context manager, like a function)
    """`call()` in a forked process while the caller goes on; `with _in_fork(…) as result`
    gives a function that waits for it (pickled back). Called here and now when not
    `fork`.

    The call is not kept once the process is forked, so the caller's references to what
    it reads may go at once (a context manager made by `contextlib` keeps its arguments,
    and so would keep the template counts through the examples pass). A process that
    dies (killed for memory, say) raises `BrokenProcessPool` instead of leaving the
    caller waiting forever."""

    def __init__(self, call: Callable[[], T], fork: bool):
        self.pool: ProcessPoolExecutor | None = None
        if not fork:
            self.value = call()
            return
        global _FORKED
        _FORKED = call
        try:  # the process is forked on the first submit
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
            self.future = self.pool.submit(_call_forked)
        finally:
            _FORKED = None

    def result(self) -> T:
        return self.value if self.pool is None else self.future.result()

    def __enter__(self) -> Callable[[], T]:
        return self.result

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _call_forked(*args):
    return _FORKED(*args)


class Miner:
    """One build's mining state. Use `run()`; the passes are methods for testing."""

    def __init__(
        self,
        spool: Spool,
        params: MineParams,
        progress: Progress | None = None,
        extra: Iterable[str] = (),
        workers: int = 1,
    ):
        self.spool = spool
        self.p = params
        self.progress = progress
        self.extra = list(dict.fromkeys(extra))
        self.workers = max(1, workers)
        self.left: dict[str, float] = {}
        self.right: dict[str, float] = {}
        #: The n-grams free enough at both ends to be candidates, in counting order, and
        #: their (counts, left entropies, right entropies) a level at a time.
        self.entropic: list[str] = []
        self._entropic_stats: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        #: Template pieces (see `template_pieces`) and their counts.
        self.heads: dict[str, int] = {}
        self.tails: dict[str, int] = {}
        #: How often each character (by code) occurs.
        self._chars = np.zeros(0, dtype=np.int64)
        self.han_chars = 0
        self.example = Examples()
        self._bases: list[int] | None = None
        #: The stats pass's word boundaries, cut ahead by a second process (`precut`).
        self._bounds: Later | None = None
        #: Each level's frequent n-grams: the counts of every n-gram (see `counts_of`).
        self._levels: dict[int, Level] = {}

    # -- helpers -----------------------------------------------------------------

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    def _runs(self) -> list[tuple[list[int], int]]:
        """The corpus as runs of whole documents, `SCAN_CHARS` at most (less for several
        workers) unless one document is longer: (their indexes in the spool, the run's
        offset in the whole corpus)."""
        runs: list[tuple[list[int], int]] = []
        size = offset = 0
        limit = SCAN_CHARS
        if self.workers > 1:
            share = -(-self.spool.chars // (2 * self.workers))
            limit = min(SCAN_CHARS, max(MIN_RUN_CHARS, share))
        for k, info in enumerate(self.spool.docs):
            if not runs or size + info.chars > limit:
                runs.append(([], offset))
                size = 0
            runs[-1][0].append(k)
            size += info.chars + 1
            offset += info.chars + 1
        return runs

    def _scan(
        self, run: tuple[list[int], int], cut: int = 0, bounds: np.ndarray | None = None
    ) -> Scan:
        """One run as a `Scan`, its words cut by `cut` processes (not at all when 0) unless
        its `bounds` were cut ahead (bit-packed, see `cut_runs`). Block numbers count on
        across documents, a new document opening a new block."""
        block_chars = self.p.resolved_block_chars(self.spool.chars)
        docs = self.spool.docs
        ks, offset = run
        if self._bases is None:
            bases, base = [], 0
            for info in docs:
                bases.append(base)
                base += info.chars // block_chars + 1
            self._bases = bases
        bodies = self.spool.texts_of(ks)
        starts = np.cumsum([0] + [len(body) + 1 for body in bodies[:-1]])
        layout = Docs(
            np.array([docs[k].idx for k in ks], dtype=np.int64),
            starts.astype(np.int64),
            np.array([self._bases[k] for k in ks], dtype=np.int64),
        )
        scan = Scan(bodies, layout, block_chars, offset)
        if bounds is not None:
            scan.bound = np.unpackbits(bounds, count=scan.n + 1).view(bool)
        elif cut:
            scan.cut(cut if scan.n >= PARALLEL_CUT_CHARS else 1)
        return scan

    def precut(self) -> None:
        """Start cutting the stats pass's words in a second process, with several workers
        and runs: they depend on the text alone, so they are cut while this process picks
        the candidates on one core, not later when every core is busy."""
        runs = self._runs()
        if self.workers > 1 and len(runs) > 1:
            self._bounds = Later(cut_runs, self.spool, [ks for ks, _ in runs], background=True)

    def _over_runs(self, work: Callable[[Scan], T], stage: str, cut: bool = False) -> Iterator[T]:
        """`work` on every run's `Scan` (its words cut when `cut`), the results in run order,
        reporting progress. With several workers the runs go to forked processes, which
        cut their own words; else one by one here, the words cut by all the workers.

        An executor, not a Pool: a worker the system kills raises `BrokenProcessPool`
        here, where a Pool would wait for it forever."""
        runs = self._runs()
        if self.workers > 1 and len(runs) > 1:
            global _FORKED
            bounds = [None] * len(runs)
            if cut and self._bounds is not None:
                bounds, self._bounds = self._bounds.get(), None
            _FORKED = lambda k: work(self._scan(runs[k], int(cut), bounds[k]))  # noqa: E731
            try:
                fork = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(self.workers, mp_context=fork) as pool:
                    parts = pool.map(_call_forked, range(len(runs)))
                    yield from self._reported(stage, runs, parts)
            finally:
                _FORKED = None
        else:
            parts = (work(self._scan(run, self.workers if cut else 0)) for run in runs)
            yield from self._reported(stage, runs, parts)

    def _reported(self, stage: str, runs: list, parts: Iterable[T]) -> Iterator[T]:
        done = 0
        for run, part in zip(runs, parts, strict=True):
            yield part
            done += sum(self.spool.docs[k].chars for k in run[0])
            self._report(stage, done, self.spool.chars)

    def _measure(self, scan: Scan, cands: dict, phrases: PhraseCounts, templates: TemplateCounts):
        """The stats pass over one run: phrase, template and list counts."""
        lists = ListCounts(self.p.examples)
        for items in textmod.parallel_lists(scan.text):
            lists.add(items, cands)
        lists.place(scan)
        return phrases.measure(scan), templates.measure(scan, self.p.examples), lists

    def _bodies(self, stage: str) -> Iterator[str]:
        """Every document's text, in spool order, reporting progress."""
        done = 0
        for info, body in self.spool.texts():
            yield body
            done += info.chars
            self._report(stage, done, self.spool.chars)

    # -- pass 1: levels ----------------------------------------------------------

    def count_levels(self) -> None:
        """Count the n-grams of every clause, level by level, and the neighbour entropies
        of the frequent ones, with memory that follows the distinct n-grams counted, not
        the corpus.

        The Han text is written once to a temporary file of 16-bit codes and read a chunk
        at a time at every level. An n-gram is a 64-bit polynomial hash, extended by one
        character a level. Level n counts the windows whose head or tail (n−1)-gram is
        frequent: they are all the extensions the entropies of level n−1 need. Summing
        c·log c of each n-gram into its head gives the right entropy of the level below,
        into its tail the left (in code point order of the other character, as one pass
        over sorted strings would add them). An n-gram is frequent when it is seen
        `min_count` times and its head and tail are frequent (Apriori). Strings are made
        only for frequent n-grams.

        Two different n-grams of one length with the same hash would be taken for one:
        with D distinct n-grams counted at a level the chance is about D²/2⁶⁵ (2·10⁻⁷ for
        the 2.5 million of a 10M-character corpus's busiest level).
        """
        p = self.p
        # Entropies are kept by one more thread while the next level is counted (most of
        # that is numpy, which lets go of the GIL): in level order, one level at a time.
        keeper = ThreadPoolExecutor(1) if self.workers > 1 else None
        kept: list = []
        with (
            HanText(self._bodies("counting n-grams"), self.spool.path.parent) as han,
            keeper or contextlib.nullcontext(),
        ):
            counts = np.zeros(1 << 16, dtype=np.int64)
            for _start, chunk in han.chunks(0):
                counts += np.bincount(chunk, minlength=1 << 16)
            counts[0] = 0
            self.han_chars = int(counts.sum())
            # Level 1: every character counts (PMI needs them all); frequent ones go on.
            self._chars = counts
            codes = np.flatnonzero(counts >= p.min_count)
            prev = Level(
                codes.astype(np.uint64) + np.uint64(1),
                counts[codes],
                codes.astype(np.uint16)[:, None],
                np.arange(len(codes)),
            )
            self._levels = {1: prev}
            for n in range(2, p.max_len + 2):
                if not len(prev.hashes):
                    break
                tally = Tally(len(prev.hashes))
                parts = _in_threads(
                    functools.partial(_extension_part, n=n, prev=prev),
                    han.chunks(n - 1),
                    self.workers,
                )
                for part in parts:
                    if part is not None:
                        tally.add(part)
                grams = tally.result()
                if keeper is None:
                    self._keep_level(prev, n - 1, grams)
                else:
                    kept.append(keeper.submit(self._keep_level, prev, n - 1, grams))
                self._report("counting n-grams", n, p.max_len + 1)
                if n > p.max_len:
                    break
                frequent = (
                    (grams["count"] >= p.min_count) & (grams["head"] >= 0) & (grams["tail"] >= 0)
                )
                codes, lex = han.codes_at(grams["pos"][frequent], n)
                prev = Level(grams["hash"][frequent], grams["count"][frequent], codes, lex)
                self._levels[n] = prev
                del grams
        for job in kept:
            job.result()  # raises what the thread raised

    def _keep_level(self, level: Level, size: int, grams: dict[str, np.ndarray]) -> None:
        """Keep the entropies of `level` from the n-grams one longer (`grams`)."""
        left, right = _entropy_sums(grams, len(level.hashes))
        self._keep_entropies(level, size, left[level.lex], right[level.lex])

    def _keep_entropies(self, level: Level, size: int, left: np.ndarray, right: np.ndarray):
        """Store the entropies of the frequent `size`-grams of `level` (`left` and `right`
        Σ c·log c, in code point order) that later stages can use, and only those: on a
        large corpus most frequent n-grams are neither phrase candidates nor template
        pieces, and two floats and a string for each of millions would dominate memory.
        The template pieces are chosen here too, while their counts are at hand."""
        p = self.p
        counts = level.counts[level.lex]
        c = counts.astype(np.float64)
        logc = np.log(np.maximum(c, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            le = np.where(c > 1, np.maximum(0.0, logc - left / c), 0.0)
            ri = np.where(c > 1, np.maximum(0.0, logc - right / c), 0.0)
        norm = np.where(c > 1, logc, 1.0)
        candidate = (p.min_len <= size <= p.max_len) & (np.minimum(le, ri) >= p.min_entropy)
        keep_left = candidate | ((2 <= size <= 6) & (le / norm >= TAIL_ENTROPY))
        keep_right = candidate | ((size <= 2) & (ri / norm >= HEAD_ENTROPY))
        kept = np.flatnonzero(keep_left | keep_right)
        named = np.full(len(counts), -1, dtype=np.int64)  # an n-gram's place in `strings`
        named[kept] = np.arange(len(kept))
        strings = level.strings(kept)
        at = np.flatnonzero(candidate)
        self.entropic += [strings[k] for k in named[at].tolist()]
        self._entropic_stats.append((counts[at], le[at], ri[at]))
        for keep, values, into in ((keep_left, le, self.left), (keep_right, ri, self.right)):
            at = np.flatnonzero(keep)
            names = [strings[k] for k in named[at].tolist()]
            into.update(zip(names, values[at].tolist(), strict=True))
        # Template pieces: A (heads) short with many right neighbours, B (tails) with many
        # left ones. numpy's log may differ from `math.log` in the last bit, so numpy only
        # narrows the field and the test itself is Python's.
        least, near = max(3, p.min_count), 1 - 1e-9

        def pieces(mask: np.ndarray, values: np.ndarray) -> Iterator[tuple[str, int, float]]:
            at = np.flatnonzero(mask & (counts >= least))
            names = [strings[k] for k in named[at].tolist()]
            return zip(names, counts[at].tolist(), values[at].tolist(), strict=True)

        if size <= 2:
            for g, n, h in pieces(keep_right & (ri / norm >= HEAD_ENTROPY * near), ri):
                if g[0] in ORDINALS or g[-1] in "的了着":
                    continue
                if h / math.log(n) >= HEAD_ENTROPY:
                    self.heads[g] = n
        if 2 <= size <= 6:
            starts_ok = BAD_START - set("为以把对将从向与在")
            for g, n, h in pieces(keep_left & (le / norm >= TAIL_ENTROPY * near), le):
                if g[0] in ORDINALS or g[0] in starts_ok:
                    continue
                if h / math.log(n) >= TAIL_ENTROPY:
                    self.tails[g] = n

    def counts_of(self, grams: Sequence[str]) -> list[int]:
        """How often each of `grams` occurs: any character, longer n-grams when frequent
        (else 0). Looked up by hash in the levels: a dict of millions of strings took
        seconds to fill and hundreds of megabytes to hold."""
        out = [0] * len(grams)
        by_len: dict[int, list[int]] = defaultdict(list)
        for k, g in enumerate(grams):
            by_len[len(g)].append(k)
        for size, ks in by_len.items():
            if size == 1:
                chars = self._chars
                for k in ks:
                    code = ord(grams[k])
                    out[k] = int(chars[code]) if code < len(chars) else 0
            elif size in self._levels:
                rows = code_rows((grams[k] for k in ks), size)
                for k, n in zip(ks, self._count(row_hashes(rows), size).tolist(), strict=True):
                    out[k] = n
        return out

    def frequent(self) -> Iterator[tuple[str, int]]:
        """Every n-gram `counts_of` knows and its count, level by level in code point
        order: what the levels counted, for inspection."""
        for code in np.flatnonzero(self._chars).tolist():
            yield chr(code), int(self._chars[code])
        for size, level in sorted(self._levels.items()):
            if size > 1:
                names = level.strings(np.arange(len(level.counts)))
                yield from zip(names, level.counts[level.lex].tolist(), strict=True)

    def pmi(self, g: str) -> float:
        """Cohesion: the weakest split's pointwise mutual information (凝固度)."""
        n = self.han_chars or 1
        c, *pieces = self.counts_of([g, *(x for i in range(1, len(g)) for x in (g[:i], g[i:]))])
        best = math.inf
        for a, b in zip(pieces[::2], pieces[1::2], strict=True):
            if not a or not b:
                return 0.0
            best = min(best, math.log(c * n / (a * b)))
        return best

    def pmis(self, grams: list[str]) -> list[float]:
        """`pmi` of each of `grams`, the same floats, the counts of their pieces looked up
        by hash in the levels (a dict lookup of every piece of 650K n-grams, each a new
        string to hash, was 8 s of a large build). The weakest split has the smallest
        c·n/(a·b), which numpy divides exactly as Python does while the products stay
        below 2⁵³ (else `pmi` itself answers); its log is taken once, by `math.log`."""
        out = [0.0] * len(grams)
        n = self.han_chars or 1
        by_len: dict[int, list[int]] = defaultdict(list)
        for k, g in enumerate(grams):
            by_len[len(g)].append(k)
        exact = 2.0**53
        for size, ks in by_len.items():
            if size < 2 or any(m not in self._levels for m in range(1, size + 1)):
                for k in ks:
                    out[k] = self.pmi(grams[k])
                continue
            chars = code_rows((grams[k] for k in ks), size)
            c = self._count(row_hashes(chars), size)
            ratio = np.full(len(ks), np.inf)
            missing = c == 0
            for i in range(1, size):
                a = self._count(row_hashes(chars[:, :i]), i)
                b = self._count(row_hashes(chars[:, i:]), size - i)
                missing |= (a == 0) | (b == 0)
                top, bottom = c * n, a * b
                if (top >= exact).any() or (bottom >= exact).any():
                    missing[:] = True  # products too big to divide exactly: ask `pmi`
                    break
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.minimum(ratio, top.astype(np.float64) / bottom.astype(np.float64))
            for k, r, lost in zip(ks, ratio.tolist(), missing.tolist(), strict=True):
                out[k] = self.pmi(grams[k]) if lost else math.log(r)
        return out

    def _count(self, h: np.ndarray, size: int) -> np.ndarray:
        """The count of each `size`-gram hashed in `h` (`row_hashes`: the levels hash
        alike), 0 if not frequent."""
        level = self._levels[size]
        if not len(level.counts):
            return np.zeros(len(h), dtype=np.int64)  # no frequent n-gram of this length
        at = level.index.find(h)
        return np.where(at >= 0, level.counts[at], 0).astype(np.int64)

    # -- candidates --------------------------------------------------------------

    def candidates(self) -> dict[str, PhraseStat]:
        """N-grams that could be phrases: frequent, cohesive, free at both ends, no fragments."""
        p = self.p
        out = {}
        pmis = self.pmis(self.entropic)
        stats = self._entropic_stats or [(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))]
        counts, lefts, rights = (np.concatenate(c).tolist() for c in zip(*stats, strict=True))
        # (only entropic n-grams: the others fail the entropy test below)
        for g, pmi, c, le, ri in zip(self.entropic, pmis, counts, lefts, rights, strict=True):
            if c < p.min_count:
                continue
            if enumerates(g) or (g[0] in BAD_START and g[1] in BAD_START):
                continue
            if min(le, ri) < p.min_entropy:
                continue
            if pmi < p.min_pmi:
                continue
            out[g] = PhraseStat(g, c, pmi, le, ri)
        lexical = set_phrases()
        for g, c in self._vouched(out, lexical).items():
            out[g] = PhraseStat(g, c, self.pmi(g), self.left.get(g, 0.0), self.right.get(g, 0.0))
        # Function words at the edges (的工作, 要进一步) or a modal or preposition alone
        # inside a longer candidate (部门要高度重视) mark a piece of a sentence; four
        # characters are often a parallel idiom built that way (利在千秋). Judged on
        # jieba tokens, so 作为 in 主动作为 or 要求 in 严格要求 are words, not particles.
        for g in list(out):
            if g[0] not in BAD_START and g[-1] not in BAD_END and len(g) < 4:
                continue
            if len(g) >= 4 and (g[0] == g[2] or g[1] == g[3]):
                continue  # a parallel frame (又好又快, 不等不靠): the particle is its frame
            words = segment(g)
            if (len(words[0]) == 1 and words[0] in BAD_START) or (
                len(words[-1]) == 1 and words[-1] in BAD_END
            ):
                del out[g]
            elif len(g) >= 5 and any(len(w) == 1 and w in INNER_BREAKS for w in words[1:-1]):
                del out[g]
        # A fragment: a longer candidate covers almost all of its occurrences.
        for g in sorted(out, key=len, reverse=True):
            if g not in out:
                continue
            c = out[g].count
            for sub in (g[:-1], g[1:]):
                s = out.get(sub)
                if s is not None and c >= 0.7 * s.count and (sub not in lexical or g in lexical):
                    del out[sub]
        return out

    def _vouched(self, found: dict[str, PhraseStat], lexical: frozenset[str]) -> dict[str, int]:
        """Set phrases a dictionary lists (`lexicon.set_phrases`) that are frequent here
        but failed the statistics, with their counts: at a count of two or three, one
        repeated neighbour is enough to fail the entropy test. The edge and fragment rules
        still apply to them, and a longer candidate that only adds a word to one of them
        (搞劳民伤财) no longer removes it."""
        p = self.p
        known = [
            g
            for g in lexical
            if p.min_len <= len(g) <= p.max_len and g not in found and not enumerates(g)
        ]
        known.sort()
        return {
            g: c for g, c in zip(known, self.counts_of(known), strict=True) if c >= p.min_count
        }

    def add_extra(self, cands: dict[str, PhraseStat]) -> None:
        """Phrases the user added join the candidates with their real counts, so the stats
        pass measures and scores them like mined ones; no filter drops them."""
        missing = [t for t in self.extra if t not in cands]
        if not missing:
            return
        counted = dict(zip(missing, self.counts_of(missing), strict=True))
        uncounted = {t: 0 for t in missing if not counted[t]}
        if uncounted:
            for _info, body in self.spool.texts():
                for t in uncounted:
                    uncounted[t] += body.count(t)
        for t in missing:
            count = counted[t] or uncounted.get(t, 0)
            pmi = self.pmi(t) if counted[t] else 0.0
            left, right = self.left.get(t, 0.0), self.right.get(t, 0.0)
            cands[t] = PhraseStat(t, count, pmi, left, right, source="added")

    # -- pass 2: statistics --------------------------------------------------------

    def _forget(self) -> None:
        """Drop what no later stage reads: entropies, and the levels of n-grams longer
        than four characters (later stages measure four-character list items, whose
        splits are shorter)."""
        self.left, self.right, self.entropic, self._entropic_stats = {}, {}, [], []
        self.heads, self.tails = {}, {}
        self._levels = {n: level for n, level in self._levels.items() if n <= 4}

    def template_pieces(self) -> tuple[set[str], set[str]]:
        """Literal pieces that can stand before (A) and after (B) a variable slot.

        A slot shows as high entropy on the piece's slot side: many different
        neighbours there. A is short (以, 为, 开创), B up to six characters (提供有力保障).
        They are chosen with the entropies (`_keep_entropies`); here the tails that end
        on a particle go.
        """
        heads, tails = set(self.heads), set(self.tails)
        # A tail does not end on a particle, judged on words: 作为 is a word, 工作为 is not.
        for g in [g for g in tails if g[-1] in BAD_END]:
            last = segment(g)[-1]
            if len(last) == 1:
                tails.discard(g)
        return heads, tails

    def gather(self, cands: dict[str, PhraseStat]) -> TemplateCounts:
        """Stats pass: alignment, spread, phrase examples, template slots, list items.

        Scan by scan (see `phraser.scan`): every occurrence of every candidate and
        template piece is found with array operations; only list items are read sentence
        by sentence. Workers share the word cutting, so the result does not depend on
        their number.
        """
        heads, tails = self.template_pieces()
        texts = list(cands)
        phrases = PhraseCounts(texts, self.p.examples, self.example)
        templates = TemplateCounts(sorted(heads), sorted(tails))
        templates.head_counts = np.array([self.heads[h] for h in templates.heads], dtype=float)
        templates.tail_counts = np.array([self.tails[t] for t in templates.tails], dtype=float)
        self._forget()
        lists = ListCounts(self.p.examples)

        def measure(scan: Scan) -> tuple:
            return self._measure(scan, cands, phrases, templates)

        for phrase_part, (template_part, text), run_lists in self._over_runs(
            measure, "gathering statistics", cut=True
        ):
            phrases.merge(phrase_part)
            templates.merge(template_part, text)
            lists.merge(run_lists)
        cap = self.p.examples
        for st, blocks, docs, aligned, examples in zip(
            cands.values(),  # in the order of `texts`
            phrases.blocks.tolist(),
            phrases.doc_counts(),
            phrases.aligned.tolist(),
            phrases.examples,
            strict=True,
        ):
            st.block_count = blocks
            st.in_docs = docs
            st.doc_count = len(docs)
            st.aligned = aligned / st.count if st.count else 0.0
            st.examples = (st.examples + examples)[:cap]
        chars = self.spool.chars
        self.blocks_total = max(1, chars // self.p.resolved_block_chars(chars))
        self.lists = lists
        return templates

    # -- scoring -------------------------------------------------------------------

    def score_phrases(self, cands: dict[str, PhraseStat]) -> None:
        """A stock formulation is cohesive, free at both ends, whole words, and spread out.

        A phrase the user added is taken as cohesive and free (they said it is a phrase);
        its count, spread and word alignment still come from the corpus."""
        for st in cands.values():
            st.dispersion = dispersion(st.count, st.block_count, self.blocks_total)
            # Entropy can only reach log(count): normalise so rare phrases are not punished.
            if st.source == "added":
                pmi, freedom = 6.0, 1.0
            else:
                pmi = st.pmi
                freedom = min(st.left_entropy, st.right_entropy) / math.log(st.count + 1)
            st.score = phrase_score(st.text, st.count, pmi, freedom, st.dispersion, st.aligned)

    def select_templates(self, counts: TemplateCounts) -> list[TemplateStat]:
        """Keep A…B patterns with several different fillers whose pieces attract each other."""
        p = self.p
        if not counts.parts:
            return []
        keys, c, blocks, most_fillers = counts.totals()
        n_tails = max(1, len(counts.tails))
        a, b = keys // n_tails, keys % n_tails
        total = self.han_chars or 1
        ca, cb = counts.head_counts[a], counts.tail_counts[b]
        # Association: how much more often A…B occur together (slot of 2–15) than their
        # own frequencies predict. A verb and its object noun (健全……体系) are far apart
        # in conditional probability but far above chance.
        lift = c * total / (ca * cb * SLOT_POSITIONS)
        assoc = np.maximum(c / ca, c / cb)
        keep = (most_fillers >= p.min_fillers) & ((lift >= MIN_LIFT) | (assoc >= 0.3))
        f = counts.fillers(keys[keep])
        distinct = np.bincount(np.searchsorted(keys, f["f_key"]), minlength=len(keys))
        kept = np.flatnonzero(keep & (distinct >= p.min_fillers))
        # The most frequent fillers of each kept pattern, first-seen first among equals.
        order = np.lexsort((f["f_rank"], -f["f_count"], f["f_key"]))
        top = order[first_per_group(f["f_key"][order], MAX_FILLERS)]
        top = top[np.lexsort((f["f_rank"][top], -f["f_count"][top], f["f_key"][top]))]
        strings = counts.cut(f["f_pos"][top], f["f_len"][top])
        fillers: dict[int, Counter] = defaultdict(Counter)
        for key, text, n in zip(
            f["f_key"][top].tolist(), strings, f["f_count"][top].tolist(), strict=True
        ):
            fillers[key][text] = n
        d = counts.rows("doc", keys[kept])
        docs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for key, doc, n in sorted(
            zip(d["doc_key"].tolist(), d["doc"].tolist(), d["doc_n"].tolist(), strict=True)
        ):
            docs[key].append((doc, n))
        out: dict[tuple[str, str], TemplateStat] = {}
        for k in kept.tolist():
            key, count = int(keys[k]), int(c[k])
            clean = fillers[key]
            diversity = len(clean) / count
            spread = dispersion(count, int(blocks[k]), self.blocks_total)
            strength = min(1.0, math.log(max(float(lift[k]), 1.0)) / 4) + float(assoc[k])
            score = strength * math.log1p(len(clean)) * (0.5 + 0.5 * diversity) * spread**1.5
            head, tail = counts.heads[int(a[k])], counts.tails[int(b[k])]
            out[(head, tail)] = TemplateStat(
                head, tail, count, clean, score, len(docs[key]), in_docs=docs[key]
            )
        # Prefer the longer literal when it covers nearly all of a shorter one's uses.
        for (a_, b_), t in sorted(out.items(), key=lambda kv: -len(kv[0][0] + kv[0][1])):
            for shorter in ((a_[1:], b_), (a_[:-1], b_), (a_, b_[:-1]), (a_, b_[1:])):
                s = out.get(shorter)
                if s is not None and shorter[0] and t.count >= 0.8 * s.count:
                    del out[shorter]
        chosen = sorted(out.values(), key=lambda t: -t.score)
        self._template_examples(counts, chosen)
        return chosen

    def _template_examples(self, counts: TemplateCounts, chosen: list[TemplateStat]) -> None:
        """The first sentences each chosen template occurs in."""
        index = {h: i for i, h in enumerate(counts.heads)}
        tindex = {t: i for i, t in enumerate(counts.tails)}
        n_tails = max(1, len(counts.tails))
        by_key = {index[t.prefix] * n_tails + tindex[t.suffix]: t for t in chosen}
        ex = counts.rows("ex_", np.fromiter(by_key, dtype=np.int64))
        rows = first_per_group(ex["ex_key"], self.p.examples)
        places = counts.places(ex["ex_pos"][rows])
        for key, place in zip(ex["ex_key"][rows].tolist(), places, strict=True):
            by_key[key].examples.append(self.example(place))

    def companions(self, cands: dict[str, PhraseStat]) -> tuple[list[PairStat], dict]:
        """Pairs of phrases side by side in a list, scored by the Ochiai coefficient.

        c(a,b)/√(c(a)·c(b)) stays honest at the low counts companions have. A pair's
        examples are the first sentences it was counted in. Items seen once but standing
        in a parallel list become phrases too (see ListCounts).
        """
        lists = self.lists
        added = {}
        new = [item for item in lists.extra if item not in cands]
        found = dict(zip(new, self.counts_of(new), strict=True))
        counted = [item for item in new if found[item]]
        pmis = dict(zip(counted, self.pmis(counted), strict=True))
        for item in new:
            c = lists.extra[item]
            count = max(c, found[item] or c)
            added[item] = PhraseStat(item, count, pmis.get(item, 0.0), 0.0, 0.0, source="list")
        total = sum(lists.items.values()) or 1
        pairs = []
        for (a, b), c in lists.pairs.items():
            ca, cb = lists.items[a], lists.items[b]
            score = c / math.sqrt(ca * cb)
            examples = [self.example(place) for place in lists.examples((a, b))]
            pairs.append(PairStat(a, b, c, score, math.log(c * total / (ca * cb)), examples))
        pairs.sort(key=lambda x: (-x.score * math.log1p(x.count), -x.count))
        return pairs, added

    # -- pass 3: examples ------------------------------------------------------------

    def collect_examples(self, added: dict[str, PhraseStat]) -> None:
        """Example sentences, and the documents they are in (counted in sentences), of
        the phrases that joined from parallel lists after the stats pass."""
        if not added:
            return
        cap = self.p.examples
        keys = list(added)
        find = functools.partial(_run_examples, needles=Needles(keys), cap=cap)
        docs: dict[str, Counter] = defaultdict(Counter)
        shown = np.zeros(len(keys), dtype=np.int64)  # examples taken of each
        for in_docs, (ids, places) in self._over_runs(find, "collecting examples"):
            for i, d, n in in_docs:
                docs[keys[i]][d] += n
            for k in _still_short(shown, ids, cap).tolist():
                added[keys[ids[k]]].examples.append(self.example(places[k]))
        for g, st in added.items():
            st.doc_count = len(docs[g]) or 1
            st.in_docs = sorted(docs[g].items())

    # -- the whole thing ---------------------------------------------------------------

    def run(self, on_phrases: Callable[[list[str]], None] | None = None) -> MineResult:
        """All the passes. `on_phrases` is told the phrases' texts as soon as they are
        known, before the examples pass: work on them can start while it runs."""
        self.count_levels()
        self.precut()
        try:
            cands = self.candidates()
            self.add_extra(cands)
            template_counts = self.gather(cands)
        finally:
            if self._bounds is not None:
                self._bounds.close()
        # Most occurrences cut through a word (出贡献 in 作出贡献): a fragment after all.
        for g in [g for g, st in cands.items() if st.aligned <= 0.5 and st.source != "added"]:
            del cands[g]
        self.score_phrases(cands)
        # The templates are chosen by a forked process while this one finds the pairs and
        # the examples of the phrases that joined from lists: neither reads what the other
        # makes.
        choose = functools.partial(self.select_templates, template_counts)
        with _in_fork(choose, self.workers > 1) as chosen:
            del template_counts, choose
            pairs, added = self.companions(cands)
            texts = [*cands, *added]
            if on_phrases is not None:
                on_phrases(texts)
            # Their words too, by a second process on a large corpus: jieba's dictionary
            # takes ≈ 1.3 s to load, and this one still has examples to collect.
            big = self.workers > 1 and len(texts) >= BACKGROUND_WORDS
            words = Later(words_of, texts, background=big)
            try:
                self.collect_examples(added)
                templates = chosen()
                cands.update(added)
                for st, w in zip(cands.values(), words.get(), strict=True):
                    st.words = w
            finally:
                words.close()
        phrases = sorted(cands.values(), key=lambda s: -s.score)
        return MineResult(phrases, templates, pairs, self.spool.chars, self.han_chars)


def cut_runs(spool: Spool, runs: list[list[int]]) -> list[np.ndarray]:
    """The word boundaries of each run of consecutive documents (`word_bounds` of their
    texts joined as `Scan` joins them), bit-packed: 1/8 of a byte a character to send back."""
    texts = spool.texts()
    return [np.packbits(word_bounds("\n".join(next(texts)[1] for _ in ks))) for ks in runs]


def _still_short(taken: np.ndarray, ids: np.ndarray, cap: int) -> np.ndarray:
    """Which of a run's example places (each id's first `cap`, in stream order) still fit
    under `cap` per id after the runs before, counted into `taken`: numpy chooses, so
    Python touches only the places kept."""
    take = np.flatnonzero(taken[ids] + group_ranks(ids) < cap)
    np.add.at(taken, ids[take], 1)
    return take


def _run_examples(
    scan: Scan, needles: Needles, cap: int
) -> tuple[list[tuple[int, int, int]], tuple[np.ndarray, list]]:
    """One run's share of the examples pass (possibly in a worker), to merge in run order:
    each key's (key, document, sentences) and its first `cap` places as (keys, places),
    one place a sentence. Keys are numbered as in `needles`."""
    pos, ids = scan.find(needles)
    sent = scan.sentence_start[pos]
    first, _ = groups(ids, sent)  # each key's first occurrence in each sentence
    pos, ids = pos[first], ids[first].astype(np.int64)
    doc = scan.doc_of(pos)
    at, size = groups(ids, doc)
    in_docs = list(
        zip(ids[at].tolist(), scan.docs.idx[doc[at]].tolist(), size.tolist(), strict=True)
    )
    shown = first_per_group(ids, cap)
    return in_docs, (ids[shown], scan.places(pos[shown]))


def mine(
    spool: Spool,
    params: MineParams | None = None,
    progress: Progress | None = None,
    extra: Iterable[str] = (),
    workers: int = 1,
    on_phrases: Callable[[list[str]], None] | None = None,
) -> MineResult:
    """Mine a spooled corpus; see the module docstring for the passes. `extra` phrases
    (added by the user) are kept whatever their statistics. `workers` processes share
    the stats pass's runs; the result does not depend on their number. `on_phrases`: see
    `Miner.run`."""
    return Miner(spool, params or MineParams(), progress, extra, workers).run(on_phrases)
