"""Exports out (xlsx, jieba, filters), curation back in (import), diff, and Datasette's queries."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import SMALL_DOCS, write_corpus
from test_curation import curate, curation_table, ok, one_line_error, run

from phraser.curation import sidecar
from phraser.export import COLUMNS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def curated(runner, small_bank, tmp_path):
    bank = tmp_path / "curated" / "bank.sqlite"
    bank.parent.mkdir()
    shutil.copyfile(small_bank, bank)
    curate(runner, bank)
    return bank


@pytest.fixture
def fresh(small_bank, tmp_path):
    """The same bank with no curation at all."""
    bank = tmp_path / "fresh" / "bank.sqlite"
    bank.parent.mkdir()
    shutil.copyfile(small_bank, bank)
    return bank


def without_bans(rows: list[tuple]) -> list[tuple]:
    return [r for r in rows if not r[3]]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "xlsx"])
def test_export_import_round_trip(runner, curated, fresh, tmp_path, fmt):
    out = tmp_path / f"bank.{fmt}"
    ok(run(runner, "export", "--db", curated, "--format", fmt, "-o", out))
    imported = ok(run(runner, "import", out, "--db", fresh))
    assert re.fullmatch(
        rf"imported {re.escape(str(out))}: [\d,]+ rows, 5 entries changed\n", imported
    )
    # Bans are not exported (banned entries never are); everything else comes back.
    assert curation_table(fresh) == without_bans(curation_table(curated))
    ok(run(runner, "ban", "齐抓共管", "--db", fresh))
    assert curation_table(fresh) == curation_table(curated)
    again = tmp_path / f"again.{fmt}"
    ok(run(runner, "export", "--db", fresh, "--format", fmt, "-o", again))
    if fmt != "xlsx":
        assert again.read_bytes() == out.read_bytes()
    # A second import changes nothing.
    assert ", 0 entries changed" in ok(run(runner, "import", out, "--db", fresh))


def test_import_a_sidecar_carries_bans_too(runner, curated, fresh):
    ok(run(runner, "import", sidecar(curated), "--db", fresh))
    assert curation_table(fresh) == curation_table(curated)


def test_import_a_spreadsheet_edited_by_hand(runner, fresh, tmp_path):
    sheet = tmp_path / "edited.csv"
    sheet.write_text(
        "text,kind,pinned,banned,note\n"
        "高度重视,phrase,yes,,常用\n"
        "齐抓共管,phrase,,是,\n"
        "不存在的话,phrase,yes,,\n"
        "统一思想、提高认识,pair,yes,,\n",
        encoding="utf-8",
    )
    result = run(runner, "import", sheet, "--db", fresh)
    assert result.exit_code == 0
    assert "「不存在的话」 is not in the bank; skipped" in result.stderr
    assert curation_table(fresh) == [
        ("高度重视", "phrase", 1, 0, 0, "常用"),
        ("齐抓共管", "phrase", 0, 1, 0, None),
    ]


@pytest.mark.parametrize(
    "name, body, needle",
    [
        ("x.txt", "text\n高度重视\n", "cannot import .txt"),
        ("x.csv", "phrase,pinned\n高度重视,yes\n", "no `text` column"),
        ("x.csv", "text,pinned\n高度重视,maybe\n", "'maybe' is not yes or no"),
        ("x.json", "{not json", "x.json"),
        ("x.json", '[{"pinned": true}]', "entry 1 has no text"),
        ("x.xlsx", "not a workbook", "not a readable workbook"),
        ("x.csv", "text,pinned,banned\n高度重视,yes,yes\n", "both pinned and banned"),
    ],
)
def test_import_errors_are_one_line_and_change_nothing(
    runner, curated, tmp_path, name, body, needle
):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    before = (curated.read_bytes(), sidecar(curated).read_bytes())
    one_line_error(run(runner, "import", path, "--db", curated), needle)
    assert (curated.read_bytes(), sidecar(curated).read_bytes()) == before


def test_import_a_missing_file(runner, curated, tmp_path):
    one_line_error(run(runner, "import", tmp_path / "none.csv", "--db", curated), "none.csv")


def test_xlsx_opens_in_openpyxl(runner, curated, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "bank.xlsx"
    result = run(runner, "export", "--db", curated, "--format", "xlsx", "-o", out)
    assert result.exit_code == 0
    rows = json.loads(ok(run(runner, "export", "--db", curated, "--format", "json")))
    assert result.stderr.strip() == f"wrote {len(rows):,} entries to {out}"
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == len(rows) + 1
    assert 8 <= sheet.column_dimensions["A"].width <= 60
    assert sheet.column_dimensions["F"].width == 60  # examples: capped
    by_text = {r[0].value: [c.value for c in r] for r in sheet.iter_rows(min_row=2)}
    pinned = by_text["扎实推进"]
    assert pinned[1] == "phrase" and isinstance(pinned[2], int) and pinned[9] == "yes"
    assert by_text["新质生产力"][8] == "新提法" and by_text["新质生产力"][10] == "yes"
    assert "齐抓共管" not in by_text


def test_xlsx_needs_a_file(runner, curated):
    result = run(runner, "export", "--db", curated, "--format", "xlsx")
    assert result.exit_code == 2 and "-o" in result.stderr


def test_export_pinned_and_note_columns(runner, curated):
    rows = list(csv.DictReader(io.StringIO(ok(run(runner, "export", "--db", curated)))))
    by = {r["text"]: r for r in rows}
    assert by["扎实推进"]["pinned"] == "yes" and by["高度重视"]["pinned"] == ""
    assert by["高度重视"]["note"] == "用于 部署" and by["以……为指导"]["note"] == "引用理论时用"
    pinned = ok(run(runner, "export", "--db", curated, "--pinned", "--format", "jsonl"))
    assert [json.loads(x)["text"] for x in pinned.splitlines()] == ["扎实推进"]


def test_export_jieba_user_dictionary(runner, bundled_bank, tmp_path):
    import jieba

    out = tmp_path / "userdict.txt"
    ok(run(runner, "export", "--db", bundled_bank, "--format", "jieba", "-o", out))
    lines = out.read_text(encoding="utf-8").splitlines()
    with sqlite3.connect(bundled_bank) as conn:
        phrases = conn.execute("select count(*) from phrases").fetchone()[0]
        idioms = {
            t for (t,) in conn.execute("select text from glosses join phrases on id = phrase_id")
        }
    assert len(lines) == phrases
    entries = {}
    for line in lines:
        word, freq, tag = line.split(" ")
        assert int(freq) >= 1 and tag in ("i", "l")
        entries[word] = (int(freq), tag)
    assert idioms and all(entries[t][1] == "i" for t in idioms)
    assert entries["高度重视"][1] == "l"
    plain = jieba.Tokenizer()
    tuned = jieba.Tokenizer()
    tuned.load_userdict(str(out))
    sentence = "各级各部门要统一思想，抓好安全生产"
    assert plain.lcut(sentence, HMM=False)[:5] == ["各级", "各", "部门", "要", "统一"]
    assert {"统一思想", "安全生产"} <= set(tuned.lcut(sentence, HMM=False))
    # Neighbouring words are not re-cut: jieba keeps 作为 in 作为指导.
    assert tuned.lcut("以此作为指导", HMM=False) == plain.lcut("以此作为指导", HMM=False)


# -- diff -----------------------------------------------------------------------------------


def test_diff_of_a_rebuild(runner, tmp_path, small_bank):
    three = dict(list(SMALL_DOCS.items())[:3])
    old = tmp_path / "old.sqlite"
    ok(run(runner, "build", write_corpus(tmp_path / "three", three), "--db", old))
    result = json.loads(ok(run(runner, "diff", old, small_bank, "--json")))
    with sqlite3.connect(old) as a, sqlite3.connect(small_bank) as b:
        before = {r for r in a.execute("select text from phrases union select text from templates")}
        after = {r for r in b.execute("select text from phrases union select text from templates")}
    assert {c["text"] for c in result["added"]} == {t for (t,) in after - before}
    assert {c["text"] for c in result["dropped"]} == {t for (t,) in before - after}
    assert result["added"] or result["dropped"]
    for c in result["reranked"]:
        lo, hi = sorted((c["old_rank"], c["new_rank"]))
        assert hi >= 2 * lo and hi - lo >= 3
    table = ok(run(runner, "diff", old, small_bank))
    first = table.splitlines()[0]
    assert first.startswith(f"{old} → {small_bank}: ") and "added" in first
    assert ("added" in table) and ("rank" in table)


def test_diff_of_identical_banks_is_empty(runner, small_bank):
    result = json.loads(ok(run(runner, "diff", small_bank, small_bank, "--json")))
    assert result["added"] == result["dropped"] == result["reranked"] == []
    assert result["old_entries"] == result["new_entries"] > 0


def test_diff_errors(runner, small_bank, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not sqlite", encoding="utf-8")
    one_line_error(run(runner, "diff", junk, small_bank), "is not a phraser bank")
    one_line_error(run(runner, "diff", small_bank, tmp_path / "none.sqlite"), "no phrase bank")


# -- Datasette ------------------------------------------------------------------------------


def test_datasette_canned_queries_run_on_a_curated_bank(curated):
    """Datasette is not a dependency; its canned queries are plain SQL, run here as
    Datasette would run them (named parameters)."""
    meta = json.loads((ROOT / "db" / "datasette-metadata.json").read_text(encoding="utf-8"))
    queries = meta["databases"]["bank"]["queries"]
    params = {"text": "狠抓落实", "q": "狠抓落实"}
    results = {}
    with sqlite3.connect(curated) as conn:
        conn.row_factory = sqlite3.Row
        for name, query in queries.items():
            results[name] = [dict(r) for r in conn.execute(query["sql"], params)]
    assert results["top_phrases"][0]["text"] == "扎实推进"  # pinned first
    assert all(r["text"] != "齐抓共管" for r in results["top_phrases"])
    assert len(results["phrase_examples"]) == 3
    assert "高度重视" in {r["companion"] for r in results["companions"]}
    assert "齐抓共管" not in {r["companion"] for r in results["companions"]}
    template = next(r for r in results["templates_with_fillers"] if r["template"] == "以……为指导")
    assert "毛泽东思想" in template["fillers"]
    assert {r["text"] for r in results["curated"]} == {
        "扎实推进",
        "齐抓共管",
        "高度重视",
        "以……为指导",
        "形式主义",
        "新质生产力",
    }
    assert results["search_examples"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--metadata db/datasette-metadata.json" in readme
