"""Curation: the user's pins, bans, notes and added phrases, kept apart from mined data.

A build replaces the bank file wholesale, so the user's edits cannot live only in it.
They live in a sidecar beside the bank (`bank.sqlite` → `bank.curation.json`), a small
human-readable file that no build writes or deletes. Every build copies it into the new
bank (the `curation` table, and added phrases mined like the rest) before that bank
replaces the old one; every edit writes the sidecar first, then updates the bank in
place, so an edit is never lost even when the bank update fails.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import text as textmod

SUFFIX = ".curation.json"
#: Version of the sidecar format.
FORMAT = 1
EXAMPLES = 3


class CurationError(Exception):
    """An edit that cannot be made (unknown text, bad sidecar); nothing was changed."""


@dataclass
class Mark:
    """What the user said about one entry."""

    text: str
    pinned: bool = False
    banned: bool = False
    added: bool = False
    note: str = ""

    @property
    def kind(self) -> str:
        return "template" if "……" in self.text else "phrase"

    def empty(self) -> bool:
        return not (self.pinned or self.banned or self.added or self.note)

    def row(self) -> dict:
        """The row of the bank's `curation` table."""
        return {
            "text": self.text,
            "kind": self.kind,
            "pinned": int(self.pinned),
            "banned": int(self.banned),
            "added": int(self.added),
            "note": self.note or None,
        }

    def to_json(self) -> dict:
        """Only what is set, so the sidecar stays short enough to read and edit by hand."""
        out: dict = {"text": self.text}
        for flag in ("pinned", "banned", "added"):
            if getattr(self, flag):
                out[flag] = True
        if self.note:
            out["note"] = self.note
        return out


def sidecar(bank_path: Path) -> Path:
    """Where a bank's curation lives: `bank.sqlite` → `bank.curation.json`."""
    bank_path = Path(bank_path)
    return bank_path.with_name(bank_path.stem + SUFFIX)


def clean_text(text: str) -> str:
    """An entry's text as the bank writes it: normal width, no spaces, …… for a slot."""
    return textmod.slot_marks("".join(textmod.normalise(text).split()))


@dataclass
class Curation:
    """The curation of one bank, as read from its sidecar."""

    path: Path
    marks: dict[str, Mark]

    @classmethod
    def load(cls, bank_path: Path) -> Curation:
        """The sidecar of `bank_path`; without one, the curation the bank itself carries
        (a bank copied or sent without its sidecar keeps its curation), else nothing."""
        path = sidecar(bank_path)
        if not path.exists():
            return cls(path, {m.text: m for m in _from_bank(Path(bank_path))})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            marks = marks_from_json(data)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CurationError(
                f"cannot read curation file {path}: {exc}. Fix or move it; it was left as it is."
            ) from None
        return cls(path, {m.text: m for m in marks})

    def save(self) -> None:
        """Write the sidecar atomically (temp file + rename), sorted by text."""
        body = {
            "phraser_curation": FORMAT,
            "entries": [self.marks[t].to_json() for t in sorted(self.marks)],
        }
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1) + "\n", "utf-8")
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, text: str) -> Mark:
        return self.marks.get(text) or Mark(text)

    def put(self, mark: Mark) -> None:
        if mark.empty():
            self.marks.pop(mark.text, None)
        else:
            self.marks[mark.text] = mark

    def rows(self) -> list[dict]:
        return [self.marks[t].row() for t in sorted(self.marks)]

    def added(self) -> list[str]:
        return sorted(t for t, m in self.marks.items() if m.added)


def _from_bank(bank_path: Path) -> list[Mark]:
    """The `curation` table of an existing bank, if it has one."""
    if not bank_path.is_file():
        return []
    try:
        conn = sqlite3.connect(f"file:{bank_path}?mode=ro", uri=True)
        try:
            rows = conn.execute("select text, pinned, banned, added, note from curation")
            return [
                Mark(t, bool(p), bool(b), bool(a), n or "") for t, p, b, a, n in rows.fetchall()
            ]
        finally:
            conn.close()
    except sqlite3.Error:
        return []  # not a bank, or one from before curation: nothing to keep


def marks_from_json(data: object) -> list[Mark]:
    """Marks from a sidecar's JSON: `{"phraser_curation": 1, "entries": [...]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError("not a phraser curation file (no list of entries)")
    marks = []
    for item in data["entries"]:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"an entry without text: {item!r}")
        marks.append(
            Mark(
                clean_text(item["text"]),
                pinned=bool(item.get("pinned")),
                banned=bool(item.get("banned")),
                added=bool(item.get("added")),
                note=str(item.get("note") or ""),
            )
        )
    return marks


# -- edits ----------------------------------------------------------------------------------


def _in_bank(conn: sqlite3.Connection, text: str) -> bool:
    return any(
        conn.execute(f"select 1 from {table} where text = ?", [text]).fetchone()
        for table in ("phrases", "templates")
    )


def edit(bank_path: Path, text: str, change: Callable[[Mark, bool], str]) -> str:
    """Apply `change` to the mark of `text` and save it (sidecar, then bank).

    `change(mark, in_bank)` edits the mark in place and returns what to tell the user,
    or raises CurationError to refuse (nothing is written then).
    """
    from .bank import Bank

    Bank(bank_path).close()  # a missing bank or another schema: BankError says what to do
    text = clean_text(text)
    if not text:
        raise CurationError("empty text")
    cur = Curation.load(bank_path)
    with sqlite3.connect(bank_path) as conn:
        in_bank = _in_bank(conn, text)
    mark = cur.get(text)
    message = change(mark, in_bank)
    cur.put(mark)
    cur.save()
    sync(bank_path, cur)
    return message


def _known(mark: Mark, in_bank: bool) -> None:
    if not (in_bank or mark.added):
        raise CurationError(
            f"「{mark.text}」 is not in the bank. `phraser add-phrase {mark.text}` adds it."
        )


def pin(bank_path: Path, text: str) -> str:
    """Pinned entries rank first among the suggestions whenever they match."""

    def change(mark: Mark, in_bank: bool) -> str:
        _known(mark, in_bank)
        was_banned = mark.banned
        mark.pinned, mark.banned = True, False
        return f"pinned 「{mark.text}」" + (" (no longer banned)" if was_banned else "")

    return edit(bank_path, text, change)


def ban(bank_path: Path, text: str) -> str:
    """Banned entries are never suggested, searched, proposed as fixes or exported."""

    def change(mark: Mark, in_bank: bool) -> str:
        _known(mark, in_bank)
        was_pinned = mark.pinned
        mark.banned, mark.pinned = True, False
        return f"banned 「{mark.text}」" + (" (no longer pinned)" if was_pinned else "")

    return edit(bank_path, text, change)


def _undo(flag: str, verb: str) -> Callable[[Path, str], str]:
    def undo(bank_path: Path, text: str) -> str:
        def change(mark: Mark, _in_bank: bool) -> str:
            if not getattr(mark, flag):
                raise CurationError(f"「{mark.text}」 is not {verb}")
            setattr(mark, flag, False)
            return f"un{verb} 「{mark.text}」"

        return edit(bank_path, text, change)

    undo.__doc__ = f"Take back `{verb}`."
    return undo


unpin = _undo("pinned", "pinned")
unban = _undo("banned", "banned")


def note(bank_path: Path, text: str, words: str) -> str:
    """A note travels with the entry: `show`, exports and Datasette display it."""
    words = " ".join(words.split())
    if not words:
        raise CurationError("empty note; `phraser unnote` removes one")

    def change(mark: Mark, in_bank: bool) -> str:
        _known(mark, in_bank)
        mark.note = words
        return f"noted 「{mark.text}」: {words}"

    return edit(bank_path, text, change)


def unnote(bank_path: Path, text: str) -> str:
    def change(mark: Mark, _in_bank: bool) -> str:
        if not mark.note:
            raise CurationError(f"「{mark.text}」 has no note")
        mark.note = ""
        return f"removed the note of 「{mark.text}」"

    return edit(bank_path, text, change)


def add_phrase(bank_path: Path, text: str, note_text: str = "") -> str:
    """An added phrase is matched, suggested and exported like a mined one, and every
    build mines it whatever its statistics."""

    def change(mark: Mark, in_bank: bool) -> str:
        check_phrase(mark.text)
        if mark.added:
            raise CurationError(f"「{mark.text}」 was added already")
        mark.added, mark.banned = True, False
        if note_text.strip():
            mark.note = " ".join(note_text.split())
        if in_bank:
            return f"「{mark.text}」 is mined already; marked added so no rebuild drops it"
        return f"added 「{mark.text}」"

    return edit(bank_path, text, change)


def remove_phrase(bank_path: Path, text: str) -> str:
    def change(mark: Mark, _in_bank: bool) -> str:
        if not mark.added:
            raise CurationError(
                f"「{mark.text}」 was not added by hand; `phraser ban` hides a mined entry"
            )
        mark.added = False
        return f"removed 「{mark.text}」 (mined entries of that text stay)"

    return edit(bank_path, text, change)


def check_phrase(text: str) -> None:
    """A phrase the user adds: Chinese, no template slot, not too long to be a phrase."""
    if "……" in text:
        raise CurationError(f"「{text}」 has a slot: templates are mined, not added")
    if not textmod.HAN_CHAR.search(text):
        raise CurationError(f"「{text}」 has no Chinese characters")
    if not 2 <= len(text) <= 20:
        raise CurationError(f"「{text}」: a phrase has 2 to 20 characters")


FLAGS = ("pinned", "banned", "added")


def merge(bank_path: Path, updates: Iterable[dict]) -> tuple[int, list[str]]:
    """Import: each update (`text` and any of pinned, banned, added, note) becomes the
    curation of its text; fields it does not carry stay as they were. Everything is
    checked before anything is written. Returns how many entries changed and the texts
    skipped because they are neither in the bank nor added."""
    from .bank import Bank

    Bank(bank_path).close()
    cur = Curation.load(bank_path)
    changed: dict[str, Mark] = {}
    skipped = []
    with sqlite3.connect(bank_path) as conn:
        for update in updates:
            text = clean_text(str(update.get("text") or ""))
            if not text:
                continue
            old = changed.get(text) or cur.get(text)
            mark = Mark(text, old.pinned, old.banned, old.added, old.note)
            for flag in FLAGS:
                if flag in update:
                    setattr(mark, flag, bool(update[flag]))
            if "note" in update:
                mark.note = " ".join(str(update["note"] or "").split())
            if mark.pinned and mark.banned:
                raise CurationError(f"「{text}」 cannot be both pinned and banned")
            if mark.added:
                check_phrase(text)
            elif not mark.empty() and not _in_bank(conn, text):
                skipped.append(text)
                continue
            if mark != old:
                changed[text] = mark
    for mark in changed.values():
        cur.put(mark)
    if changed:
        cur.save()
        sync(bank_path, cur)
    return len(changed), skipped


# -- the bank in place ---------------------------------------------------------------------


def sync(bank_path: Path, cur: Curation | None = None) -> None:
    """Make the bank's curation what the sidecar says, in place: the `curation` table,
    added phrases inserted (with their occurrences in the bank's source documents),
    phrases no longer added removed unless they were mined. Call it after anything
    that writes a bank without a full build."""
    cur = cur or Curation.load(bank_path)
    conn = sqlite3.connect(bank_path)
    try:
        with conn:
            conn.execute("delete from curation")
            conn.executemany(
                "insert into curation (text, kind, pinned, banned, added, note) "
                "values (:text, :kind, :pinned, :banned, :added, :note)",
                cur.rows(),
            )
            added = set(cur.added())
            stale = [
                (pid, t)
                for pid, t in conn.execute("select id, text from phrases where source = 'added'")
                if t not in added
            ]
            for pid, _t in stale:
                _delete_phrase(conn, pid)
            have = {t for (t,) in conn.execute("select text from phrases where source = 'added'")}
            missing = [t for t in sorted(added) if t not in have and not _in_bank(conn, t)]
            for t in missing:
                _insert_phrase(conn, t)
            if stale or missing:
                from .bank import set_ranks

                set_ranks(conn)
            if stale:  # their sense rows went
                from .senses import write_pack

                write_pack(conn)
    finally:
        conn.close()


def _delete_phrase(conn: sqlite3.Connection, pid: int) -> None:
    pairs = [
        r[0] for r in conn.execute("select id from pairs where a_id = ? or b_id = ?", [pid, pid])
    ]
    gone = [("phrase", pid)] + [("pair", p) for p in pairs]
    for kind, entry in gone:
        sids = [
            r[0]
            for r in conn.execute(
                "select sentence_id from examples where kind = ? and entry_id = ?", [kind, entry]
            )
        ]
        conn.execute("delete from examples where kind = ? and entry_id = ?", [kind, entry])
        for sid in sids:  # a sentence no other entry shows goes, from the search index too
            if not conn.execute("select 1 from examples where sentence_id = ?", [sid]).fetchone():
                (text,) = conn.execute("select text from sentences where id = ?", [sid]).fetchone()
                conn.execute(
                    "insert into sentences_fts (sentences_fts, rowid, text) "
                    "values ('delete', ?, ?)",
                    [sid, text],
                )
                conn.execute("delete from sentences where id = ?", [sid])
    conn.execute("delete from pairs where a_id = ? or b_id = ?", [pid, pid])
    for table in ("glosses", "senses", "meanings"):
        conn.execute(f"delete from {table} where phrase_id = ?", [pid])
    conn.execute("delete from phrases where id = ?", [pid])


def _insert_phrase(conn: sqlite3.Connection, text: str) -> None:
    """An added phrase in an existing bank: its pinyin and words as a build computes
    them, its count and examples from the bank's source documents (those still readable
    and unchanged). Its score is the miner's formula with spread and word alignment taken
    as perfect until the next build measures them."""
    from .bank import EXAMPLE_COLUMNS, example_rows
    from .mine import phrase_score, phrase_words
    from .sound import phrase_pinyin

    readings = dict(
        conn.execute(
            f"select char, readings from chars where char in ({','.join('?' * len(text))})",
            list(text),
        ).fetchall()
    )
    count, docs, examples = occurrences(conn, text)
    pid = (conn.execute("select max(id) from phrases").fetchone()[0] or 0) + 1
    conn.execute(
        "insert into phrases (id, text, length, count, doc_count, block_count, score, source, "
        "pinyin, words) values (?, ?, ?, ?, ?, ?, ?, 'added', ?, ?)",
        [
            pid,
            text,
            len(text),
            count,
            len(docs),
            0,
            round(phrase_score(text, count, 6.0, 1.0, 1.0, 1.0), 5),
            phrase_pinyin([text], readings)[text],
            " ".join(phrase_words(text)),
        ],
    )
    rows = list(example_rows([("phrase", pid, examples, text)], partial(_sentence_id, conn)))
    marks = ", ".join("?" * len(EXAMPLE_COLUMNS))
    conn.executemany(f"insert into examples ({', '.join(EXAMPLE_COLUMNS)}) values ({marks})", rows)


def _sentence_id(conn: sqlite3.Connection, sentence: str) -> int:
    """The id of a stored sentence, stored (and indexed for search) when new."""
    found = conn.execute("select id from sentences where text = ?", [sentence]).fetchone()
    if found:
        return found[0]
    sid = conn.execute("insert into sentences (text) values (?)", [sentence]).lastrowid
    conn.execute("insert into sentences_fts (rowid, text) values (?, ?)", [sid, sentence])
    return sid


def occurrences(conn: sqlite3.Connection, text: str) -> tuple[int, set[int], list]:
    """(count, document ids, first examples) of `text` in the bank's source documents,
    read again from their paths; a document that moved or changed since the build is
    left out (its sha1 no longer matches)."""
    from .mine import Example

    count, docs, examples = 0, set(), []
    for doc_id, path, sha1 in conn.execute("select id, path, sha1 from documents").fetchall():
        try:
            doc = textmod.read_document(Path(path))
        except (OSError, textmod.ReadError):
            continue
        if doc.sha1 != sha1:
            continue
        for line, col, sentence in textmod.sentences(doc.text):
            n = sentence.count(text)
            if not n:
                continue
            count += n
            docs.add(doc_id)
            if len(examples) < EXAMPLES:
                examples.append(Example(doc_id, line, col + sentence.find(text), sentence))
    return count, docs, examples
