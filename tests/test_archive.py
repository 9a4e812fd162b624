"""Your own archive: documents added and removed, tags, and where each entry came from."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import SMALL_DOCS

from cli import cli
from phraser.build import BuildError, add, build, remove

#: Tables that hold mined data; meta (build time, fingerprint) and the FTS index aside.
COMPARED = (
    "documents",
    "document_tags",
    "texts",
    "phrases",
    "entry_documents",
    "templates",
    "fillers",
    "pairs",
    "examples",
    "chars",
    "senses",
    "glosses",
    "meanings",
    "meaning_idf",
    "ranked",
)


def dump(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        return {t: sorted(conn.execute(f"select * from {t}"), key=repr) for t in COMPARED}


def assert_same_bank(a: Path, b: Path) -> None:
    left, right = dump(a), dump(b)
    for table in COMPARED:
        assert left[table] == right[table], f"{table} differs"


@pytest.fixture
def halves(tmp_path) -> tuple[Path, Path]:
    """The small corpus split in two folders: 2023's notices and 2024's, where 守正创新
    appears (and only there)."""
    first, second = tmp_path / "2023", tmp_path / "2024"
    for i, (name, body) in enumerate(SMALL_DOCS.items()):
        folder = first if i < 2 else second
        folder.mkdir(exist_ok=True)
        if folder is second:
            body += "各地要坚持守正创新，推动绿色发展。全系统要守正创新，开创新局面。\n"
        (folder / name).write_text(body, encoding="utf-8")
    return first, second


def test_add_equals_a_build_over_all_documents(tmp_path, halves):
    first, second = halves
    grown, whole = tmp_path / "grown.sqlite", tmp_path / "whole.sqlite"
    build([first], grown)
    add([second], grown)
    build([first, second], whole)
    assert_same_bank(grown, whole)


def test_remove_equals_a_build_without_the_documents(tmp_path, halves):
    first, second = halves
    shrunk, kept = tmp_path / "shrunk.sqlite", tmp_path / "kept.sqlite"
    build([first, second], shrunk)
    gone, _summary = remove([p.name for p in sorted(second.iterdir())], shrunk)
    assert sorted(d.name for d in gone) == sorted(p.name for p in second.iterdir())
    build([first], kept)
    assert_same_bank(shrunk, kept)


def test_add_does_not_read_the_old_files_again(tmp_path, halves):
    first, second = halves
    db = tmp_path / "bank.sqlite"
    build([first], db)
    for f in first.iterdir():
        f.unlink()  # gone from disk: the bank keeps their text
    add([second], db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 4


def test_nothing_new_or_unknown_document_leaves_the_bank_as_it_was(tmp_path, halves):
    first, _second = halves
    db = tmp_path / "bank.sqlite"
    build([first], db)
    before = db.read_bytes()
    with pytest.raises(BuildError, match="nothing new"):
        add([first], db)
    with pytest.raises(BuildError, match="no such document"):
        remove(["没有这个文件.txt"], db)
    with pytest.raises(BuildError, match="every document"):
        remove([p.name for p in first.iterdir()], db)
    assert db.read_bytes() == before


def test_tags_filter_suggest_search_and_export(tmp_path, halves, runner):
    first, second = halves
    db = str(tmp_path / "bank.sqlite")
    assert runner.invoke(cli, ["build", str(first), "--db", db, "--tag", "2023"]).exit_code == 0
    result = runner.invoke(cli, ["add", str(second), "--db", db, "--tag", "2024", "--tag", "通知"])
    assert result.exit_code == 0, result.output
    assert "added to" in result.output and "4 documents" in result.output

    # 守正创新 is only in the 2024 notices.
    only_2023 = runner.invoke(cli, ["search", "*", "--db", db, "--tag", "2023", "--json"])
    texts_2023 = {json.loads(line)["text"] for line in only_2023.output.splitlines()}
    every = runner.invoke(cli, ["search", "*", "--db", db, "--json", "-n", "500"])
    texts_all = {json.loads(line)["text"] for line in every.output.splitlines()}
    assert "守正创新" in texts_all and "守正创新" not in texts_2023
    assert "统一思想" in texts_2023

    suggested = runner.invoke(cli, ["suggest", "守正创新", "--db", db, "--tag", "2023", "--json"])
    assert suggested.exit_code == 0
    assert "守正创新" not in {s["text"] for s in json.loads(suggested.output)["suggestions"]}
    exported = runner.invoke(cli, ["export", "--db", db, "--tag", "2024", "--format", "jsonl"])
    rows = [json.loads(line) for line in exported.output.splitlines()]
    assert "守正创新" in {r["text"] for r in rows}
    assert all(
        r["text"] != "守正创新"
        for r in json.loads(
            runner.invoke(cli, ["export", "--db", db, "--tag", "2023", "--format", "json"]).output
        )
    )

    unknown = runner.invoke(cli, ["suggest", "统一思想", "--db", db, "--tag", "2099"])
    assert unknown.exit_code == 2
    assert "no document is tagged 2099" in unknown.output and "2023" in unknown.output

    listed = runner.invoke(cli, ["stats", "--db", db, "--documents", "--json"])
    docs = [json.loads(line) for line in listed.output.splitlines()]
    assert [d["tags"] for d in docs] == [["2023"], ["2023"], ["2024", "通知"], ["2024", "通知"]]


def test_show_lists_the_documents_an_entry_came_from(tmp_path, halves, runner):
    first, second = halves
    db = str(tmp_path / "bank.sqlite")
    runner.invoke(cli, ["build", str(first), str(second), "--db", db, "--tag", "notice"])
    card = json.loads(runner.invoke(cli, ["show", "守正创新", "--db", db, "--json"]).output)
    assert {d["name"] for d in card["sources"]} == {"03_生态环境.txt", "04_作风建设.txt"}
    assert all(d["count"] == 2 and d["tags"] == ["notice"] for d in card["sources"])
    plain = runner.invoke(cli, ["show", "守正创新", "--db", db]).output
    assert "found in:" in plain and "03_生态环境.txt" in plain


def test_cli_add_and_remove(tmp_path, halves, runner):
    first, second = halves
    db = str(tmp_path / "bank.sqlite")
    missing = runner.invoke(cli, ["add", str(second), "--db", db])
    assert missing.exit_code == 1 and "phraser build" in missing.output
    runner.invoke(cli, ["build", str(first), str(second), "--db", db])
    result = runner.invoke(cli, ["remove", "04_作风建设.txt", "--db", db])
    assert result.exit_code == 0, result.output
    assert "removed 04_作风建设.txt" in result.stderr and "3 documents" in result.stdout
    again = runner.invoke(cli, ["remove", "04_作风建设.txt", "--db", db])
    assert again.exit_code == 1 and "no such document" in again.output


def test_a_build_leaves_the_cycle_collector_as_it_found_it(tmp_path, halves):
    """The build turns Python's cycle collector off while it runs (see build.py); a
    program that calls it gets its collector back as it was, on or off."""
    import gc

    assert gc.isenabled()
    build(list(halves), tmp_path / "on.sqlite")
    assert gc.isenabled()
    gc.disable()
    try:
        build(list(halves), tmp_path / "off.sqlite")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_worker_count_does_not_change_the_bank(tmp_path, halves, monkeypatch):
    """The stats pass split across processes merges to exactly what one pass counts."""
    import phraser.mine

    # Small corpora stay in one process; these make the test corpus take the parallel
    # paths a large one takes (runs of about a share each, words cut by two processes).
    monkeypatch.setattr(phraser.mine, "MIN_RUN_CHARS", 1)
    monkeypatch.setattr(phraser.mine, "PARALLEL_CUT_CHARS", 1)
    first, second = halves
    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    build([first, second], one, workers=1)
    build([first, second], two, workers=2)
    assert_same_bank(one, two)
