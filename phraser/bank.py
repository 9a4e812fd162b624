"""The phrase bank: a plain SQLite file (open it in Datasette) written atomically.

Tables: meta, documents, phrases (+ ranked), templates, fillers, pairs, examples, sentences
(+ sentences_fts), and the lexical tables of intent; db/schema.sql has them all.
A build writes a new file beside the old one and renames it over, so an interrupted
build never leaves a half-written bank behind.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .text import slot_marks

if TYPE_CHECKING:  # imported where used: the build's modules, and numpy's only when asked
    import sqlite_utils

    from .corpus import DocInfo, Spool
    from .mine import Example, MineParams, MineResult, PairStat
    from .senses import SensePack

SCHEMA_VERSION = 11

#: Phrases to a row of `ranked` (see `set_ranks`).
RANKED_ROW = 5000
EXAMPLE_CHARS = 120
#: SQLite's page cache while a bank is written, in KiB: rows are appended and indexed
#: after, so 32 MB writes a large bank as fast as 256 MB did, 225 MB lighter.
BUILD_CACHE_KB = 32 * 1024
#: Banks with this many phrases get their pinyin and look-alikes from a second process.
BACKGROUND_WORK = 20_000
#: How much lower the side files' processes (sense rows, trigram index) run than the
#: build: their tables are copied in at the very end, while this process, which writes
#: every other table, is the write phase's longest path and lost a third of its core to
#: them.
SIDE_NICE = 5
REQUIRED_TABLES = {
    "meta",
    "documents",
    "phrases",
    "templates",
    "fillers",
    "pairs",
    "examples",
    "sentences",
    "ranked",
    "chars",
    "senses",
    "sense_pack",
    "thesaurus",
    "glosses",
    "meanings",
    "meaning_idf",
    "texts",
    "document_tags",
    "entry_documents",
    "curation",
}
#: Rows of the bank's `curation` table (and of the sidecar file it is copied from).
CURATION_COLUMNS = ("text", "kind", "pinned", "banned", "added", "note")


class BankError(Exception):
    """A bank that is missing, unreadable or from another schema; the message says what to do."""


class StaleBankError(BankError):
    """A bank written by another schema version: readable enough to say what it was built
    from (`fingerprint`, `params`), so one built from the bundled corpus can be rebuilt."""

    def __init__(self, message: str, fingerprint: str | None, params: str | None):
        super().__init__(message)
        self.fingerprint = fingerprint
        self.params = params


def default_path() -> Path:
    """`PHRASER_DB`, else `bank.sqlite` in the per-user data directory."""
    env = os.environ.get("PHRASER_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("phraser", appauthor=False)) / "bank.sqlite"


@dataclass
class BuildSummary:
    documents: int
    characters: int
    phrases: int
    templates: int
    pairs: int
    seconds: float
    skipped: int = 0
    duplicates: int = 0


def _clip(sentence: str, col: int, width: int = EXAMPLE_CHARS) -> tuple[str, int]:
    """A long sentence cut to `width` characters around position `col` (0-based)."""
    if len(sentence) <= width:
        return sentence, col
    start = max(0, min(col - width // 3, len(sentence) - width))
    return sentence[start : start + width], col - start


def _create_schema(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["documents"].create(
        {"id": int, "path": str, "name": str, "sha1": str, "encoding": str, "chars": int},
        pk="id",
    )
    # The normalised text of each document: `phraser add` and `remove` mine again from
    # here without reading (or even finding) the original files.
    db["texts"].create(
        {"doc_id": int, "text": str}, pk="doc_id", foreign_keys=[("doc_id", "documents", "id")]
    )
    db["document_tags"].create(
        {"doc_id": int, "tag": str},
        pk=("doc_id", "tag"),
        foreign_keys=[("doc_id", "documents", "id")],
    )
    # Which documents each phrase and template occurs in, and how often. This table and
    # `fillers` are clustered by their keys (WITHOUT ROWID): rows written in key order
    # are appended, where a rowid table also fills a second b-tree for the key (a large
    # bank's 751K rows, inserted alone: ≈ 1.7 → 1.2 s).
    db.execute(
        """CREATE TABLE "entry_documents" (
   "kind" TEXT,
   "entry_id" INTEGER,
   "doc_id" INTEGER REFERENCES "documents"("id"),
   "count" INTEGER,
   PRIMARY KEY ("kind", "entry_id", "doc_id")
) WITHOUT ROWID"""
    )
    db["phrases"].create(
        {
            "id": int,
            "text": str,
            "length": int,
            "count": int,
            "doc_count": int,
            "block_count": int,
            "pmi": float,
            "left_entropy": float,
            "right_entropy": float,
            "dispersion": float,
            "aligned": float,
            "score": float,
            "source": str,
            "pinyin": str,
            "words": str,
            "rank": int,
        },
        pk="id",
        not_null={"text", "count"},
    )
    db["chars"].create({"char": str, "readings": str, "simplified": str, "alike": str}, pk="char")
    db["thesaurus"].create({"word": str, "grp": int})
    db["glosses"].create(
        {"phrase_id": int, "gloss": str},
        pk="phrase_id",
        foreign_keys=[("phrase_id", "phrases", "id")],
    )
    # Clustered by term (WITHOUT ROWID), then by whether the term is a morpheme's synonym and
    # by part: a query reads just the postings it wants (say a term's rows for whole phrases
    # and own morphemes, not its thousands as a synonym or context word) as a run of pages.
    db.execute(
        """CREATE TABLE "senses" (
   "term" TEXT NOT NULL,
   "phrase_id" INTEGER NOT NULL REFERENCES "phrases"("id"),
   "weight" REAL,
   "idf" REAL,
   "part" INTEGER NOT NULL,
   "width" INTEGER,
   "synonym" INTEGER NOT NULL,
   PRIMARY KEY ("term", "synonym", "part", "phrase_id")
) WITHOUT ROWID"""
    )
    # The same rows as columns in blobs, for reading (see `senses.write_pack`).
    db["sense_pack"].create({"name": str, "data": bytes}, pk="name")
    db["meanings"].create(
        {"char": str, "phrase_id": int, "weight": float},
        foreign_keys=[("phrase_id", "phrases", "id")],
    )
    db["meaning_idf"].create({"char": str, "idf": float}, pk="char")
    # The phrases' texts and words by score, `RANKED_ROW` to a row (see `set_ranks`).
    db["ranked"].create({"id": int, "texts": str, "words": str}, pk="id")
    db["curation"].create(
        {"text": str, "kind": str, "pinned": int, "banned": int, "added": int, "note": str},
        pk="text",
    )
    db["templates"].create(
        {
            "id": int,
            "text": str,
            "prefix": str,
            "suffix": str,
            "count": int,
            "filler_count": int,
            "doc_count": int,
            "score": float,
            "rank": int,
        },
        pk="id",
    )
    db.execute(
        """CREATE TABLE "fillers" (
   "template_id" INTEGER REFERENCES "templates"("id"),
   "filler" TEXT,
   "count" INTEGER,
   PRIMARY KEY ("template_id", "filler")
) WITHOUT ROWID"""
    )
    db["pairs"].create(
        {
            "id": int,
            "a_id": int,
            "b_id": int,
            "a": str,
            "b": str,
            "count": int,
            "score": float,
            "pmi": float,
        },
        pk="id",
        foreign_keys=[("a_id", "phrases", "id"), ("b_id", "phrases", "id")],
    )
    # Example sentences are stored once: on a large corpus one sentence is the example of
    # six entries on average, and the full-text index is built over distinct sentences.
    db["sentences"].create({"id": int, "text": str}, pk="id")
    db["examples"].create(
        {
            "id": int,
            "kind": str,
            "entry_id": int,
            "doc_id": int,
            "line": int,
            "col": int,
            "sentence_id": int,
            "start": int,
        },
        pk="id",
        foreign_keys=[("doc_id", "documents", "id"), ("sentence_id", "sentences", "id")],
    )


def _create_indexes(db: sqlite_utils.Database) -> None:
    """The indexes, made once the rows are in: SQLite builds an index from sorted rows
    faster than it inserts rows into it one at a time in no order (a large bank's examples:
    10.4 s written into their indexes, 5.7 s written then 1.5 s indexed)."""
    db["phrases"].create_index(["text"], unique=True)
    db["phrases"].create_index(["score"])
    db["phrases"].create_index(["length"])
    db["templates"].create_index(["text"], unique=True)
    db["templates"].create_index(["suffix"])
    db["templates"].create_index(["prefix"])
    db["pairs"].create_index(["a_id"])
    db["pairs"].create_index(["b_id"])
    db["examples"].create_index(["kind", "entry_id"])
    db["examples"].create_index(["sentence_id"])
    db["entry_documents"].create_index(["doc_id", "kind"])
    db["document_tags"].create_index(["tag"])
    db["meanings"].create_index(["char", "phrase_id", "weight"])
    db["thesaurus"].create_index(["word"])
    db["thesaurus"].create_index(["grp"])


#: An `examples` row as `example_rows` makes it.
EXAMPLE_COLUMNS = ("kind", "entry_id", "doc_id", "line", "col", "sentence_id", "start")


def example_rows(
    entries: Iterable[tuple[str, int, list[Example], str]], sentence_id: Callable[[str], int]
) -> Iterator[tuple]:
    """The `examples` rows (`EXAMPLE_COLUMNS`) of (kind, entry id, examples, text shown)
    entries: a long sentence clipped around the text, `start` the text's offset in it (−1
    when it is not there). `sentence_id` stores a sentence once and gives its id.

    Tuples made in one loop: a large bank has 1.1M rows, and a dict and two calls per row
    were two thirds of their writing time."""
    for kind, entry_id, examples, needle in entries:
        for ex in examples:
            sentence = ex.sentence
            at = sentence.find(needle)
            start = at if at > 0 else 0
            if len(sentence) > EXAMPLE_CHARS:
                sentence, start = _clip(sentence, start)
            sid = sentence_id(sentence)
            yield kind, entry_id, ex.doc, ex.line, ex.col, sid, start if at >= 0 else -1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(folder: Path, bank_name: str) -> list[Path]:
    """Remove temp files that killed builds of this bank left in `folder` (their process
    is gone): `.BANK.PID.tmp` and `.spool-*.PID.tmp`, nothing else."""
    removed = []
    candidates = [*folder.glob(f".{bank_name}.*.tmp"), *folder.glob(".spool-*.tmp")]
    for tmp in candidates:
        parts = tmp.name.split(".")
        pid = parts[-2] if len(parts) >= 3 else ""
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write(
    path: Path,
    result: MineResult,
    spool: Spool,
    params: MineParams,
    *,
    seconds: float = 0.0,
    senses: Callable[[], Iterable[tuple]] = tuple,
    thesaurus: Iterable[dict] = (),
    glosses: Iterable[dict] = (),
    meanings: Callable[[], tuple[Iterable[dict], Iterable[dict]]] | None = None,
    curation: Iterable[dict] = (),
    sounds: Sounds | None = None,
) -> None:
    """Write a mined result as a bank at `path`, atomically (temp file + rename).

    `senses` makes the sense rows and `meanings` the rows of `meanings` and `meaning_idf`:
    they may run in a second process, so they must pickle.
    `sounds`, when given, was started on the result's phrases before mining ended (it
    is closed here either way).

    `curation` rows (the user's pins, bans, notes and added phrases, kept in a sidecar
    file) are copied in before the rename, so a new bank never appears without them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    later = side = index = None
    try:
        import sqlite_utils

        db = sqlite_utils.Database(tmp)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        # Above SQLite's default 2 MB: the indexes are sorted in memory (temp_store).
        db.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KB}")
        db.execute("PRAGMA temp_store = MEMORY")
        _create_schema(db)
        later = sounds or Sounds([st.text for st in result.phrases])
        readings = later.readings
        big = len(result.phrases) >= BACKGROUND_WORK
        lexical = ("senses", "sense_pack", "meanings", "meaning_idf")
        side = _SideFile(
            db,
            path.with_name(f".{path.name}.senses.{os.getpid()}.tmp"),
            _write_senses,
            (senses, meanings),
            needs=lexical,
            takes=lexical,
            background=big,
        )
        ids = {st.text: i for i, st in enumerate(result.phrases, start=1)}  # 1-based positions
        companions = _companions(result, ids)
        with db.conn:
            sentences = _fill_examples(db, result, companions)
        # Indexed from here on, while the rest is written.
        index = _SideFile(
            db,
            path.with_name(f".{path.name}.fts.{os.getpid()}.tmp"),
            _index_sentences,
            (sentences if big else [],),
            needs=("sentences",),
            takes=FTS_TABLES,
            background=big,
        )
        del sentences
        with db.conn:
            _fill(db, result, ids, companions, spool, params, seconds)
            _bulk(db, "thesaurus", thesaurus)
            _bulk(db, "glosses", glosses)
            _bulk(db, "curation", curation)
            pinyin, alike = later.get()
            _write_chars(db, readings, alike)
            _write_phrases(db, result, pinyin)
            _create_indexes(db)
            _write_ranked(db.conn, ((st.text, " ".join(st.words)) for st in result.phrases))
        side.write(db)
        index.write(db)
        # Statistics from a sample of each index: the planner needs their shape, not exact
        # counts, and a full ANALYZE read every row of a large bank (≈ 1 s).
        db.execute("PRAGMA analysis_limit = 1000")
        db.execute("ANALYZE")
        db.conn.commit()
        db.close()
        os.replace(tmp, path)
    finally:
        if later is not None:
            later.close()
        for job in (side, index):
            if job is not None:
                job.close()
        tmp.unlink(missing_ok=True)


def _fill(
    db,
    result: MineResult,
    ids: dict[str, int],
    companions: list[PairStat],
    spool: Spool,
    params: MineParams,
    seconds: float,
) -> None:
    """Every table of the mined result but the phrases themselves (rows of the big ones
    as tuples: see `example_rows`); `ids` gives each phrase's id."""
    fingerprint = _fingerprint(d.sha1 for d in spool.docs)
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "params": json.dumps(params.__dict__, ensure_ascii=False),
        "corpus_fingerprint": fingerprint,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "characters": str(result.chars),
        "han_characters": str(result.han_chars),
        "build_seconds": f"{seconds:.2f}",
    }
    _bulk(db, "meta", [{"key": k, "value": v} for k, v in meta.items()])
    _insert(
        db,
        "documents",
        ("id", "path", "name", "sha1", "encoding", "chars"),
        ((d.idx, d.path, d.name, d.sha1, d.encoding, d.chars) for d in spool.docs),
    )
    _insert(db, "texts", ("doc_id", "text"), ((info.idx, text) for info, text in spool.texts()))
    _insert(
        db,
        "document_tags",
        ("doc_id", "tag"),
        ((d.idx, tag) for d in spool.docs for tag in sorted(set(d.tags))),
    )
    _insert(
        db,
        "entry_documents",
        ("kind", "entry_id", "doc_id", "count"),
        (
            (kind, i, doc, n)
            for kind, entries in (("phrase", result.phrases), ("template", result.templates))
            for i, st in enumerate(entries, start=1)
            for doc, n in st.in_docs
        ),
    )
    _insert(
        db,
        "templates",
        ("id", "text", "prefix", "suffix", "count", "filler_count", "doc_count", "score", "rank"),
        (
            (i, t.text, t.prefix, t.suffix, t.count, len(t.fillers), t.doc_count, score, rank)
            for (i, t), score, rank in zip(
                enumerate(result.templates, start=1), *_ranked_scores(result.templates), strict=True
            )
        ),
    )
    _insert(
        db,
        "fillers",
        ("template_id", "filler", "count"),
        (
            (i, f, n)
            for i, t in enumerate(result.templates, start=1)
            for f, n in t.fillers.most_common()
        ),
    )
    _insert(
        db,
        "pairs",
        ("id", "a_id", "b_id", "a", "b", "count", "score", "pmi"),
        (
            (i, ids[p.a], ids[p.b], p.a, p.b, p.count, round(p.score, 5), round(p.pmi, 4))
            for i, p in enumerate(companions, start=1)
        ),
    )


def _companions(result: MineResult, ids: dict[str, int]) -> list[PairStat]:
    """The pairs a bank keeps (both phrases in it), in id order from 1."""
    return [p for p in result.pairs if p.a in ids and p.b in ids]


def _fill_examples(db, result: MineResult, companions: list[PairStat]) -> list[tuple[int, str]]:
    """Every entry's examples, each sentence stored once: the (id, sentence) rows."""
    sentences: dict[str, int] = {}
    entries = itertools.chain(
        (("phrase", i, st.examples, st.text) for i, st in enumerate(result.phrases, start=1)),
        (("template", i, t.examples, t.prefix) for i, t in enumerate(result.templates, start=1)),
        (("pair", i, p.examples, p.a) for i, p in enumerate(companions, start=1)),
    )
    stored = functools.partial(_stored_once, sentences)
    _insert(db, "examples", EXAMPLE_COLUMNS, example_rows(entries, stored))
    rows = [(i, t) for t, i in sentences.items()]
    db.conn.executemany("insert into sentences (id, text) values (?, ?)", rows)
    return rows


def _stored_once(ids: dict[str, int], sentence: str) -> int:
    return ids.setdefault(sentence, len(ids) + 1)


def _table_sql(db, table: str) -> str:
    return db.execute("select sql from sqlite_master where name = ?", [table]).fetchone()[0]


def _sounds_and_shapes(texts: list[str], readings: dict[str, str]):
    from . import shape, sound

    alike = shape.look_alikes({c for t in texts for c in t})
    return sound.phrase_pinyin(texts, readings), alike


class Sounds:
    """The phrases' pinyin and their characters' look-alikes, collected later: pypinyin
    takes ≈ 0.05 ms a phrase (12 s on a large bank), so there they are worked out in a
    second process, started as soon as the miner knows its phrases (while it still
    collects examples) and collected when the bank writes them; `close` stops that
    process if the build fails before collecting it."""

    def __init__(self, texts: list[str]):
        from . import sound
        from .offload import Later

        self.readings = sound.char_readings()
        big = len(texts) >= BACKGROUND_WORK
        self.job = Later(_sounds_and_shapes, texts, self.readings, background=big)

    def get(self) -> tuple[dict[str, str], dict[str, str]]:
        return self.job.get()

    def close(self) -> None:
        self.job.close()


class _SideFile:
    """Tables made by a second process in a file beside the bank while this one writes
    the others, then copied in by SQLite (`ATTACH … INSERT … SELECT`, ≈ 0.1 s where the
    work took 10–15 s on a large bank). `work(db, *args)` fills a database: the side file
    on large banks, the bank itself on small ones (a second interpreter costs more than
    it saves there). The side file starts with the bank's definitions of the tables the
    work `needs`; the bank `takes` what it makes, a virtual table created from the side's
    definition and its shadow tables copied after it. `close` stops the process and
    removes its file if the build fails first."""

    def __init__(
        self,
        db,
        path: Path,
        work: Callable,
        args: tuple,
        *,
        needs: tuple[str, ...],
        takes: tuple[str, ...],
        background: bool,
    ):
        self.path, self.work, self.args, self.takes, self.job = path, work, args, takes, None
        if background:
            self.path.unlink(missing_ok=True)
            from .offload import Offload

            schema = [_table_sql(db, t) for t in needs]
            self.job = Offload(_write_side, self.path, schema, work, *args, nice=SIDE_NICE)

    def write(self, db) -> None:
        """Put the tables in the bank (outside a transaction: SQLite attaches only then)."""
        if self.job is None:
            with db.conn:
                self.work(db, *self.args)
            return
        self.job.get()
        self.job = None
        db.execute("ATTACH DATABASE ? AS side", [str(self.path)])
        made = dict(db.execute("select name, sql from side.sqlite_master where type = 'table'"))
        with db.conn:
            for table in self.takes:
                if not db[table].exists():
                    db.execute(made[table])
                if made[table].startswith("CREATE VIRTUAL"):
                    continue  # its shadow tables follow it in `takes`
                db.execute(f'DELETE FROM main."{table}"')
                db.execute(f'INSERT INTO main."{table}" SELECT * FROM side."{table}"')
        db.execute("DETACH DATABASE side")
        self.close()

    def close(self) -> None:
        if self.job is not None:
            self.job.close()
        self.path.unlink(missing_ok=True)


def _write_side(path: Path, schema: list[str], work: Callable, *args) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for sql in schema:
        db.execute(sql)
    with db.conn:
        work(db, *args)
    db.close()


def _write_senses(db, rows: Callable[[], Iterable[tuple]], meanings: Callable | None) -> None:
    """The sense rows and their pack (see `senses`), and the phrases' meaning bags: ≈ 10 s
    of Python on a large bank."""
    from .senses import write_senses

    write_senses(db.conn, rows())
    bags, idf = meanings() if meanings is not None else ((), ())
    _bulk(db, "meanings", bags)
    _bulk(db, "meaning_idf", idf)


#: The full-text index's shadow tables (FTS5), copied from a side file after the table.
FTS_TABLES = (
    "sentences_fts",
    *(f"sentences_fts_{t}" for t in ("data", "idx", "docsize", "config")),
)


#: sqlite-utils' `enable_fts(["text"], tokenize="trigram")` on `sentences`, made here so
#: that its segments can be set to merge before it is filled.
FTS_SCHEMA = """CREATE VIRTUAL TABLE "sentences_fts" USING FTS5 (
    "text",
    tokenize='trigram',
    content="sentences"
)"""


def _index_sentences(db, sentences: list[tuple[int, str]]) -> None:
    """The trigram index over the example sentences (≈ 10 s on a large bank); a side file
    is given the sentences to index, with their ids. Segments merge 16 at a time, not
    FTS5's 4: the index builds ≈ 15 % faster, and phraser's queries never search it."""
    db.conn.executemany("insert into sentences (id, text) values (?, ?)", sentences)
    db.execute(FTS_SCHEMA)
    db.execute("insert into sentences_fts (sentences_fts, rank) values ('automerge', 16)")
    db["sentences"].populate_fts(["text"])


def _write_chars(db, readings: dict[str, str], alike: dict[str, str]) -> None:
    from .text import simplified_forms

    simple = simplified_forms(list(readings))
    _bulk(
        db,
        "chars",
        (
            {"char": c, "readings": r, "simplified": simple.get(c), "alike": alike.get(c)}
            for c, r in readings.items()
        ),
    )


def _write_phrases(db, result: MineResult, pinyin: dict[str, str]) -> None:
    _insert(
        db,
        "phrases",
        PHRASE_COLUMNS,
        (
            (
                i,
                st.text,
                len(st.text),
                st.count,
                st.doc_count,
                st.block_count,
                round(st.pmi, 4),
                round(st.left_entropy, 4),
                round(st.right_entropy, 4),
                round(st.dispersion, 4),
                round(st.aligned, 4),
                score,
                rank,
                st.source,
                pinyin[st.text],
                " ".join(st.words),
            )
            for (i, st), score, rank in zip(
                enumerate(result.phrases, start=1), *_ranked_scores(result.phrases), strict=True
            )
        ),
    )


def _ranked_scores(entries: list) -> tuple[list[float], list[int]]:
    """The scores stored of entries in id order, and each one's `rank` as `set_ranks`
    numbers them (by stored score, ties by id, from 0): worked out here, so a build need
    not rewrite every row once written."""
    scores = [round(e.score, 5) for e in entries]
    ranks = [0] * len(scores)
    for rank, at in enumerate(sorted(range(len(scores)), key=scores.__getitem__)):
        ranks[at] = rank  # a stable sort: ties stay in id order
    return scores, ranks


PHRASE_COLUMNS = (
    "id",
    "text",
    "length",
    "count",
    "doc_count",
    "block_count",
    "pmi",
    "left_entropy",
    "right_entropy",
    "dispersion",
    "aligned",
    "score",
    "rank",
    "source",
    "pinyin",
    "words",
)


def set_ranks(conn: sqlite3.Connection) -> None:
    """Number phrases and templates by score (ties by id) from 0: a query reads an entry's
    quality, its percentile, from its rank without reading the whole table. Run again
    whenever entries are added or removed.

    The phrases' texts and words, best first, are also kept in `ranked`, `RANKED_ROW` to a
    row: the matchers' vocabulary is the first tens of thousands, and reading them a phrase
    to a row took a fresh query process 60–80 ms on the large bank, these rows ≈ 17 ms."""
    for table in ("phrases", "templates"):
        conn.execute(
            f"update {table} set rank = r.n from (select id, "
            f"row_number() over (order by score, id) - 1 as n from {table}) as r "
            f"where {table}.id = r.id"
        )
    _write_ranked(conn, conn.execute("select text, words from phrases order by score desc, id"))


def _write_ranked(conn: sqlite3.Connection, phrases: Iterable[tuple[str, str | None]]) -> None:
    """`ranked` from the phrases' (text, words), best first."""
    rows = list(phrases)
    conn.execute("delete from ranked")
    for n, at in enumerate(range(0, len(rows), RANKED_ROW)):
        part = rows[at : at + RANKED_ROW]
        conn.execute(
            "insert into ranked (id, texts, words) values (?, ?, ?)",
            [n, "\n".join(t for t, _w in part), "\n".join(w or "" for _t, w in part)],
        )


def _bulk(db: sqlite_utils.Database, table: str, rows: Iterable[dict]) -> None:
    """Insert dict rows with one prepared statement (sqlite-utils' insert_all is flexible,
    but its per-row work dominated the build on large corpora). The columns are those of
    the first row (the others take their defaults); later rows may leave some out."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    columns = [c for c in db[table].columns_dict if c in first]
    getter = operator.itemgetter(*columns)

    def values(row: dict) -> tuple:
        try:
            found = getter(row)
        except KeyError:
            return tuple(row.get(c) for c in columns)
        return found if len(columns) > 1 else (found,)

    _insert(db, table, columns, map(values, itertools.chain([first], rows)))


def _insert(db: sqlite_utils.Database, table: str, columns: Iterable[str], rows: Iterable) -> None:
    """Insert tuple rows of `columns`, streamed to SQLite as they are made."""
    columns = list(columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    db.conn.executemany(sql, rows)


def corpus_fingerprint(shas: Iterable[str]) -> str:
    """The identity of a set of documents, whatever their order: the sha1 of their sha1s."""
    return _fingerprint(iter(shas))


def _fingerprint(shas: Iterator[str]) -> str:
    import hashlib

    h = hashlib.sha1()
    for sha in sorted(shas):
        h.update(sha.encode())
    return h.hexdigest()


class Reader:
    """The part of sqlite-utils' `Database` a bank reader uses, over a plain connection:
    importing sqlite-utils cost every query process ≈0.2 s (it loads numpy and more)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, sql: str, params: list | tuple | dict = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def query(self, sql: str, params: list | tuple | dict = ()) -> Iterator[dict]:
        """Rows as dicts, column name → value."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))

    def table_names(self) -> list[str]:
        return [
            n for (n,) in self.conn.execute("select name from sqlite_master where type = 'table'")
        ]

    def close(self) -> None:
        self.conn.close()


class Bank:
    """Read access to a built bank."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._postings: dict[str, tuple | None] = {}
        if not self.path.exists():
            raise BankError(f"no phrase bank at {self.path}")
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            self.db = Reader(conn)
            version = self.db.execute(
                "select value from meta where key = 'schema_version'"
            ).fetchone()
        except sqlite3.DatabaseError:
            raise BankError(f"{self.path} is not a phraser bank") from None
        if version is not None and version[0] == str(SCHEMA_VERSION):
            missing = REQUIRED_TABLES - set(self.db.table_names())
            if missing:
                raise BankError(
                    f"{self.path} is incomplete (no {', '.join(sorted(missing))}). "
                    "Rebuild it with `phraser build`."
                )
        if version is None or version[0] != str(SCHEMA_VERSION):
            found = version[0] if version else "unknown"
            meta = dict(self.db.execute("select key, value from meta").fetchall())
            raise StaleBankError(
                f"{self.path} was written by bank schema v{found}; this phraser reads "
                f"v{SCHEMA_VERSION}. Rebuild it with `phraser build`.",
                meta.get("corpus_fingerprint"),
                meta.get("params"),
            )

    def glosses(self) -> list[tuple[int, str]]:
        """(phrase_id, gloss) for every bank phrase the idiom dictionary explains."""
        return self.db.execute("select phrase_id, gloss from glosses").fetchall()

    def ranked(self, k: int) -> tuple[list[str], list[str]]:
        """The texts and space-joined words of the `k` best phrases, by score (ties by id),
        from the rows `set_ranks` keeps."""
        texts: list[str] = []
        words: list[str] = []
        for t, w in self.db.execute("select texts, words from ranked order by id"):
            if len(texts) >= k:
                break
            texts += t.split("\n")
            words += w.split("\n")
        return texts[:k], words[:k]

    def gloss(self, phrase_id: int) -> str | None:
        row = self.db.execute(
            "select gloss from glosses where phrase_id = ?", [phrase_id]
        ).fetchone()
        return row[0] if row else None

    def _where_in(self, sql: str, values: Iterable, size: int = 500) -> list[tuple]:
        """Run `sql`, whose `{marks}` stands for an IN list, over `values` in batches
        (SQLite caps the number of parameters of one statement)."""
        values = list(set(values))
        rows: list[tuple] = []
        for i in range(0, len(values), size):
            batch = values[i : i + size]
            rows += self.db.execute(sql.format(marks=",".join("?" * len(batch))), batch).fetchall()
        return rows

    def expand(self, words: Iterable[str]) -> list[tuple[str, str]]:
        """(word, synonym) pairs from the thesaurus table for the given words."""
        return self._where_in(
            "select a.word, b.word from thesaurus a join thesaurus b on a.grp = b.grp "
            "where a.word in ({marks}) and b.word != a.word and length(b.word) >= 2",
            words,
        )

    @functools.cached_property
    def senses(self) -> SensePack:
        """The sense rows (term, phrase_id, weight, idf, part, width, synonym) for intent,
        read from the table's packed copy (see `senses`) once per bank."""
        from .senses import SensePack

        return SensePack(dict(self.db.execute("select name, data from sense_pack").fetchall()))

    def meaning_idf(self, chars: Iterable[str]) -> dict[str, float]:
        """How telling each of `chars` is of a meaning (idf over the phrases' meaning bags)."""
        idf = self._meaning_idf
        return {c: idf[c] for c in chars if c in idf}

    @functools.cached_property
    def _meaning_idf(self) -> dict[str, float]:
        """The whole table, read once: a few thousand characters (2 ms), where reading each
        query's took 0.2 ms of every query."""
        return dict(self.db.execute("select char, idf from meaning_idf").fetchall())

    def closest_meanings(self, query: dict[str, float], limit: int = 40) -> list[tuple[int, float]]:
        """(phrase_id, dot product) of the phrases whose meaning bags best match the
        idf-weighted query bag, best first; equal dots by descending id.

        A long query with its synonyms brings a couple of hundred characters, which meet
        most of the table: summed by SQLite's GROUP BY that was ≈200 ms on the large bank.
        Each character's postings are read once and kept as arrays, and numpy sums them in
        the order SQLite did (query characters in turn), so the dots are the same floats."""
        import numpy as np

        postings = self._meaning_postings(query)
        items = [(c, w) for c, w in query.items() if postings[c] is not None]
        if not items:
            return []
        ids = np.concatenate([postings[c][0] for c, _w in items])
        products = np.concatenate([postings[c][1] * w for c, w in items])
        dots = np.bincount(ids, weights=products)
        held = np.zeros(len(dots), dtype=bool)
        held[ids] = True
        hit = np.flatnonzero(held)[::-1]  # descending ids: a stable sort breaks ties that way
        scores = dots[hit]
        if len(scores) > limit:  # only those tied with the limit-th best or above get sorted
            floor = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            top = np.flatnonzero(scores >= floor)
            hit, scores = hit[top], scores[top]
        best = np.argsort(-scores, kind="stable")[:limit]
        return list(zip(hit[best].tolist(), scores[best].tolist(), strict=True))

    def _meaning_postings(self, chars: Iterable[str]) -> dict[str, tuple | None]:
        """char → (phrase ids ascending, weights) from `meanings` (None: no postings), read
        on first use and kept: a warm process soon holds the few thousand there are."""
        import numpy as np

        postings = self._postings
        missing = [c for c in chars if c not in postings]
        if missing:
            rows = self._where_in(
                "select char, phrase_id, weight from meanings where char in ({marks})", missing
            )
            rows.sort()
            by_char: dict[str, list[tuple[int, float]]] = {c: [] for c in missing}
            for c, pid, weight in rows:
                by_char[c].append((pid, weight))
            for c, found in by_char.items():
                if found:
                    ids, weights = zip(*found, strict=True)
                    postings[c] = (np.array(ids, dtype=np.int64), np.array(weights))
                else:
                    postings[c] = None
        return postings

    def simplified(self, chars: Iterable[str]) -> dict[str, str]:
        """Simplified forms of the traditional characters among `chars`."""
        return dict(
            self._where_in(
                "select char, simplified from chars where char in ({marks}) "
                "and simplified is not null",
                chars,
            )
        )

    def readings(self, chars: Iterable[str]) -> dict[str, list[str]]:
        """Toneless readings of the given characters (the bank carries pypinyin's table)."""
        rows = self._where_in("select char, readings from chars where char in ({marks})", chars)
        return {c: r.split(",") for c, r in rows}

    def look_alikes(self, chars: Iterable[str]) -> dict[str, str]:
        """The bank-phrase characters each of `chars` looks like (己 → 已巳), if any."""
        return dict(
            self._where_in(
                "select char, alike from chars where char in ({marks}) and alike is not null",
                chars,
            )
        )

    def meta(self) -> dict[str, str]:
        return {k: v for k, v in self.db.execute("select key, value from meta")}

    def params(self) -> MineParams:
        """The mining parameters this bank was built with."""
        from .mine import MineParams

        stored = json.loads(self.meta().get("params", "{}"))
        known = MineParams.__dataclass_fields__
        return MineParams(**{k: v for k, v in stored.items() if k in known})

    def documents(self) -> list[DocInfo]:
        """The bank's documents, in mining order, with their tags."""
        from .corpus import DocInfo

        tags: dict[int, list[str]] = {}
        for doc_id, tag in self.db.execute("select doc_id, tag from document_tags order by tag"):
            tags.setdefault(doc_id, []).append(tag)
        return [
            DocInfo(i, path, name, sha1, encoding, chars, tuple(tags.get(i, ())))
            for i, path, name, sha1, encoding, chars in self.db.execute(
                "select id, path, name, sha1, encoding, chars from documents order by id"
            )
        ]

    def document_texts(self, docs: Iterable[DocInfo]) -> Iterator[tuple[DocInfo, str]]:
        """(document, its normalised text) for the given documents, read one at a time."""
        for info in docs:
            row = self.db.execute("select text from texts where doc_id = ?", [info.idx]).fetchone()
            yield info, row[0] if row else ""

    def entry_documents(self, kind: str, entry_id: int) -> list[dict]:
        """The documents an entry occurs in, most occurrences first, with their tags."""
        rows = list(
            self.db.query(
                """select d.id, d.name, d.path, ed.count from entry_documents ed
                join documents d on d.id = ed.doc_id
                where ed.kind = ? and ed.entry_id = ? order by ed.count desc, d.id""",
                [kind, entry_id],
            )
        )
        tags: dict[int, list[str]] = {}
        for doc_id, tag in self._where_in(
            "select doc_id, tag from document_tags where doc_id in ({marks})",
            [r["id"] for r in rows],
        ):
            tags.setdefault(doc_id, []).append(tag)
        for r in rows:
            r["tags"] = sorted(tags.get(r.pop("id"), []))
        return rows

    def tagged_entries(self, kind: str, tags: Iterable[str]) -> set[int]:
        """Ids of the entries of `kind` occurring in a document carrying any of `tags`."""
        if kind not in ("phrase", "template"):
            raise ValueError(f"no documents are recorded for {kind!r} entries")
        return {
            entry_id
            for (entry_id,) in self._where_in(
                "select distinct ed.entry_id from entry_documents ed "
                "join document_tags t on t.doc_id = ed.doc_id "
                f"where ed.kind = '{kind}' and t.tag in ({{marks}})",
                tags,
            )
        }

    def tags(self) -> dict[str, int]:
        """Each tag and how many documents carry it."""
        return dict(
            self.db.execute("select tag, count(*) from document_tags group by tag order by tag")
        )

    def close(self) -> None:
        self.db.close()

    # -- lookups ----------------------------------------------------------------------

    def phrase(self, text: str) -> dict | None:
        rows = list(self.db.query("select * from phrases where text = ?", [text]))
        return rows[0] if rows else None

    def template(self, text: str) -> dict | None:
        rows = list(self.db.query("select * from templates where text = ?", [text]))
        return rows[0] if rows else None

    def examples(self, kind: str, entry_id: int, limit: int = 5) -> list[dict]:
        return list(
            self.db.query(
                """select s.text as sentence, e.start, e.line, e.col, d.name as document
                from examples e join documents d on d.id = e.doc_id
                join sentences s on s.id = e.sentence_id
                where e.kind = ? and e.entry_id = ? order by e.id limit ?""",
                [kind, entry_id, limit],
            )
        )

    def companions(self, phrase_id: int, limit: int = 10) -> list[dict]:
        return list(
            self.db.query(
                f"""select * from (
                    select case when a_id = :id then b else a end as text, count, score
                    from pairs where a_id = :id or b_id = :id
                ) where text not in ({BANNED})
                order by score * count desc, count desc limit :limit""",
                {"id": phrase_id, "limit": limit},
            )
        )

    def partner_rows(self, phrase_id: int) -> list[tuple[str, float, int]]:
        """(partner text, score, count) of every pair the phrase is in, banned partners left out."""
        return self.db.execute(
            f"""select * from (
                select case when a_id = :id then b else a end as text, score, count
                from pairs where a_id = :id or b_id = :id
            ) where text not in ({BANNED})""",
            {"id": phrase_id},
        ).fetchall()

    def fillers(self, template_id: int, limit: int = 10) -> list[dict]:
        return list(
            self.db.query(
                "select filler, count from fillers where template_id = ? "
                "order by count desc, filler limit ?",
                [template_id, limit],
            )
        )

    def templates_filled_by(self, text: str, limit: int = 10) -> list[dict]:
        return list(
            self.db.query(
                """select t.text, f.filler, f.count from fillers f
                join templates t on t.id = f.template_id
                where f.filler like ? order by f.count desc, t.score desc limit ?""",
                [f"%{text}%", limit],
            )
        )

    def search(self, pattern: str, limit: int = 50, tags: Iterable[str] = ()) -> list[dict]:
        """Wildcard lookup: `*` any run, `?` one character (SQLite GLOB semantics).

        Matches phrases, templates, and templates filled with their recorded fillers,
        so `以*为指导` finds the template and every way the corpus filled it. With `tags`,
        only entries found in documents carrying one of them.
        """
        tags = list(tags)
        glob = slot_marks(pattern, "*").replace("[", "[[]")
        rows = self.db.query(
            f"""select text, kind, count, score, eid from (
                select text, 'phrase' as kind, count, score, id as eid, text as entry
                from phrases where text glob :g
                union all
                select text, 'template' as kind, count, score, id as eid, text as entry
                from templates where text glob :g
                union all
                select t.prefix || f.filler || t.suffix as text, 'filled' as kind,
                    f.count as count, t.score as score, t.id as eid, t.text as entry
                from fillers f join templates t on t.id = f.template_id
                where t.prefix || f.filler || t.suffix glob :g
            ) where entry not in ({BANNED})
            order by count desc, score desc, text limit :limit""",
            {"g": glob, "limit": -1 if tags else limit},
        )
        if tags:
            allowed = {
                "phrase": self.tagged_entries("phrase", tags),
                "template": self.tagged_entries("template", tags),
            }
            allowed["filled"] = allowed["template"]
            rows = (r for r in rows if r["eid"] in allowed[r["kind"]])
        out = []
        for r in rows:
            del r["eid"]
            out.append(r)
            if len(out) == limit:
                break
        return out

    def stats(self) -> dict:
        def one(sql: str) -> int:
            return self.db.execute(sql).fetchone()[0]

        meta = self.meta()
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size,
            "documents": one("select count(*) from documents"),
            "characters": int(meta.get("characters", 0)),
            "phrases": one("select count(*) from phrases"),
            "templates": one("select count(*) from templates"),
            "pairs": one("select count(*) from pairs"),
            "examples": one("select count(*) from examples"),
            "schema_version": int(meta["schema_version"]),
            "built_at": meta.get("built_at"),
            "build_seconds": float(meta.get("build_seconds", 0)),
        }

    def export_rows(self, where: ExportFilter | None = None) -> Iterator[dict]:
        """Every entry `where` keeps as a flat row (the columns of `export.COLUMNS`).

        Banned entries are never exported, nor pairs with a banned side, nor banned
        partners among a phrase's companions."""
        where = where or ExportFilter()
        tagged = {
            kind: self.tagged_entries(kind, where.tags) if where.tags else None
            for kind in ("phrase", "template")
        }
        curated = "left join curation c on c.text = e.text"
        keep = "e.count >= :min and coalesce(c.banned, 0) = 0"
        if where.pinned:
            keep += " and c.pinned = 1"
        args = {"min": where.min_count}
        if "phrase" in where.kinds:
            for row in self.db.query(
                f"""select e.id, e.text, e.count, e.doc_count, e.score, c.note, c.pinned, c.added
                from phrases e {curated} where {keep} order by e.score desc, e.text""",
                args,
            ):
                if tagged["phrase"] is not None and row["id"] not in tagged["phrase"]:
                    continue
                yield _export_row(
                    row,
                    "phrase",
                    examples=[e["sentence"] for e in self.examples("phrase", row["id"], 2)],
                    companions=[c["text"] for c in self.companions(row["id"], 5)],
                )
        if "template" in where.kinds:
            for row in self.db.query(
                f"""select e.id, e.text, e.count, e.doc_count, e.score, c.note, c.pinned, c.added
                from templates e {curated} where {keep} order by e.score desc, e.text""",
                args,
            ):
                if tagged["template"] is not None and row["id"] not in tagged["template"]:
                    continue
                yield _export_row(
                    row,
                    "template",
                    examples=[e["sentence"] for e in self.examples("template", row["id"], 2)],
                    fillers=[f["filler"] for f in self.fillers(row["id"], 5)],
                )
        if "pair" in where.kinds and not where.pinned:
            for row in self.db.query(
                f"""select id, a_id, b_id, a, b, count, score from pairs e
                where count >= :min and a not in ({BANNED}) and b not in ({BANNED})
                order by score * count desc, a""",
                args,
            ):
                sides = {row["a_id"], row["b_id"]}
                if tagged["phrase"] is not None and not sides <= tagged["phrase"]:
                    continue
                yield _export_row(
                    {**row, "text": f"{row['a']}、{row['b']}", "doc_count": None},
                    "pair",
                    examples=[e["sentence"] for e in self.examples("pair", row["id"], 2)],
                    companions=[row["a"], row["b"]],
                )

    # -- curation ---------------------------------------------------------------------

    def curation(self, text: str) -> dict | None:
        """The user's marks on `text` (pinned, banned, added, note), or None."""
        rows = list(self.db.query("select * from curation where text = ?", [text]))
        return rows[0] if rows else None

    def curated(self) -> list[dict]:
        """Every curation row, by text."""
        return list(self.db.query("select * from curation order by text"))

    def idioms(self) -> frozenset[str]:
        """The phrases the idiom dictionary explains."""
        return frozenset(
            t
            for (t,) in self.db.execute(
                "select p.text from glosses g join phrases p on p.id = g.phrase_id"
            )
        )

    def marked(self, flag: str) -> frozenset[str]:
        """Texts with `flag` ('pinned' or 'banned') set."""
        if flag not in ("pinned", "banned"):
            raise ValueError(flag)
        return frozenset(t for (t,) in self.db.execute(f"select text from curation where {flag}"))


#: The texts the user banned, as a subquery.
BANNED = "select text from curation where banned"


@dataclass(frozen=True)
class ExportFilter:
    """Which entries an export keeps."""

    kinds: frozenset[str] = frozenset({"phrase", "template", "pair"})
    min_count: int = 0
    pinned: bool = False
    #: Only entries found in documents carrying one of these tags (a pair: both sides).
    tags: tuple[str, ...] = ()


def _export_row(
    row: dict,
    kind: str,
    *,
    examples: list[str],
    companions: list[str] = (),
    fillers: list[str] = (),
) -> dict:
    return {
        "text": row["text"],
        "kind": kind,
        "count": row["count"],
        "documents": row["doc_count"],
        "score": row["score"],
        "examples": examples,
        "companions": list(companions),
        "fillers": list(fillers),
        "note": row.get("note") or "",
        "pinned": bool(row.get("pinned")),
        "added": bool(row.get("added")),
    }


def schema_sql(path: Path) -> str:
    """The bank's schema as SQL, tables then indexes; `db/schema.sql` is this for a fresh bank."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "select sql from sqlite_master where sql is not null and name not like 'sqlite_%' "
            "and (name not like 'sentences_fts_%') order by type desc, name"
        ).fetchall()
    finally:
        conn.close()
    return "".join(f"{sql};\n" for (sql,) in rows)
