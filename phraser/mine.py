"""Mining: turn a spooled corpus into phrases, slot templates and companion pairs.

The passes, each streaming over the spool so memory follows the bank, not the corpus:

1. **levels** — character n-grams inside Han runs, one length per pass. An n-gram is
   counted only when its (n-1)-prefix or suffix was frequent (Apriori pruning), and the
   same counts give the left/right neighbour entropy of the level below for free.
2. **stats** — over the surviving candidates: jieba-boundary alignment, document and
   block spread, template (A…B) occurrences, and parallel list items.
3. **examples** — a few example sentences for each kept entry.

Scores are explained where they are computed; the README's design section has the why.
"""

from __future__ import annotations

import functools
import logging
import math
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from . import text as textmod
from .corpus import Spool

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


@dataclass
class Example:
    doc: int
    line: int
    col: int
    sentence: str


@dataclass
class PhraseStat:
    text: str
    count: int
    pmi: float
    left_entropy: float
    right_entropy: float
    doc_count: int = 0
    #: (document index, occurrences) for each document the phrase occurs in.
    in_docs: list[tuple[int, int]] = field(default_factory=list)
    block_count: int = 0
    dispersion: float = 0.0
    aligned: float = 0.0
    score: float = 0.0
    source: str = "mined"
    words: tuple[str, ...] = ()
    examples: list[Example] = field(default_factory=list)


@dataclass
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


@dataclass
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
    """Our own jieba instance, quiet, loaded once per process on first use (≈1 s)."""
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


class Spread:
    """How many distinct documents and blocks an item was seen in, counted as the pass
    streams: ids only grow along the stream, so comparing with the last one seen is
    enough, and no set per item (millions of them on a large corpus) is kept."""

    __slots__ = ("last_doc", "docs", "last_block", "blocks", "per_doc")

    def __init__(self) -> None:
        self.last_doc = self.last_block = -1
        self.docs = self.blocks = 0
        self.per_doc: list[list[int]] = []  # [doc, occurrences], in stream order

    def see(self, doc: int, block: int) -> bool:
        """Record one occurrence; True when it opens a new block."""
        if doc != self.last_doc:
            self.last_doc, self.docs = doc, self.docs + 1
            self.per_doc.append([doc, 1])
        else:
            self.per_doc[-1][1] += 1
        if block != self.last_block:
            self.last_block, self.blocks = block, self.blocks + 1
            return True
        return False


class TemplateAcc:
    """Running counts of one A…B pattern during the stats pass."""

    __slots__ = ("count", "spread", "fillers")

    def __init__(self) -> None:
        self.count = 0
        self.spread = Spread()
        self.fillers: dict[str, int] = {}


class ListCounts:
    """Streaming counts of parallel list items and of the pairs they form."""

    def __init__(self) -> None:
        self.items: Counter = Counter()
        self.pairs: Counter = Counter()
        self.extra: Counter = Counter()

    def merge(self, later: ListCounts) -> None:
        """Add the counts of a later run of documents; a pair keeps the orientation it
        was first seen in, as one pass would."""
        self.items.update(later.items)
        self.extra.update(later.extra)
        for (a, b), n in later.pairs.items():
            key = (b, a) if (b, a) in self.pairs else (a, b)
            self.pairs[key] += n

    def add(self, items: list[str], cands: dict) -> None:
        """Count one sentence's list items.

        An item is a phrase when it is one, or (first/last item) when it ends/starts with
        one. A four-character item standing whole beside a whole four-character phrase is
        taken even when seen once: the parallel list is the evidence.
        """
        run = [_item_phrase(item, cands, idx, len(items)) for idx, item in enumerate(items)]
        for idx, item in enumerate(items):
            if run[idx] is not None or len(item) != 4 or not textmod.HAN_RUN.fullmatch(item):
                continue
            if item[0] in BAD_START or item[-1] in BAD_END:
                continue
            nbrs = [items[j] for j in (idx - 1, idx + 1) if 0 <= j < len(items)]
            if any(n in cands and len(n) == 4 for n in nbrs):
                run[idx] = item
                self.extra[item] += 1
        for i, a in enumerate(run):
            if a is None:
                continue
            self.items[a] += 1
            for b in run[i + 1 : i + 3]:
                if b is not None and b != a:
                    key = (a, b) if (b, a) not in self.pairs else (b, a)
                    self.pairs[key] += 1


def _item_phrase(item: str, cands: dict, idx: int, n: int) -> str | None:
    """The phrase a list item stands for: the item itself, or the phrase at its edge.

    An item often carries a lead-in (各地要主动作为, 环境保护是功在当代) or a tail (利在千秋的
    崇高事业); the phrase next to the separator is the list member.
    """
    if item in cands:
        return item
    if not textmod.HAN_RUN.fullmatch(item):
        return None
    longest = min(8, len(item) - 1)
    if idx < n - 1:
        for k in range(longest, 2, -1):
            if item[-k:] in cands:
                return item[-k:]
    if idx > 0:
        for k in range(longest, 2, -1):
            if item[:k] in cands:
                return item[:k]
    return None


#: Distinct fillers a template keeps as they are first seen; later ones are not counted.
MAX_FILLERS = 200


@dataclass
class _Gathered:
    """What one run of documents contributes to the stats pass."""

    spreads: dict[str, Spread]
    examples: dict[str, list[Example]]
    aligned: Counter
    templates: dict[tuple[str, str], TemplateAcc]
    lists: ListCounts


#: (miner, candidates, heads, tails) while a pool of forked workers gathers.
_GATHERING: tuple | None = None


def _gather_part(part: tuple[int, list[int]]) -> _Gathered:
    """One forked worker's share of the stats pass (its state is inherited by fork)."""
    number, docs = part
    miner, cands, heads, tails = _GATHERING
    miner.progress = None  # the parent reports progress; a child must not draw
    return miner._gather_docs(cands, heads, tails, set(docs), capped=number == 0)


def _partition(docs: list, workers: int) -> list[list[int]]:
    """Runs of whole documents, in order, of about equal characters: one per worker."""
    if workers <= 1 or len(docs) <= 1:
        return [[d.idx for d in docs]]
    target = sum(d.chars for d in docs) / workers
    parts: list[list[int]] = [[]]
    size = 0
    for d in docs:
        if parts[-1] and size >= target * len(parts) and len(parts) < workers:
            parts.append([])
        parts[-1].append(d.idx)
        size += d.chars
    return parts


def _merge_spread(into: Spread, part: Spread) -> None:
    """Parts hold disjoint documents (and so disjoint blocks): counts add up."""
    into.docs += part.docs
    into.blocks += part.blocks
    into.per_doc += part.per_doc
    into.last_doc, into.last_block = part.last_doc, part.last_block


def _merge_gathered(parts: list[_Gathered], cands: dict[str, PhraseStat], cap: int):
    """Parts merged in document order, exactly as one pass over them would count."""
    if len(parts) == 1:  # nothing to merge: no copies of the biggest structures
        (part,) = parts
        for g, found in part.examples.items():
            if found:
                st = cands[g]
                st.examples = (st.examples + found)[:cap]
        return part.spreads, part.aligned, part.templates, part.lists
    spreads: dict[str, Spread] = {}
    aligned: Counter = Counter()
    templates: dict[tuple[str, str], TemplateAcc] = {}
    lists = ListCounts()
    for part in parts:
        for g, spread in part.spreads.items():
            if g in spreads:
                _merge_spread(spreads[g], spread)
            else:
                spreads[g] = spread
        for g, found in part.examples.items():
            st = cands[g]
            st.examples = (st.examples + found)[:cap]
        aligned.update(part.aligned)
        for key, acc in part.templates.items():
            have = templates.get(key)
            if have is None:
                have = templates[key] = TemplateAcc()
            have.count += acc.count
            if have.spread.docs:
                _merge_spread(have.spread, acc.spread)
            else:
                have.spread = acc.spread
            for filler, n in acc.fillers.items():
                if filler in have.fillers:
                    have.fillers[filler] += n
                elif len(have.fillers) < MAX_FILLERS:
                    have.fillers[filler] = n
        lists.merge(part.lists)
    return spreads, aligned, templates, lists


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
        self.counts: dict[str, int] = {}
        self.left: dict[str, float] = {}
        self.right: dict[str, float] = {}
        self.han_chars = 0
        self._tok = None

    # -- helpers -----------------------------------------------------------------

    @property
    def tok(self):
        if self._tok is None:
            self._tok = tokenizer()
        return self._tok

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)

    def _sentences(
        self, stage: str, docs: set[int] | None = None
    ) -> Iterator[tuple[int, int, int, int, str]]:
        """(doc, block, line, col, sentence) over the spool, or over `docs` only,
        reporting progress. Block numbers are the same whichever documents are read."""
        block_chars = self.p.resolved_block_chars(self.spool.chars)
        total = self.spool.chars
        done = 0
        block_base = 0
        for info, body in self.spool.texts():
            if docs is None or info.idx in docs:
                offset = 0
                line_starts = {}
                for line_no, line in enumerate(body.split("\n"), start=1):
                    line_starts[line_no] = offset
                    offset += len(line) + 1
                for line, col, sentence in textmod.sentences(body):
                    block = block_base + (line_starts[line] + col) // block_chars
                    yield info.idx, block, line, col, sentence
            block_base += info.chars // block_chars + 1
            done += info.chars
            self._report(stage, done, total)

    def _clauses(self, stage: str) -> Iterator[str]:
        for info, body in self.spool.texts():
            yield from textmod.HAN_RUN.findall(body)
            self._report(stage, info.chars, 0)

    # -- pass 1: levels ----------------------------------------------------------

    def count_levels(self) -> None:
        """Count every n-gram of every clause, level by level, and the neighbour
        entropies of the frequent ones, as numpy arrays rather than Python strings.

        Each n-gram is an integer id: its (n−1)-gram prefix's id × the alphabet size +
        its last character, made dense again by `np.unique` at every level, so counting
        a level is one sort of the corpus's positions. An n-gram is frequent when it is
        seen `min_count` times and its head and tail are frequent (Apriori); entropies
        come from summing c·log c of each n-gram's count into its head (right entropy)
        and its tail (left entropy). Strings are made only for frequent n-grams.
        """
        p = self.p
        clauses = list(self._clauses("counting n-grams"))
        text = "\x00".join(clauses)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        alphabet, chars = np.unique(codes, return_inverse=True)
        chars = chars.reshape(-1).astype(np.int32)
        ok = codes != 0
        del codes
        size = len(chars)
        # Level 1: every character counts (PMI needs them all); frequent ones go on.
        ids = np.where(ok, chars, -1).astype(np.int32)
        counts = np.bincount(chars[ok], minlength=len(alphabet))
        first = np.full(len(alphabet), size, dtype=np.int64)
        np.minimum.at(first, chars[ok], np.flatnonzero(ok))
        self.han_chars = int(ok.sum())
        seen = counts > 0
        for i, c in zip(first[seen], counts[seen], strict=True):
            self.counts[text[i]] = int(c)
        frequent = counts >= p.min_count
        prev_counts, prev_pos = counts, first
        for n in range(2, p.max_len + 2):
            if not frequent.any():
                break
            m = max(0, size - n + 1)
            at = np.flatnonzero((ids[:m] >= 0) & ok[n - 1 :]).astype(np.int32)
            keys = ids[at].astype(np.int64) * len(alphabet) + chars[at + n - 1]
            uniq, where, inverse, cnt = np.unique(
                keys, return_index=True, return_inverse=True, return_counts=True
            )
            del keys
            pos = at[where]  # first occurrence of each n-gram
            del where
            head = uniq // len(alphabet)
            del uniq
            tail = ids[pos + 1]
            clogc = cnt * np.log(cnt)
            right = np.bincount(head, weights=clogc, minlength=len(frequent))
            left = np.bincount(tail, weights=clogc, minlength=len(frequent))
            del clogc
            self._keep_entropies(text, n - 1, frequent, prev_counts, prev_pos, left, right)
            nxt = (cnt >= p.min_count) & frequent[head] & frequent[tail] & (n <= p.max_len)
            del head, tail, left, right
            for i, c in zip(pos[nxt], cnt[nxt], strict=True):
                self.counts[text[i : i + n]] = int(c)
            ids = np.full(m, -1, dtype=np.int32)
            ids[at] = inverse.reshape(-1)
            del inverse, at
            prev_counts, prev_pos, frequent = cnt, pos, nxt

    def _keep_entropies(
        self,
        text: str,
        size: int,
        frequent: np.ndarray,
        counts: np.ndarray,
        pos: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
    ) -> None:
        """Store the entropies of the frequent `size`-grams that later stages can use, and
        only those: on a large corpus most frequent n-grams are neither phrase candidates
        nor template pieces, and two floats for each of millions would dominate memory."""
        p = self.p
        c = counts.astype(np.float64)
        logc = np.log(np.maximum(c, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            le = np.where(c > 1, np.maximum(0.0, logc - left / c), 0.0)
            ri = np.where(c > 1, np.maximum(0.0, logc - right / c), 0.0)
        norm = np.where(c > 1, logc, 1.0)
        candidate = (p.min_len <= size <= p.max_len) & (np.minimum(le, ri) >= p.min_entropy)
        keep_left = frequent & (candidate | ((2 <= size <= 6) & (le / norm >= TAIL_ENTROPY)))
        keep_right = frequent & (candidate | ((size <= 2) & (ri / norm >= HEAD_ENTROPY)))
        for k in np.nonzero(keep_left | keep_right)[0]:
            g = text[pos[k] : pos[k] + size]
            if keep_left[k]:
                self.left[g] = float(le[k])
            if keep_right[k]:
                self.right[g] = float(ri[k])

    def words(self, text: str) -> tuple[str, ...]:
        return phrase_words(text, self.tok)

    def pmi(self, g: str) -> float:
        """Cohesion: the weakest split's pointwise mutual information (凝固度)."""
        n = self.han_chars or 1
        c = self.counts[g]
        best = math.inf
        for i in range(1, len(g)):
            a, b = self.counts.get(g[:i]), self.counts.get(g[i:])
            if not a or not b:
                return 0.0
            best = min(best, math.log(c * n / (a * b)))
        return best

    # -- candidates --------------------------------------------------------------

    def candidates(self) -> dict[str, PhraseStat]:
        """N-grams that could be phrases: frequent, cohesive, free at both ends, no fragments."""
        p = self.p
        out = {}
        for g, c in self.counts.items():
            if not (p.min_len <= len(g) <= p.max_len) or c < p.min_count:
                continue
            if g[0] in ORDINALS or (g[0] in BAD_START and g[1] in BAD_START):
                continue
            le, ri = self.left.get(g, 0.0), self.right.get(g, 0.0)
            if min(le, ri) < p.min_entropy:
                continue
            pmi = self.pmi(g)
            if pmi < p.min_pmi:
                continue
            out[g] = PhraseStat(g, c, pmi, le, ri)
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
                if s is not None and c >= 0.7 * s.count:
                    del out[sub]
        return out

    def add_extra(self, cands: dict[str, PhraseStat]) -> None:
        """Phrases the user added join the candidates with their real counts, so the stats
        pass measures and scores them like mined ones; no filter drops them."""
        missing = [t for t in self.extra if t not in cands]
        if not missing:
            return
        uncounted = {t: 0 for t in missing if t not in self.counts}
        if uncounted:
            for _info, body in self.spool.texts():
                for t in uncounted:
                    uncounted[t] += body.count(t)
        for t in missing:
            count = self.counts.get(t) or uncounted.get(t, 0)
            pmi = self.pmi(t) if t in self.counts else 0.0
            left, right = self.left.get(t, 0.0), self.right.get(t, 0.0)
            cands[t] = PhraseStat(t, count, pmi, left, right, source="added")

    # -- pass 2: statistics --------------------------------------------------------

    def template_pieces(self) -> tuple[set[str], set[str]]:
        """Literal pieces that can stand before (A) and after (B) a variable slot.

        A slot shows as high entropy on the piece's slot side: many different
        neighbours there. A is short (以, 为, 开创), B up to six characters (提供有力保障).
        """
        heads, tails = set(), set()
        starts_ok = BAD_START - set("为以把对将从向与在")
        for g, c in self.counts.items():
            if c < max(3, self.p.min_count) or g[0] in ORDINALS:
                continue
            norm = math.log(c)
            if (
                len(g) <= 2
                and g[-1] not in "的了着"
                and self.right.get(g, 0.0) / norm >= HEAD_ENTROPY
            ):
                heads.add(g)
            if (
                2 <= len(g) <= 6
                and g[0] not in starts_ok
                and self.left.get(g, 0.0) / norm >= TAIL_ENTROPY
            ):
                tails.add(g)
        # A tail does not end on a particle, judged on words: 作为 is a word, 工作为 is not.
        for g in [g for g in tails if g[-1] in BAD_END]:
            last = segment(g)[-1]
            if len(last) == 1:
                tails.discard(g)
        return heads, tails

    def gather(self, cands: dict[str, PhraseStat]):
        """Stats pass: alignment, spread, phrase examples, template slots, list items.

        Everything is counted as the pass streams; nothing proportional to the corpus
        is kept. With several workers, each takes a run of whole documents and the parts
        are merged in document order, so the result is the same whatever their number.
        """
        heads, tails = self.template_pieces()
        parts = _partition(self.spool.docs, self.workers)
        if len(parts) <= 1:
            gathered = [self._gather_docs(cands, heads, tails, None, capped=True)]
        else:
            global _GATHERING
            _GATHERING = (self, cands, heads, tails)
            self._report("gathering statistics", 0, self.spool.chars)
            try:
                with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
                    gathered = pool.map(_gather_part, list(enumerate(parts)))
            finally:
                _GATHERING = None
            self._report("gathering statistics", self.spool.chars, self.spool.chars)
        spreads, aligned, templates, lists = _merge_gathered(gathered, cands, self.p.examples)
        for g, st in cands.items():
            spread = spreads.get(g) or Spread()
            st.block_count = spread.blocks
            st.doc_count = spread.docs
            st.in_docs = [(d, n) for d, n in spread.per_doc]
            st.aligned = aligned[g] / st.count if st.count else 0.0
        chars = self.spool.chars
        self.blocks_total = max(1, chars // self.p.resolved_block_chars(chars))
        self.lists = lists
        return templates

    def _gather_docs(
        self,
        cands: dict[str, PhraseStat],
        heads: set[str],
        tails: set[str],
        docs: set[int] | None,
        *,
        capped: bool,
    ) -> _Gathered:
        """The stats pass over `docs` (all when None). Template fillers are capped at
        MAX_FILLERS as they are first seen only in the first part: a later part keeps
        them all, in first-seen order, for the merge to cap as one pass would have."""
        lens = sorted({len(g) for g in cands}, reverse=True)
        starts = {g[:2] for g in cands}
        tail_lens = sorted({len(g) for g in tails}, reverse=True)
        cap = self.p.examples
        out = _Gathered({}, defaultdict(list), Counter(), {}, ListCounts())
        spreads, examples, aligned, templates = (
            out.spreads,
            out.examples,
            out.aligned,
            out.templates,
        )
        for doc, block, line, col, sentence in self._sentences("gathering statistics", docs):
            for off, clause in textmod.clauses(sentence):
                size = len(clause)
                if size < 2:
                    continue
                bounds = {0}
                pos = 0
                for w in segment(clause):
                    pos += len(w)
                    bounds.add(pos)
                for i in range(size - 1):
                    if clause[i : i + 2] not in starts:
                        continue
                    for k in lens:
                        g = clause[i : i + k] if i + k <= size else None
                        if g not in cands:
                            continue
                        if i in bounds and i + k in bounds:
                            aligned[g] += 1
                        spread = spreads.get(g)
                        if spread is None:
                            spread = spreads[g] = Spread()
                        if spread.see(doc, block):
                            found = examples[g]
                            if len(found) < cap:
                                found.append(Example(doc, line, col + off + i, sentence))
                # Templates A…B: B starts at a token boundary, the slot is whole tokens.
                for j in bounds:
                    if j < 3:
                        continue
                    for k in tail_lens:
                        b = clause[j : j + k]
                        if len(b) != k or b not in tails or (j + k) not in bounds:
                            continue
                        for i in bounds:
                            if not 2 <= j - i <= 15:
                                continue
                            for la in (1, 2):
                                if i - la < 0 or (i - la) not in bounds:
                                    continue
                                a = clause[i - la : i]
                                if a not in heads:
                                    continue
                                acc = templates.get((a, b))
                                if acc is None:
                                    acc = templates[(a, b)] = TemplateAcc()
                                acc.count += 1
                                acc.spread.see(doc, block)
                                filler = clause[i:j]
                                if not capped or len(acc.fillers) < MAX_FILLERS:
                                    acc.fillers[filler] = acc.fillers.get(filler, 0) + 1
                                elif filler in acc.fillers:
                                    acc.fillers[filler] += 1
            items = textmod.list_items(sentence)
            if len(items) >= 2:
                out.lists.add([it for _o, it in items], cands)
        return out

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

    def select_templates(self, templates: dict[tuple[str, str], TemplateAcc]) -> list[TemplateStat]:
        """Keep A…B patterns with several different fillers whose pieces attract each other."""
        p = self.p
        total = self.han_chars or 1
        out: dict[tuple[str, str], TemplateStat] = {}
        for (a, b), acc in templates.items():
            c = acc.count
            if len(acc.fillers) < p.min_fillers:
                continue
            clean: Counter = Counter()
            for f, n in acc.fillers.items():
                f = f[:-1] if f.endswith("的") and len(f) > 2 else f
                clean[f] += n
            if len(clean) < p.min_fillers:
                continue
            # Association: how much more often A…B occur together (slot of 2–15) than their
            # own frequencies predict. A verb and its object noun (健全……体系) are far apart
            # in conditional probability but far above chance.
            ca, cb = self.counts[a], self.counts[b]
            lift = c * total / (ca * cb * SLOT_POSITIONS)
            assoc = max(c / ca, c / cb)
            if lift < MIN_LIFT and assoc < 0.3:
                continue
            diversity = len(clean) / c
            spread = dispersion(c, acc.spread.blocks, self.blocks_total)
            strength = min(1.0, math.log(max(lift, 1.0)) / 4) + assoc
            score = strength * math.log1p(len(clean)) * (0.5 + 0.5 * diversity) * spread**1.5
            out[(a, b)] = TemplateStat(
                a,
                b,
                c,
                clean,
                score,
                acc.spread.docs,
                in_docs=[tuple(x) for x in acc.spread.per_doc],
            )
        # Prefer the longer literal when it covers nearly all of a shorter one's uses.
        for (a, b), t in sorted(out.items(), key=lambda kv: -len(kv[0][0] + kv[0][1])):
            for shorter in ((a[1:], b), (a[:-1], b), (a, b[:-1]), (a, b[1:])):
                s = out.get(shorter)
                if s is not None and shorter[0] and t.count >= 0.8 * s.count:
                    del out[shorter]
        return sorted(out.values(), key=lambda t: -t.score)

    def companions(self, cands: dict[str, PhraseStat]) -> tuple[list[PairStat], dict]:
        """Pairs of phrases side by side in a list, scored by the Ochiai coefficient.

        c(a,b)/√(c(a)·c(b)) stays honest at the low counts companions have. Items seen
        once but standing in a parallel list become phrases too (see ListCounts).
        """
        lists = self.lists
        added = {}
        for item, c in lists.extra.items():
            if item not in cands:
                pmi = self.pmi(item) if item in self.counts else 0.0
                count = max(c, self.counts.get(item, c))
                added[item] = PhraseStat(item, count, pmi, 0.0, 0.0, source="list")
        total = sum(lists.items.values()) or 1
        pairs = []
        for (a, b), c in lists.pairs.items():
            ca, cb = lists.items[a], lists.items[b]
            score = c / math.sqrt(ca * cb)
            pairs.append(PairStat(a, b, c, score, math.log(c * total / (ca * cb))))
        pairs.sort(key=lambda x: (-x.score * math.log1p(x.count), -x.count))
        return pairs, added

    # -- pass 3: examples ------------------------------------------------------------

    def collect_examples(
        self, added: dict[str, PhraseStat], templates: list[TemplateStat], pairs: list[PairStat]
    ) -> None:
        """Example sentences for entries chosen after the stats pass: templates, pairs and
        phrases that joined from parallel lists.

        Each sentence is scanned once through windows of the lengths that matter and
        looked up in dicts, so the cost does not grow with the number of entries.
        """
        cap = self.p.examples
        by_tail: dict[str, list[TemplateStat]] = defaultdict(list)
        for t in templates:
            by_tail[t.suffix].append(t)
        pair_index: dict[str, list[PairStat]] = defaultdict(list)
        for pr in pairs:
            pair_index[pr.a].append(pr)
        wanted: dict[int, set[str]] = defaultdict(set)
        for key in (*added, *by_tail, *pair_index):
            wanted[len(key)].add(key)
        docs: dict[str, Counter] = defaultdict(Counter)
        keys = {k for group in wanted.values() for k in group}
        starts = {k[:2] for k in keys}
        sizes = sorted(wanted)
        for doc, _block, line, col, sentence in self._sentences("collecting examples"):
            present: dict[str, int] = {}
            # First occurrence of each key; a two-character prefix test skips most
            # positions before any longer slice is made.
            for i in range(len(sentence)):
                if sentence[i : i + 2] not in starts and sentence[i] not in keys:
                    continue
                for size in sizes:
                    w = sentence[i : i + size]
                    if len(w) == size and w in keys and w not in present:
                        present[w] = i
            if not present:
                continue
            for g, at in present.items():
                st = added.get(g)
                if st is not None:
                    docs[g][doc] += 1
                    if len(st.examples) < cap:
                        st.examples.append(Example(doc, line, col + at, sentence))
                for t in by_tail.get(g, ()):
                    if len(t.examples) >= cap:
                        continue
                    i = sentence.rfind(t.prefix, max(0, at - 17), at)
                    if i >= 0 and at - i - len(t.prefix) >= 2:
                        t.examples.append(Example(doc, line, col + i, sentence))
                for pr in pair_index.get(g, ()):
                    if len(pr.examples) < cap and pr.b in sentence:
                        pr.examples.append(Example(doc, line, col + at, sentence))
        for g, st in added.items():
            st.doc_count = len(docs[g]) or 1
            st.in_docs = sorted(docs[g].items())

    # -- the whole thing ---------------------------------------------------------------

    def run(self) -> MineResult:
        self.count_levels()
        cands = self.candidates()
        self.add_extra(cands)
        template_counts = self.gather(cands)
        # Most occurrences cut through a word (出贡献 in 作出贡献): a fragment after all.
        for g in [g for g, st in cands.items() if st.aligned <= 0.5 and st.source != "added"]:
            del cands[g]
        self.score_phrases(cands)
        templates = self.select_templates(template_counts)
        del template_counts
        pairs, added = self.companions(cands)
        self.collect_examples(added, templates, pairs)
        cands.update(added)
        for st in cands.values():
            st.words = self.words(st.text)
        phrases = sorted(cands.values(), key=lambda s: -s.score)
        return MineResult(phrases, templates, pairs, self.spool.chars, self.han_chars)


def mine(
    spool: Spool,
    params: MineParams | None = None,
    progress: Progress | None = None,
    extra: Iterable[str] = (),
    workers: int = 1,
) -> MineResult:
    """Mine a spooled corpus; see the module docstring for the passes. `extra` phrases
    (added by the user) are kept whatever their statistics. `workers` processes share
    the stats pass; the result does not depend on their number. One by default: on the
    large corpus two workers held 4.8 GB (every part's accumulators, a later part's
    template fillers uncapped so the merge can cap them exactly) and were no faster on a
    loaded 2-core machine."""
    return Miner(spool, params or MineParams(), progress, extra, workers).run()
