"""The in-memory index that matchers read: loaded once per process from a bank.

Postings from characters to phrase ids keep fuzzy matching to a few hundred rapidfuzz
comparisons per query however large the bank grows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .bank import Bank
from .lexicon import content_bigrams
from .sound import fuzzy

#: How many of the best phrases typo, variant and fuzzy matching consider.
MATCH_VOCABULARY = 40000


def _lengths(bank: Bank, banned: frozenset[str]) -> tuple[int, ...]:
    """The lengths of the bank's phrases (not counting banned ones), longest first."""
    lengths = [n for (n,) in bank.db.execute("select distinct length from phrases")]
    if banned:
        marks = ",".join("?" * len(banned))
        sql = f"select 1 from phrases where length = ? and text not in ({marks}) limit 1"
        lengths = [n for n in lengths if bank.db.execute(sql, [n, *banned]).fetchone()]
    return tuple(sorted(lengths, reverse=True))


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    count: int
    score: float
    quality: float  # percentile of score within the bank, 0..1
    pinyin: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateEntry:
    id: int
    text: str
    prefix: str
    suffix: str
    count: int
    score: float
    quality: float


@dataclass(frozen=True)
class Overlap:
    """A query's characters against the vocabulary (see `Index.overlap`); numpy arrays
    indexed by vocabulary position."""

    chars: tuple[str, ...]
    counts: Any  # how many of `chars` the phrase holds
    first: Any  # index in `chars` of the first one it holds (len(chars) if none)
    lengths: Any  # the phrase's length
    distinct: Any  # how many distinct characters the phrase has


@dataclass(frozen=True)
class Slips:
    """See `Index.slips`."""

    query: str
    by_sound: dict[tuple[str, ...], list[str]]  # fuzzy pinyin key → phrases
    by_mask: dict[str, list[str]]  # one character masked (狠抓?实) → phrases
    by_deletion: dict[str, list[str]]  # one character dropped (狠抓实) → phrases


#: Columns of a phrase row that make an `Entry` (with `rank` for its quality).
_ENTRY_COLUMNS = "id, text, count, score, pinyin, words, rank"


class Phrases(Mapping[str, Entry]):
    """The bank's phrases by text, read from the bank as they are asked for and kept.

    Making an `Entry` of each of the large bank's 247,215 phrases took a fresh process
    2.3 s; a query asks for a few hundred texts. Each phrase's quality comes from its
    `rank` (its place by score, written by the build), as if all had been read.
    Texts asked for and not found are kept too, up to `FORGET_AFTER`."""

    FORGET_AFTER = 1_000_000

    def __init__(self, bank: Bank, banned: frozenset[str]):
        self.bank = bank
        self.banned = banned
        top = bank.db.execute("select rank from phrases order by score desc limit 1").fetchone()
        self._n = max(1, top[0] if top else 0)  # the best has the last rank
        self._texts: dict[str, Entry | None] = {}
        self._ids: dict[int, Entry | None] = {}

    def entry(self, row: tuple) -> Entry | None:
        """An entry from a row of `_ENTRY_COLUMNS`, kept; None for a banned phrase."""
        pid, text, count, score, py, words, rank = row
        e = None
        if text not in self.banned:
            pinyin, split = tuple((py or "").split()), tuple((words or "").split())
            e = Entry(pid, text, count, score, rank / self._n, pinyin, split)
        self._texts[text] = e
        self._ids[pid] = e
        return e

    def fetch(self, texts: Iterable[str]) -> None:
        """Read the phrases among `texts` not asked for yet, in one statement."""
        missing = {t for t in texts if t not in self._texts}
        if not missing:
            return
        if len(self._texts) > self.FORGET_AFTER:
            self._texts = {t: e for t, e in self._texts.items() if e is not None}
        sql = f"select {_ENTRY_COLUMNS} from phrases where text in ({{marks}})"
        for row in self.bank._where_in(sql, missing):
            self.entry(row)
        for t in missing:
            self._texts.setdefault(t, None)

    def by_id(self, pid: int) -> Entry | None:
        if pid not in self._ids:
            self.fetch_ids([pid])
        return self._ids[pid]

    def fetch_ids(self, ids: Iterable[int]) -> None:
        missing = {i for i in ids if i not in self._ids}
        if missing:
            sql = f"select {_ENTRY_COLUMNS} from phrases where id in ({{marks}})"
            for row in self.bank._where_in(sql, missing):
                self.entry(row)
            for i in missing:
                self._ids.setdefault(i, None)

    def get(self, text: str, default: Any = None) -> Any:
        if text not in self._texts:
            self.fetch([text])
        e = self._texts[text]
        return default if e is None else e

    def __getitem__(self, text: str) -> Entry:
        e = self.get(text)
        if e is None:
            raise KeyError(text)
        return e

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and self.get(text) is not None

    def __iter__(self) -> Iterator[str]:
        """Every phrase, by score (reads the whole table: only tests and tools want it)."""
        sql = f"select {_ENTRY_COLUMNS} from phrases order by score"
        for row in self.bank.db.execute(sql).fetchall():
            if self.entry(row) is not None:
                yield row[1]

    def __len__(self) -> int:
        return sum(1 for _t in self)


@dataclass
class Index:
    phrases: Mapping[str, Entry]
    templates: list[TemplateEntry] | None
    lengths: tuple[int, ...] = ()
    bank: Bank | None = None
    pinned: frozenset[str] = frozenset()
    banned: frozenset[str] = frozenset()
    _readings: dict[str, list[str]] = field(default_factory=dict)
    _simplified: dict[str, str] = field(default_factory=dict)
    _partners: dict[str, list[tuple[str, float, int]]] = field(default_factory=dict)
    _alikes: dict[str, str] = field(default_factory=dict)
    _overlap: Overlap | None = None
    _slips: Slips | None = None
    #: Phrases keyed for slips so far, and the tables over all of them once that is cheaper.
    _keyed: int = 0
    _all_slips: Slips | None = None

    @classmethod
    def load(cls, bank: Bank, tags: Iterable[str] = (), *, read_all: bool = False) -> Index:
        """The bank's phrases and templates, less those the user banned: what is not
        loaded cannot be matched, suggested or proposed as a fix by any matcher.
        Percentiles are taken before banning, so a ban moves no other entry. With `tags`,
        only the entries found in documents carrying one of them, all read now (as with
        `read_all`); else each phrase and template is read when a query asks for it (see
        `Phrases`): the same answers, without seconds of loading on a large bank."""
        tags = list(tags)
        banned = bank.marked("banned")
        pinned = bank.marked("pinned")
        if not tags and not read_all:
            phrases = Phrases(bank, banned)
            return cls(phrases, None, _lengths(bank, banned), bank, pinned, banned)
        rows = list(
            bank.db.execute(
                "select id, text, count, score, pinyin, words from phrases order by score"
            )
        )
        if tags:
            keep = bank.tagged_entries("phrase", tags)
            rows = [r for r in rows if r[0] in keep]
        n = max(1, len(rows) - 1)
        phrases = {
            text: Entry(
                pid,
                text,
                count,
                score,
                i / n,
                tuple((py or "").split()),
                tuple((words or "").split()),
            )
            for i, (pid, text, count, score, py, words) in enumerate(rows)
            if text not in banned
        }
        trows = list(
            bank.db.execute(
                "select id, text, prefix, suffix, count, score from templates order by score"
            )
        )
        if tags:
            keep = bank.tagged_entries("template", tags)
            trows = [r for r in trows if r[0] in keep]
        tn = max(1, len(trows) - 1)
        templates = [
            TemplateEntry(*row, i / tn) for i, row in enumerate(trows) if row[1] not in banned
        ]
        lengths = tuple(sorted({len(t) for t in phrases}, reverse=True))
        return cls(phrases, templates, lengths, bank, pinned, banned)

    def prefetch(self, texts: Iterable[str]) -> None:
        """Read the phrases among `texts` from the bank in one go (when not all loaded)."""
        if isinstance(self.phrases, Phrases):
            self.phrases.fetch(texts)

    def text_of(self, pid: int) -> str | None:
        """The text of phrase `pid`; None when it is banned or filtered out."""
        if isinstance(self.phrases, Phrases):
            e = self.phrases.by_id(pid)
            return e.text if e is not None else None
        return self.by_id.get(pid)

    def prefetch_ids(self, ids: Iterable[int]) -> None:
        if isinstance(self.phrases, Phrases):
            self.phrases.fetch_ids(ids)

    def templates_with_prefix(self, prefixes: Iterable[str]) -> list[TemplateEntry]:
        """The templates opening with one of `prefixes`, in index order (by score)."""
        if self.templates is not None:
            by_prefix = self.templates_by_prefix
            found = set(prefixes).intersection(by_prefix)
            return [t for _n, t in sorted(x for p in found for x in by_prefix[p])]
        rows = self.bank._where_in(
            "select id, text, prefix, suffix, count, score, rank from templates "
            "where prefix in ({marks})",
            prefixes,
        )
        rows.sort(key=lambda r: r[6])
        n = self._template_ranks
        return [TemplateEntry(*r[:6], r[6] / n) for r in rows if r[1] not in self.banned]

    @cached_property
    def _template_ranks(self) -> int:
        """The denominator of a template's quality: its rank over this (as in `Phrases`)."""
        top = self.bank.db.execute("select count(*) from templates").fetchone()[0]
        return max(1, top - 1)

    def partners(self, text: str) -> list[tuple[str, float, int]]:
        """(partner, score, count) of a phrase's companions, best first, looked up in the
        bank when asked: a query needs those of a few phrases, not all pairs in memory."""
        if text not in self._partners:
            e = self.phrases.get(text)
            rows = self.bank.partner_rows(e.id) if e is not None and self.bank else []
            rows = [r for r in rows if r[0] in self.phrases]  # a tag filter may leave some out
            rows.sort(key=lambda x: (-x[1] * (1 + x[2]) ** 0.5, -x[2], x[0]))
            self._partners[text] = rows
        return self._partners[text]

    def simplify(self, text: str) -> str:
        """Fold traditional characters to simplified (國家 → 国家) via the bank's table."""
        if self.bank is None:
            return text
        known = self._simplified
        missing = {c for c in text if c not in known}
        if missing:  # remembered across queries: a drafter's characters soon repeat
            found = self.bank.simplified(missing)
            for c in missing:
                known[c] = found.get(c, c)
        return "".join(known[c] for c in text)

    def readings(self, chars: str) -> dict[str, list[str]]:
        """Toneless readings of characters, from the bank, remembered across queries."""
        missing = {c for c in chars if c not in self._readings}
        if missing and self.bank is not None:
            found = self.bank.readings(missing)
            for c in missing:
                self._readings[c] = found.get(c, [])
        return {c: self._readings.get(c, []) for c in chars}

    def look_alikes(self, chars: str) -> dict[str, str]:
        """The bank-phrase characters each of `chars` looks like ("" for none), from the
        bank's shape table, remembered across queries."""
        missing = {c for c in chars if c not in self._alikes}
        if missing and self.bank is not None:
            found = self.bank.look_alikes(missing)
            for c in missing:
                self._alikes[c] = found.get(c, "")
        return {c: self._alikes.get(c, "") for c in chars}

    @cached_property
    def vocabulary(self) -> list[Entry]:
        """The best-scored phrases, which typo, variant and fuzzy matching point to: a fix
        should lead to an established formulation, and on a bank mined from millions of
        characters the long tail would only slow every query down."""
        if not isinstance(self.phrases, Phrases):
            ranked = sorted(self.phrases.values(), key=lambda e: -e.score)
            return ranked[:MATCH_VOCABULARY]
        self.prefetch(self.ranked_texts)
        return [self.phrases[t] for t in self.ranked_texts]

    @cached_property
    def _ranked(self) -> tuple[list[str], list[str]]:
        """(texts, space-joined words) of the vocabulary, in its order. Read from the bank
        without making an entry of each: matchers want the texts of all, the rest of few."""
        if not isinstance(self.phrases, Phrases):
            return [e.text for e in self.vocabulary], [" ".join(e.words) for e in self.vocabulary]
        rows = zip(*self.bank.ranked(MATCH_VOCABULARY + len(self.banned)), strict=True)
        texts, words = [], []
        for text, w in rows:
            if text not in self.banned:
                texts.append(text)
                words.append(w)
                if len(texts) == MATCH_VOCABULARY:
                    break
        return texts, words

    @property
    def ranked_texts(self) -> list[str]:
        """The vocabulary's texts, in its order (a position in it is a vocabulary position)."""
        return self._ranked[0]

    @property
    def ranked_words(self) -> list[str]:
        """The vocabulary's words, space-joined, in its order."""
        return self._ranked[1]

    @cached_property
    def vocabulary_texts(self) -> frozenset[str]:
        """The vocabulary's texts, for membership tests (a look-alike fix must be one)."""
        return frozenset(self.ranked_texts)

    @property
    def by_char(self) -> dict[str, Any]:
        """Character → positions in the vocabulary of the phrases holding it, ascending (as
        numpy arrays: a common character is in thousands of phrases, and fuzzy and variant
        count them all for every query)."""
        return self._postings[0]

    @property
    def _shapes(self) -> tuple[Any, Any]:
        """(length, distinct characters) of each vocabulary phrase, as numpy arrays."""
        return self._postings[1:]

    @cached_property
    def _postings(self) -> tuple[dict[str, Any], Any, Any]:
        """`by_char` and `_shapes`, made by sorting (character, position) pairs in numpy:
        a loop over the 40,000 phrases took a fresh process 0.15 s."""
        import numpy as np

        texts = self.ranked_texts
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        owners = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        pairs = np.sort((codes.astype(np.int64) << 32) | owners)  # by character, position
        pairs = pairs[np.diff(pairs, prepend=-1) != 0]  # np.unique, without its 20 ms import
        chars, positions = pairs >> 32, pairs & 0xFFFFFFFF
        distinct = np.bincount(positions, minlength=len(texts))
        starts = np.flatnonzero(np.diff(chars, prepend=-1))
        ends = np.append(starts[1:], len(pairs))
        by_char = {
            chr(c): positions[a:b]
            for c, a, b in zip(chars[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)
        }
        return by_char, lengths, distinct

    def overlap(self, chars: Iterable[str]) -> Overlap:
        """How many of `chars` (distinct, in the caller's order) each vocabulary phrase
        holds, and the first of them it holds; fuzzy and variant ask for the same query's
        characters in turn, so the last answer is kept."""
        import numpy as np

        chars = tuple(dict.fromkeys(chars))
        if self._overlap is not None and self._overlap.chars == chars:
            return self._overlap
        size = len(self.ranked_texts)
        postings = [(k, self.by_char[c]) for k, c in enumerate(chars) if c in self.by_char]
        counts = np.zeros(size, dtype=np.int64)
        first = np.full(size, len(chars), dtype=np.int64)
        if postings:
            counts = np.bincount(np.concatenate([p for _k, p in postings]), minlength=size)
            for k, p in reversed(postings):
                first[p] = k
        lengths, distinct = self._shapes
        self._overlap = Overlap(chars, counts, first, lengths, distinct)
        return self._overlap

    @cached_property
    def templates_by_prefix(self) -> dict[str, list[tuple[int, TemplateEntry]]]:
        """Prefix → (position in `templates`, template) of those opening with it: a query
        meets the few whose prefix it contains instead of testing tens of thousands."""
        out: dict[str, list[tuple[int, TemplateEntry]]] = defaultdict(list)
        for n, t in enumerate(self.templates):
            out[t.prefix].append((n, t))
        return dict(out)

    @cached_property
    def template_prefix_sizes(self) -> tuple[int, ...]:
        if self.templates is not None:
            return tuple(sorted({len(p) for p in self.templates_by_prefix}))
        rows = self.bank.db.execute("select distinct length(prefix) from templates")
        return tuple(sorted(n for (n,) in rows))

    @cached_property
    def by_id(self) -> dict[int, str]:
        """Phrase id → text, when every phrase is loaded (a tag filter); see `text_of`."""
        return {e.id: e.text for e in self.phrases.values()}

    @cached_property
    def glosses(self) -> dict[int, str]:
        """Phrase id → its dictionary gloss (a few thousand idioms at most), kept in memory:
        intent shows dozens of them per query."""
        return dict(self.bank.glosses()) if self.bank is not None else {}

    @cached_property
    def gloss_bigrams(self) -> list[tuple[str, frozenset[str]]]:
        """(phrase, bigrams of its dictionary gloss), for matching plain speech to idioms."""
        out = []
        self.prefetch_ids(self.glosses)
        for pid, gloss in self.glosses.items():
            text = self.text_of(pid)
            if text is not None:
                out.append((text, frozenset(content_bigrams(gloss))))
        return out

    @cached_property
    def gloss_postings(self) -> dict[str, list[int]]:
        """Bigram → positions in `gloss_bigrams` of the glosses holding it: a query meets
        a few dozen glosses through its bigrams, where testing every gloss took 0.4 ms."""
        out: dict[str, list[int]] = defaultdict(list)
        for at, (_text, bigrams) in enumerate(self.gloss_bigrams):
            for bigram in bigrams:
                out[bigram].append(at)
        return out

    @cached_property
    def by_word_dropped(self) -> dict[str, list[str]]:
        """Each phrase with one inner word left out (提供[有力]保障 → 提供保障) → phrases:
        the plain form a drafter writes before reaching for the stock intensifier."""
        out: dict[str, list[str]] = defaultdict(list)
        for text, joined in zip(*self._ranked, strict=True):
            if joined.count(" ") < 2:
                continue
            words = tuple(joined.split())
            for k in range(1, len(words) - 1):
                if len(words[k]) >= 2:
                    out["".join(words[:k] + words[k + 1 :])].append(text)
        return dict(out)

    def slips(self, query: str) -> Slips:
        """Fuzzy pinyin key, masked and shortened forms → vocabulary phrases, for the phrases
        a one-character slip in `query` could have been.

        Such a phrase has all its distinct characters but one in the query (two when it has
        eight characters, as typo allows a quarter of them wrong), so only those are keyed;
        over the whole vocabulary these tables took 1.3 s to build on the large bank, more
        than a single query's whole answer. Lists keep vocabulary order."""
        import numpy as np

        if self._all_slips is not None:
            return self._all_slips
        if self._slips is not None and self._slips.query == query:
            return self._slips
        o = self.overlap(query)
        near = (o.counts > 0) & (o.counts >= o.distinct - np.maximum(1, o.lengths // 4))
        near_texts = [self.ranked_texts[n] for n in np.flatnonzero(near).tolist()]
        self._keyed += len(near_texts)
        if self._keyed > len(self.ranked_texts):
            # A long draft (`check`) asks for much of the vocabulary sentence after
            # sentence: keying it all once is cheaper from here on, with the same answers
            # (a phrase that is not near the query never matches its keys).
            self._all_slips = self._key_slips("", self.ranked_texts)
            return self._all_slips
        self._slips = self._key_slips(query, near_texts)
        return self._slips

    def _key_slips(self, query: str, texts: list[str]) -> Slips:
        sound: dict[tuple[str, ...], list[str]] = defaultdict(list)
        mask: dict[str, list[str]] = defaultdict(list)
        deletion: dict[str, list[str]] = defaultdict(list)
        self.prefetch(texts)
        for t in texts:
            e = self.phrases[t]
            if len(e.pinyin) == len(t):
                sound[tuple(fuzzy(s) for s in e.pinyin)].append(t)
            if len(t) >= 4:
                for i in range(len(t)):
                    mask[t[:i] + "?" + t[i + 1 :]].append(t)
                    deletion[t[:i] + t[i + 1 :]].append(t)
        return Slips(query, dict(sound), dict(mask), dict(deletion))
