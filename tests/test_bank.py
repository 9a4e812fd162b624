"""The bank file: plain SQLite, schema version check, atomic replacement on build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    REPO,
    SMALL_DOCS,
    STOCK_PHRASES,
    TEMPLATE,
    sense_pack_matches_table,
    spools,
    write_corpus,
)

from cli import cli
from phraser import text as textmod
from phraser.bank import SCHEMA_VERSION, Bank, BankError
from phraser.build import BuildError, build

REPORTS = Path("/work/shared/corpora/reports")
TABLES = {"meta", "documents", "phrases", "templates", "fillers", "pairs", "examples"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Anything but the bank itself in the bank's folder (temp files of a build)."""
    return sorted(p.name for p in folder.iterdir() if p.name != "bank.sqlite")


# -- plain SQLite ---------------------------------------------------------------------------


def test_bank_opens_in_plain_sqlite(small_bank):
    with sqlite3.connect(small_bank) as conn:
        names = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        assert names >= TABLES | {"sentences_fts"}
        fts_sql = conn.execute(
            "select sql from sqlite_master where name = 'sentences_fts'"
        ).fetchone()[0]
        assert "VIRTUAL TABLE" in fts_sql.upper() and "fts" in fts_sql.lower()
        meta = dict(conn.execute("select key, value from meta"))
        assert meta["schema_version"] == str(SCHEMA_VERSION)
        json.loads(meta["params"])
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        for phrase in STOCK_PHRASES:
            row = conn.execute("select count, doc_count from phrases where text = ?", [phrase])
            count, docs = row.fetchone()
            assert count >= 8 and docs == 4, phrase
        tid = conn.execute("select id from templates where text = ?", [TEMPLATE]).fetchone()[0]
        fillers = conn.execute("select count(*) from fillers where template_id = ?", [tid])
        assert fillers.fetchone()[0] >= 3


def test_sentences_fts_finds_example_sentences(small_bank):
    with sqlite3.connect(small_bank) as conn:
        hits = conn.execute(
            "select s.text from sentences_fts f join sentences s on s.id = f.rowid "
            "where sentences_fts match ?",
            ['"齐抓共管"'],
        ).fetchall()
        total = conn.execute(
            "select count(*) from sentences where text like '%齐抓共管%'"
        ).fetchone()[0]
        examples = conn.execute(
            "select count(*) from sentences_fts f join examples e on e.sentence_id = f.rowid "
            "where sentences_fts match ?",
            ['"齐抓共管"'],
        ).fetchone()[0]
        distinct = conn.execute("select count(distinct text) from sentences").fetchone()[0]
        stored = conn.execute("select count(*) from sentences").fetchone()[0]
    assert hits and len(hits) == total
    assert all("齐抓共管" in s for (s,) in hits)
    assert examples >= len(hits)  # every stored sentence is some entry's example
    assert distinct == stored  # each sentence is stored once


def test_bundled_bank_tables(bundled_bank):
    with sqlite3.connect(bundled_bank) as conn:
        names = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        assert names >= TABLES | {"sentences_fts"}
        assert conn.execute("select count(*) from phrases").fetchone()[0] > 1000
        assert conn.execute("select count(*) from sentences_fts").fetchone()[0] > 1000


def test_examples_point_back_into_the_source(small_bank, small_corpus):
    """(document, line, col) of every phrase example locates the phrase in the source text."""
    bank = Bank(small_bank)
    try:
        rows = list(
            bank.db.query(
                "select p.text, d.path, e.line, e.col from examples e "
                "join phrases p on p.id = e.entry_id join documents d on d.id = e.doc_id "
                "where e.kind = 'phrase'"
            )
        )
    finally:
        bank.close()
    assert rows
    texts: dict[str, list[str]] = {}
    for row in rows:
        if row["path"] not in texts:
            doc = textmod.read_document(Path(row["path"]))
            texts[row["path"]] = doc.text.split("\n")
        line = texts[row["path"]][row["line"] - 1]
        start = row["col"] - 1
        assert line[start : start + len(row["text"])] == row["text"], row


def test_rebuild_is_deterministic(small_bank, small_corpus, tmp_path):
    again = tmp_path / "again.sqlite"
    build([small_corpus], again)

    def dump(path):
        with sqlite3.connect(path) as conn:
            return {
                t: conn.execute(f"select * from {t} order by 1, 2").fetchall()
                for t in ("phrases", "templates", "fillers", "pairs", "examples")
            }

    assert dump(again) == dump(small_bank)


# -- schema version -------------------------------------------------------------------------


def test_schema_version_mismatch(bank_copy, runner):
    with sqlite3.connect(bank_copy) as conn:
        conn.execute("update meta set value = '999' where key = 'schema_version'")
    for args in (["stats"], ["show", "高度重视"], ["suggest", "高度重视"], ["export"]):
        result = runner.invoke(cli, [*args, "--db", str(bank_copy)])
        assert result.exit_code == 1, args
        assert "Traceback" not in result.stderr
        assert "v999" in result.stderr
        assert "Rebuild" in result.stderr and "phraser build" in result.stderr
        assert "Run `phraser build` first" not in result.stderr
    with pytest.raises(BankError, match="Rebuild"):
        Bank(bank_copy)


def test_older_bank_of_the_bundled_corpus_is_rebuilt_on_suggest(bundled_bank, tmp_path, runner):
    """Upgrading phraser must not break `suggest` for someone who only ever used the
    bundled corpus: that bank is rebuilt; a bank of their own is not touched (above)."""
    path = tmp_path / "bank.sqlite"
    path.write_bytes(bundled_bank.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("update meta set value = '2' where key = 'schema_version'")
    result = runner.invoke(cli, ["suggest", "各级各部门要高度重视", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    assert "older phraser; rebuilding" in result.stderr
    assert "高度重视" in {s["text"] for s in json.loads(result.stdout)["suggestions"]}
    assert Bank(path).meta()["schema_version"] == str(SCHEMA_VERSION)


def test_missing_schema_version(bank_copy):
    with sqlite3.connect(bank_copy) as conn:
        conn.execute("delete from meta where key = 'schema_version'")
    with pytest.raises(BankError, match="vunknown.*Rebuild"):
        Bank(bank_copy)


def test_foreign_sqlite_file(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x)")
    with pytest.raises(BankError, match="not a phraser bank"):
        Bank(path)


# -- atomic builds ----------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def test_failed_build_leaves_old_bank(bank_copy, small_corpus, spool_dir):
    before = digest(bank_copy)
    stages = []

    def progress(stage: str, done: int, total: int) -> None:
        stages.append(stage)
        if stage.startswith("gathering"):
            raise Boom(stage)

    with pytest.raises(Boom):
        build([small_corpus], bank_copy, progress=progress)

    assert any(s.startswith("counting") for s in stages)
    assert digest(bank_copy) == before
    assert leftovers(bank_copy.parent) == []
    assert spools(spool_dir) == []
    Bank(bank_copy).close()


def test_build_error_leaves_old_bank(bank_copy, tmp_path, spool_dir):
    before = digest(bank_copy)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BuildError, match="no readable documents"):
        build([empty], bank_copy)
    with pytest.raises(BuildError, match="no such file"):
        build([tmp_path / "missing"], bank_copy)
    assert digest(bank_copy) == before
    assert leftovers(bank_copy.parent) == []
    assert spools(spool_dir) == []


def test_successful_rebuild_replaces_bank(bank_copy, tmp_path, spool_dir):
    corpus = write_corpus(tmp_path / "two", dict(list(SMALL_DOCS.items())[:2]))
    build([corpus], bank_copy)
    bank = Bank(bank_copy)
    try:
        assert bank.stats()["documents"] == 2
    finally:
        bank.close()
    assert leftovers(bank_copy.parent) == []
    assert spools(spool_dir) == []


def _start_build(corpus: Path, bank: Path, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [sys.executable, "cli.py", "build", str(corpus), "--db", str(bank)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _assert_old_bank_intact(bank: Path, before: str) -> None:
    assert digest(bank) == before
    with sqlite3.connect(bank) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("select count(*) from documents").fetchone()[0] == 4
    opened = Bank(bank)
    try:
        assert opened.phrase("高度重视") is not None
    finally:
        opened.close()


def _kill_build_when(corpus: Path, bank: Path, tmp_path: Path, ready) -> None:
    """Start a real build, SIGKILL it as soon as `ready()` holds, and check the old bank."""
    before = digest(bank)
    tmp = tmp_path / "proc-tmp"
    tmp.mkdir()
    proc = _start_build(corpus, bank, tmp)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.005)
        assert proc.poll() is None, "build finished before it could be killed"
        assert ready(), "the moment to kill never came"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _assert_old_bank_intact(bank, before)


def test_killed_build_leaves_old_bank(bank_copy, tmp_path):
    if not REPORTS.is_dir():
        pytest.skip(f"{REPORTS} not available")
    started = time.monotonic()
    _kill_build_when(REPORTS, bank_copy, tmp_path, lambda: time.monotonic() - started >= 1.0)


def test_build_killed_while_writing_leaves_old_bank(bank_copy, tmp_path):
    """Kill the build the moment its temporary bank appears: the rename never happens."""
    corpus = REPO / "corpus"
    if not corpus.is_dir():
        pytest.skip("bundled corpus missing")

    def temp_bank_written() -> bool:
        return any(
            p.name.startswith(f".{bank_copy.name}.") and p.name.endswith(".tmp")
            for p in bank_copy.parent.iterdir()
        )

    _kill_build_when(corpus, bank_copy, tmp_path, temp_bank_written)


def test_bank_missing_a_table_says_rebuild(bank_copy, runner):
    """A bank of the right version but missing a table gets the rebuild message, no traceback."""
    with sqlite3.connect(bank_copy) as conn:
        conn.execute("drop table thesaurus")
    result = runner.invoke(cli, ["suggest", "--db", str(bank_copy), "高度重视"])
    assert result.exit_code == 1
    assert "incomplete" in result.stderr and "phraser build" in result.stderr
    assert "Traceback" not in result.output


def test_stale_temp_files_of_other_programs_are_kept(tmp_path, small_corpus):
    """A rebuild removes its own dead temp files, never another program's."""
    db = tmp_path / "bank.sqlite"
    dead = [
        ".bank.sqlite.999999.tmp",
        ".bank.sqlite.senses.999999.tmp",
        ".bank.sqlite.fts.999999.tmp",
    ]
    other = ".cache.999999.tmp"
    for name in [*dead, other]:
        (tmp_path / name).write_text("x")
    build([small_corpus], db)
    assert not any((tmp_path / name).exists() for name in dead)
    assert (tmp_path / other).exists()


def test_pinyin_and_look_alikes_from_a_second_process_equal_inline(monkeypatch):
    from phraser import bank as bankmod
    from phraser import shape, sound

    texts = ["高度重视", "重新开始", "狠抓落实", "长治久安"]
    readings = sound.char_readings()
    monkeypatch.setattr(bankmod, "BACKGROUND_WORK", 1)
    later = bankmod.Sounds(texts)
    assert later.job.background  # it did go to a second process
    pinyin, alike = later.get()
    assert pinyin == sound.phrase_pinyin(texts, readings)
    assert alike == shape.look_alikes(set("".join(texts)))
    later.close()
    unused = bankmod.Sounds(texts)
    unused.close()  # a failed build stops the process without waiting for it


def test_a_query_loads_none_of_the_build_side(small_bank):
    """sqlite-utils, the miner and pypinyin cost a fresh `suggest` process tenths of a
    second to import, and a query needs none of them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import cli\n"
        f"r = CliRunner().invoke(cli.cli, ['suggest', '--db', {str(small_bank)!r}, '狠抓落失'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert '狠抓落实' in r.output, r.output\n"
        "print(sorted({'sqlite_utils', 'phraser.mine', 'phraser.build', 'pypinyin'}"
        " & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_tables_written_by_second_processes_equal_inline(
    monkeypatch, small_corpus, small_bank, tmp_path
):
    from phraser import bank as bankmod

    monkeypatch.setattr(bankmod, "BACKGROUND_WORK", 1)
    side = tmp_path / "bank.sqlite"
    build([small_corpus], side)
    assert not leftovers(tmp_path)  # the second process's file is gone
    query = "select * from senses order by term, synonym, part, phrase_id"
    with sqlite3.connect(small_bank) as a, sqlite3.connect(side) as b:
        inline = a.execute(query).fetchall()
        assert inline and b.execute(query).fetchall() == inline
        pack = "select name, data from sense_pack order by name"
        assert a.execute(pack).fetchall() == b.execute(pack).fetchall()
        # The meaning bags are made beside the sense rows.
        for rows in (
            "select * from meanings order by phrase_id, char",
            "select * from meaning_idf order by char",
        ):
            assert a.execute(rows).fetchall() == b.execute(rows).fetchall() != []
        # The full-text index, built in a side file and copied in, is the one built here.
        for table in ("sentences", *bankmod.FTS_TABLES[1:]):
            rows = f"select * from {table} order by 1"
            assert a.execute(rows).fetchall() == b.execute(rows).fetchall(), table
        assert b.execute("insert into sentences_fts(sentences_fts) values('integrity-check')")
        search = "select rowid from sentences_fts where sentences_fts match '狠抓落实'"
        assert b.execute(search).fetchall() == a.execute(search).fetchall() != []


def test_the_sense_pack_answers_as_the_table_does(small_bank, bundled_bank):
    """Intent reads the sense rows from their packed copy: the same rows, the same order."""
    assert sense_pack_matches_table(small_bank) > 100
    assert sense_pack_matches_table(bundled_bank) > 10_000


def test_phrase_pinyin_spells_as_pypinyin_does():
    """Each of pypinyin's words is spelled once and remembered: the phrases sharing words
    (and polyphonic ones, and mixed scripts) must read exactly as pypinyin reads them."""
    from pypinyin import Style, lazy_pinyin

    from phraser import sound

    texts = [
        "高度重视", "重视程度", "重新开始", "重新重视", "银行行长", "行长行走", "长江长城",
        "成长发展", "5G网络建设", "网络建设", "重庆 重庆", "Ａ股上涨", "都市都是", "还要还款",
    ]  # fmt: skip
    readings = sound.char_readings()
    expected = {t: " ".join(lazy_pinyin(t, style=Style.NORMAL, errors="default")) for t in texts}
    polyphonic = [t for t in texts if any("," in readings.get(c, ",") for c in t)]
    assert len(polyphonic) >= 10  # most go through pypinyin, not the one-reading shortcut
    assert sound.phrase_pinyin(texts, readings) == expected
    assert sound.phrase_pinyin(texts[::-1], readings) == expected


@pytest.mark.parametrize("stage", ["select_templates", "_measure", "_run_examples"])
def test_a_mining_process_killed_fails_the_build_with_a_message(tmp_path, monkeypatch, stage):
    """A forked mining process the system kills (for memory, say: a worker of the stats
    pass or of the examples pass, or the templates' process) ends the build with a
    one-line reason, not a wait forever, and leaves the previous bank as it was."""
    from phraser import mine as minemod

    # A list-born phrase (上下联动), so that the examples pass has work.
    corpus = write_corpus(
        tmp_path / "corpus", dict(SMALL_DOCS, **{"lists.txt": "各部门要求：狠抓落实、上下联动。\n"})
    )
    db = tmp_path / "bank.sqlite"
    build([corpus], db)
    assert (
        sqlite3.connect(db)
        .execute("select count(*) from phrases where source = 'list'")
        .fetchone()[0]
    )
    before = db.read_bytes()
    monkeypatch.setattr(minemod, "MIN_RUN_CHARS", 1)  # several runs: the workers are used
    owner = minemod.Miner if hasattr(minemod.Miner, stage) else minemod
    monkeypatch.setattr(owner, stage, lambda *args, **kwargs: os._exit(9))
    with pytest.raises(BuildError, match="mining process stopped.*--workers 1"):
        build([corpus], db, workers=2)
    assert db.read_bytes() == before


def test_a_builds_ranks_are_the_ones_set_ranks_gives(bundled_bank, tmp_path):
    """A build numbers entries by score as it writes them; curation renumbers them with
    `set_ranks` after an edit: the two must agree, ties included."""
    from phraser.bank import set_ranks

    queries = (
        "select id, score, rank from phrases order by id",
        "select id, score, rank from templates order by id",
        "select id, texts, words from ranked order by id",
    )
    copy = tmp_path / "bank.sqlite"
    shutil.copy(bundled_bank, copy)
    conn = sqlite3.connect(copy)
    built = [conn.execute(q).fetchall() for q in queries]
    scores = [score for _id, score, _rank in built[0]]
    assert len(set(scores)) < len(scores)  # tied scores, ranked by id
    set_ranks(conn)
    assert [conn.execute(q).fetchall() for q in queries] == built
    assert sorted(rank for _id, _score, rank in built[0]) == list(range(len(built[0])))
