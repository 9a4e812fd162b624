"""Every command through click's CliRunner, with real banks and real output."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import time

import pytest
from conftest import FILLERS, STOCK_PHRASES, TEMPLATE, write_corpus

from cli import cli
from phraser import __version__
from phraser.bank import SCHEMA_VERSION

COMMANDS = ("build", "suggest", "check", "show", "search", "export", "stats")
SUMMARY = re.compile(
    r"^built (?P<bank>.+): (?P<documents>\d+) documents, (?P<characters>[\d,]+) characters → "
    r"(?P<phrases>[\d,]+) phrases, (?P<templates>[\d,]+) templates, (?P<pairs>[\d,]+) pairs "
    r"in (?P<seconds>\d+\.\d) s(?P<rest>.*)$"
)


def run(runner, *args, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], **kwargs)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def table_rows(stdout: str) -> list[list[str]]:
    """Header and body rows of a rich table printed without edges: cells split on ┃ or │."""
    return [
        [c.strip() for c in re.split("[│┃]", line)]
        for line in stdout.splitlines()
        if "│" in line or "┃" in line
    ]


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("Error: ")
    for needle in needles:
        assert needle in result.stderr


# -- help and version -----------------------------------------------------------------


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"phraser, version {__version__}"


def test_group_help_lists_commands(runner):
    result = run(runner, "--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_command_help(runner, command, flag):
    result = run(runner, command, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: cli {command} [OPTIONS]")
    assert "Example:" in result.stdout
    if command != "build":
        assert "--db" in result.stdout


# -- build --------------------------------------------------------------------------------


def test_build_summary_line(runner, tmp_path, small_corpus):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "copy-of-01.txt").write_bytes((small_corpus / "01_安全生产.txt").read_bytes())
    db = tmp_path / "out" / "bank.sqlite"

    result = run(runner, "build", corpus, "--db", db)

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    m = SUMMARY.match(lines[0])
    assert m, lines[0]
    assert m["bank"] == str(db)
    assert int(m["documents"]) == 4
    chars = sum(len(p.read_text(encoding="utf-8")) for p in small_corpus.iterdir())
    assert int(m["characters"].replace(",", "")) == chars
    assert int(m["phrases"]) > 0 and int(m["templates"]) > 0 and int(m["pairs"]) > 0
    assert m["rest"] == " (1 duplicates)"
    assert db.exists()
    assert [p.name for p in db.parent.iterdir()] == ["bank.sqlite"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from phrases").fetchone()[0] == int(m["phrases"])


def test_build_json_replaces_existing_bank(runner, tmp_path, small_corpus, bank_copy):
    assert _bank_counts(bank_copy)["phrase"] > 0
    one = small_corpus / "02_乡村振兴.txt"

    result = run(runner, "build", one, "--db", bank_copy, "--json", "--min-count", "2")

    assert result.exit_code == 0, result.stderr
    rows = json_lines(result.stdout)
    assert len(rows) == 1
    summary = rows[0]
    assert set(summary) == {
        "bank",
        "documents",
        "characters",
        "phrases",
        "templates",
        "pairs",
        "seconds",
        "skipped",
        "duplicates",
    }
    assert summary["bank"] == str(bank_copy)
    assert summary["documents"] == 1
    assert summary["characters"] == len(one.read_text(encoding="utf-8"))
    assert summary["skipped"] == 0 and summary["duplicates"] == 0
    assert isinstance(summary["seconds"], float)
    with sqlite3.connect(bank_copy) as conn:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 1
        assert conn.execute("select count(*) from phrases").fetchone()[0] == summary["phrases"]
    assert [p.name for p in bank_copy.parent.iterdir()] == ["bank.sqlite"]


def test_build_missing_path(runner, tmp_path):
    db = tmp_path / "bank.sqlite"
    missing = tmp_path / "no-such-folder"
    result = run(runner, "build", missing, "--db", db)
    one_line_error(result, "no such file or folder", str(missing))
    assert not db.exists()


def test_build_folder_without_documents(runner, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "image.png").write_bytes(b"\x89PNG")
    db = tmp_path / "bank.sqlite"
    result = run(runner, "build", empty, "--db", db)
    one_line_error(result, "no readable documents")
    assert not db.exists()


def test_build_rejects_bad_options(runner, tmp_path, small_corpus):
    db = tmp_path / "bank.sqlite"
    assert run(runner, "build", small_corpus, "--db", db, "--min-count", "0").exit_code == 2
    assert run(runner, "build", small_corpus, "--db", db, "--max-len", "99").exit_code == 2
    assert run(runner, "build", small_corpus, "--db", tmp_path).exit_code == 2
    assert not db.exists()


def test_first_use_builds_bank_from_bundled_corpus(runner, tmp_path, small_corpus, monkeypatch):
    db = tmp_path / "fresh" / "bank.sqlite"
    monkeypatch.setenv("PHRASER_DB", str(db))
    monkeypatch.setenv("PHRASER_CORPUS", str(small_corpus))
    result = run(runner, "suggest", "--json", "各级各部门要高度重视")
    assert result.exit_code == 0, result.stderr
    assert "building one from the bundled corpus" in result.stderr
    assert db.exists()
    (row,) = json_lines(result.stdout)
    assert "高度重视" in [s["text"] for s in row["suggestions"]]


# -- suggest ----------------------------------------------------------------------------


def test_suggest_plain_table(runner, small_bank):
    result = run(runner, "suggest", "--db", small_bank, "各级各部门要高度重视狠抓落实")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].strip() == "各级各部门要高度重视狠抓落实"
    rows = table_rows(result.stdout)
    assert rows[0] == ["#", "suggestion", "match", "score", "why"]
    body = rows[1:]
    assert [r[0] for r in body] == [str(i) for i in range(1, len(body) + 1)]
    assert 1 <= len(body) <= 5
    by_text = {r[1]: r for r in body}
    assert by_text["高度重视"][2] == "exact"
    assert by_text["狠抓落实"][2] == "exact"
    assert "contains 「高度重视」" in by_text["高度重视"][4]
    assert all(0 < float(r[3]) <= 1.02 for r in body)


def test_suggest_json_contract(runner, small_bank):
    query = "要以邓小平理论作为指导，高度重视"
    result = run(runner, "suggest", "--db", small_bank, "--json", query)
    assert result.exit_code == 0, result.stderr
    (row,) = json_lines(result.stdout)
    assert set(row) == {"query", "suggestions"}
    assert row["query"] == "要以邓小平理论作为指导，高度重视"
    assert 1 <= len(row["suggestions"]) <= 5
    for s in row["suggestions"]:
        assert {"text", "kind", "match", "score", "why"} <= set(s)
        assert set(s) <= {"text", "kind", "match", "score", "why", "rewrite"}
        assert s["kind"] in {"phrase", "template"}
        assert re.fullmatch("[a-z]+", s["match"])  # exact, fuzzy, template, companion, …
        assert isinstance(s["score"], float)
        assert s["why"]
    texts = [s["text"] for s in row["suggestions"]]
    assert len(texts) == len(set(texts))
    template = next(s for s in row["suggestions"] if s["kind"] == "template")
    assert template["text"] == TEMPLATE
    assert template["match"] == "template"
    assert template["rewrite"] == "要以邓小平理论为指导,高度重视"
    assert "作为→为" in template["why"]


def test_suggest_companions_for_a_bare_phrase(runner, small_bank):
    result = run(runner, "suggest", "--db", small_bank, "--json", "高 度 重 视")
    assert result.exit_code == 0
    (row,) = json_lines(result.stdout)
    texts = [s["text"] for s in row["suggestions"]]
    assert "高度重视" not in texts  # no echo of the query itself
    assert {"狠抓落实", "统一思想", "提高认识"} <= set(texts)
    assert all(s["match"] == "companion" for s in row["suggestions"])


def test_suggest_fuzzy_near_miss(runner, small_bank):
    result = run(runner, "suggest", "--db", small_bank, "--json", "我们要求真务石，开拓创薪")
    (row,) = json_lines(result.stdout)
    near = {s["text"] for s in row["suggestions"] if s["match"] in {"fuzzy", "typo"}}
    assert {"求真务实", "开拓创新"} <= near


def test_suggest_top(runner, small_bank):
    query = "各级各部门要统一思想、提高认识、高度重视、狠抓落实，齐抓共管"
    for top in (1, 3):
        result = run(runner, "suggest", "--db", small_bank, "--json", "--top", top, query)
        assert result.exit_code == 0
        (row,) = json_lines(result.stdout)
        assert len(row["suggestions"]) == top
    result = run(runner, "suggest", "--db", small_bank, "-k", "100", "--json", query)
    assert len(json_lines(result.stdout)[0]["suggestions"]) > 5
    assert run(runner, "suggest", "--db", small_bank, "--top", "0", query).exit_code == 2


def test_suggest_file_several_lines(runner, small_bank, tmp_path):
    queries = ["各级各部门要高度重视", "hello world", "", "以科学发展观作为指导", "齐抓共管"]
    path = tmp_path / "drafts.txt"
    path.write_text("\r\n".join(queries) + "\n", encoding="utf-8")
    result = run(runner, "suggest", "--db", small_bank, "--json", "--file", path)
    assert result.exit_code == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [r["query"] for r in rows] == queries
    assert rows[1]["suggestions"] == [] and rows[2]["suggestions"] == []
    assert "高度重视" in [s["text"] for s in rows[0]["suggestions"]]
    assert rows[3]["suggestions"][0]["text"] == TEMPLATE
    assert rows[4]["suggestions"]


def test_suggest_file_from_stdin(runner, small_bank):
    stdin = "统一思想，提高认识\n以毛泽东思想作为指导\n"
    result = run(runner, "suggest", "--db", small_bank, "--json", "-f", "-", input=stdin)
    assert result.exit_code == 0, result.stderr
    rows = json_lines(result.stdout)
    assert [r["query"] for r in rows] == ["统一思想，提高认识", "以毛泽东思想作为指导"]
    assert all(r["suggestions"] for r in rows)


def test_suggest_file_plain_prints_one_table_per_line(runner, small_bank):
    stdin = "各级各部门要高度重视\n齐抓共管\n"
    result = run(runner, "suggest", "--db", small_bank, "-f", "-", input=stdin)
    assert result.exit_code == 0
    headers = [r for r in table_rows(result.stdout) if r[1] == "suggestion"]
    assert len(headers) == 2


@pytest.mark.parametrize("query", ["", "   ", "\u3000\t", " \n "])
def test_suggest_empty_query_is_usage_error(runner, small_bank, query):
    result = run(runner, "suggest", "--db", small_bank, query)
    assert result.exit_code == 2
    assert "empty query" in result.stderr
    assert result.stdout == ""


def test_suggest_without_query_is_usage_error(runner, small_bank):
    result = run(runner, "suggest", "--db", small_bank)
    assert result.exit_code == 2
    assert "empty query" in result.stderr


@pytest.mark.parametrize("query", ["hello world", "2024", "，，。", "ABC123"])
def test_suggest_no_chinese(runner, small_bank, query):
    result = run(runner, "suggest", "--db", small_bank, query)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no Chinese" in result.stderr
    result = run(runner, "suggest", "--db", small_bank, "--json", query)
    assert result.exit_code == 0
    assert json_lines(result.stdout) == [{"query": query, "suggestions": []}]


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "table"])
def test_suggest_one_megabyte_query(runner, small_bank, as_json):
    query = ("各级各部门要高度重视安全生产，狠抓落实。" * 50_000)[:1_000_000]
    args = ["suggest", "--db", small_bank, query] + (["--json"] if as_json else [])
    start = time.perf_counter()
    result = run(runner, *args)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.stderr
    assert elapsed < 10
    if as_json:
        (row,) = json_lines(result.stdout)
        assert "高度重视" in [s["text"] for s in row["suggestions"]]
    else:
        assert "高度重视" in result.stdout


def test_suggest_empty_query_builds_no_bank(runner, tmp_path):
    db = tmp_path / "none.sqlite"
    result = run(runner, "suggest", "--db", db, "   ")
    assert result.exit_code == 2
    assert not db.exists()


def test_suggest_bundled_bank(runner, bundled_bank):
    result = run(runner, "suggest", "--db", bundled_bank, "--json", "各级各部门要高度重视安全生产")
    assert result.exit_code == 0
    (row,) = json_lines(result.stdout)
    texts = [s["text"] for s in row["suggestions"]]
    assert {"高度重视", "安全生产"} <= set(texts)


def test_suggest_scores_within_unit_interval(runner, bundled_bank):
    result = run(runner, "suggest", "--db", bundled_bank, "--json", "我们要推动经济社会发展")
    (row,) = json_lines(result.stdout)
    assert row["suggestions"]
    assert all(0.0 <= s["score"] <= 1.0 for s in row["suggestions"]), row


@pytest.mark.parametrize(
    ("query", "filler"),
    [
        ("坚持以人民为中心，以科学发展观作为指导", "科学发展观"),
        ("所以要以邓小平理论作为指导", "邓小平理论"),
    ],
    ids=["hidden", "swallowed"],
)
def test_suggest_template_after_earlier_prefix(runner, small_bank, query, filler):
    result = run(runner, "suggest", "--db", small_bank, "--json", query)
    (row,) = json_lines(result.stdout)
    templates = [s for s in row["suggestions"] if s["kind"] == "template"]
    assert templates and f"「{filler}」" in templates[0]["why"], row


# -- show -----------------------------------------------------------------------------------


def test_show_phrase_card(runner, small_bank):
    result = run(runner, "show", "--db", small_bank, "齐抓共管")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "齐抓共管  (phrase)"
    fields = dict(ln.split(None, 1) for ln in lines[1:8])
    assert list(fields) == [
        "count",
        "documents",
        "score",
        "pmi",
        "left_entropy",
        "right_entropy",
        "dispersion",
    ]
    count = int(fields["count"])
    with sqlite3.connect(small_bank) as conn:
        assert (
            count == conn.execute("select count from phrases where text = '齐抓共管'").fetchone()[0]
        )
    assert int(fields["documents"]) == 4
    assert "examples:" in lines
    assert re.search(r"^  0\d_\S+\.txt:\d+:\d+ ", result.stdout, re.M)
    assert "齐抓共管的工作格局" in result.stdout.replace("\n", "")
    assert result.stdout.count("companions:") == 1


def test_show_phrase_json(runner, small_bank):
    result = run(runner, "show", "--db", small_bank, "--json", "高度重视")
    assert result.exit_code == 0
    card = json.loads(result.stdout)
    assert card["text"] == "高度重视" and card["kind"] == "phrase"
    assert card["count"] >= 10 and card["documents"] == 4
    assert 1 <= len(card["examples"]) <= 5
    for ex in card["examples"]:
        assert ex["sentence"][ex["start"] : ex["start"] + ex["highlight"]] == "高度重视"
        assert ex["document"].endswith(".txt") and ex["line"] >= 1 and ex["col"] >= 1
    assert {"狠抓落实", "统一思想", "提高认识"} & {c["text"] for c in card["companions"]}


@pytest.mark.parametrize("spelling", [TEMPLATE, "以...为指导", "以…为指导"])
def test_show_template_card(runner, small_bank, spelling):
    result = run(runner, "show", "--db", small_bank, spelling)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{TEMPLATE}  (template)"
    assert "fillers_seen" in result.stdout
    fillers_line = result.stdout[result.stdout.index("fillers:") :].replace("\n", "")
    assert sum(f in fillers_line for f in FILLERS) >= 3
    result = run(runner, "show", "--db", small_bank, "--json", spelling)
    card = json.loads(result.stdout)
    assert card["kind"] == "template" and card["fillers_seen"] >= 3
    assert {f["filler"] for f in card["fillers"]} >= {"毛泽东思想", "科学发展观", "邓小平理论"}


@pytest.mark.parametrize("text", ["不存在的词语", "hello", "以……为不存在"])
def test_show_unknown_entry(runner, small_bank, text):
    result = run(runner, "show", "--db", small_bank, text)
    one_line_error(result, f"「{text}」 is not in the bank")
    assert len([ln for ln in result.stderr.splitlines() if ln.strip()]) == 1
    assert result.stdout == ""


# -- search ---------------------------------------------------------------------------------


def test_search_question_mark_wildcard(runner, small_bank, bundled_bank):
    for bank in (small_bank, bundled_bank):
        result = run(runner, "search", "--db", bank, "?抓?管")
        assert result.exit_code == 0, result.stderr
        rows = table_rows(result.stdout)
        assert rows[0] == ["text", "kind", "count", "score"]
        assert ["齐抓共管", "phrase"] == rows[1][:2]
    result = run(runner, "search", "--db", small_bank, "?抓共")
    assert result.stdout == "" and "nothing matches" in result.stderr


def test_search_star_wildcard_json(runner, small_bank):
    result = run(runner, "search", "--db", small_bank, "--json", "*抓*")
    assert result.exit_code == 0
    rows = json_lines(result.stdout)
    texts = {r["text"] for r in rows}
    assert {"狠抓落实", "齐抓共管", "真抓实干"} <= texts
    for r in rows:
        assert set(r) == {"text", "kind", "count", "score"}
        assert "抓" in r["text"]
    counts = [r["count"] for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_search_template_and_its_fillings(runner, small_bank):
    result = run(runner, "search", "--db", small_bank, "--json", "以*为指导")
    rows = json_lines(result.stdout)
    kinds = {r["text"]: r["kind"] for r in rows}
    assert kinds[TEMPLATE] == "template"
    for filler in FILLERS:
        assert kinds[f"以{filler}为指导"] == "filled"


def test_search_limit_and_literal_bracket(runner, small_bank):
    result = run(runner, "search", "--db", small_bank, "--json", "-n", "2", "*")
    assert len(json_lines(result.stdout)) == 2
    result = run(runner, "search", "--db", small_bank, "[高]度重视")
    assert result.exit_code == 0 and result.stdout == ""
    assert run(runner, "search", "--db", small_bank, "  ").exit_code == 2


def test_search_template_by_its_text(runner, small_bank):
    """The template's own slot (……) works as a wildcard: the template, then its fillings."""
    result = run(runner, "search", "--db", small_bank, "--json", TEMPLATE)
    rows = json_lines(result.stdout)
    assert rows[0]["text"] == TEMPLATE and rows[0]["kind"] == "template"
    assert {r["kind"] for r in rows[1:]} == {"filled"}


# -- export ---------------------------------------------------------------------------------


def _bank_counts(bank) -> dict[str, int]:
    with sqlite3.connect(bank) as conn:
        return {
            t: conn.execute(f"select count(*) from {t}s").fetchone()[0]
            for t in ("phrase", "template", "pair")
        }


def test_export_csv(runner, small_bank):
    result = run(runner, "export", "--db", small_bank)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "text",
        "kind",
        "count",
        "documents",
        "score",
        "examples",
        "companions",
        "fillers",
        "note",
        "pinned",
        "added",
    ]
    counts = _bank_counts(small_bank)
    assert len(rows) == sum(counts.values())
    by = {(r["text"], r["kind"]) for r in rows}
    assert {(p, "phrase") for p in STOCK_PHRASES} <= by
    assert (TEMPLATE, "template") in by
    assert ("统一思想、提高认识", "pair") in by
    template = next(r for r in rows if r["text"] == TEMPLATE)
    assert len(template["fillers"].split(" | ")) >= 3


def test_export_json_and_jsonl_agree(runner, small_bank):
    as_json = run(runner, "export", "--db", small_bank, "--format", "json")
    as_jsonl = run(runner, "export", "--db", small_bank, "--format", "jsonl")
    assert as_json.exit_code == as_jsonl.exit_code == 0
    items = json.loads(as_json.stdout)
    assert items == json_lines(as_jsonl.stdout)
    assert len(items) == sum(_bank_counts(small_bank).values())
    phrase = next(i for i in items if i["text"] == "高度重视")
    assert phrase["kind"] == "phrase" and phrase["examples"]


def test_export_markdown(runner, small_bank):
    result = run(runner, "export", "--db", small_bank, "--format", "md", "--kind", "pair")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = (
        "| text | kind | count | documents | score | examples | companions | fillers "
        "| note | pinned | added |"
    )
    assert lines[0] == header
    assert lines[1] == "|---|---|---|---|---|---|---|---|---|---|---|"
    assert len(lines) - 2 == _bank_counts(small_bank)["pair"]
    for line in lines[2:]:
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) == 11
        assert cells[1].strip() == "pair"


def test_export_kind_and_min_count(runner, small_bank):
    result = run(runner, "export", "--db", small_bank, "--format", "jsonl", "--kind", "phrase")
    rows = json_lines(result.stdout)
    assert rows and {r["kind"] for r in rows} == {"phrase"}
    assert len(rows) == _bank_counts(small_bank)["phrase"]
    result = run(
        runner,
        "export",
        "--db",
        small_bank,
        "--format",
        "jsonl",
        "--kind",
        "template",
        "--kind",
        "pair",
        "--min-count",
        "5",
    )
    rows = json_lines(result.stdout)
    assert rows and {r["kind"] for r in rows} <= {"template", "pair"}
    assert all(r["count"] >= 5 for r in rows)
    with sqlite3.connect(small_bank) as conn:
        expected = conn.execute(
            "select (select count(*) from templates where count >= 5)"
            " + (select count(*) from pairs where count >= 5)"
        ).fetchone()[0]
    assert len(rows) == expected
    result = run(runner, "export", "--db", small_bank, "--min-count", "100000", "--format", "json")
    assert json.loads(result.stdout) == []
    assert run(runner, "export", "--db", small_bank, "--kind", "word").exit_code == 2
    assert run(runner, "export", "--db", small_bank, "--format", "xml").exit_code == 2


def test_export_to_file(runner, small_bank, tmp_path):
    out = tmp_path / "out" / "phrases.jsonl"
    out.parent.mkdir()
    result = run(
        runner, "export", "--db", small_bank, "--format", "jsonl", "--kind", "phrase", "-o", out
    )
    assert result.exit_code == 0
    assert result.stdout == ""
    n = _bank_counts(small_bank)["phrase"]
    assert result.stderr.strip() == f"wrote {n:,} entries to {out}"
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == n
    assert [p.name for p in out.parent.iterdir()] == ["phrases.jsonl"]


# -- stats ----------------------------------------------------------------------------------


def test_stats_json(runner, small_bank):
    result = run(runner, "stats", "--db", small_bank, "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    counts = _bank_counts(small_bank)
    assert info["path"] == str(small_bank)
    assert info["bytes"] == small_bank.stat().st_size
    assert info["documents"] == 4
    assert info["phrases"] == counts["phrase"]
    assert info["templates"] == counts["template"]
    assert info["pairs"] == counts["pair"]
    assert info["examples"] > 0
    assert info["schema_version"] == SCHEMA_VERSION
    assert info["characters"] > 0 and info["build_seconds"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", info["built_at"])


def test_stats_plain(runner, bundled_bank):
    result = run(runner, "stats", "--db", bundled_bank)
    assert result.exit_code == 0
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert fields["path"] == str(bundled_bank)
    assert fields["documents"] == "1"
    assert int(fields["characters"].replace(",", "")) > 100_000
    assert int(fields["phrases"].replace(",", "")) > 1000
    assert fields["schema_version"] == str(SCHEMA_VERSION)


# -- missing or foreign banks ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["show", "高度重视"], ["search", "*"], ["export"], ["stats"]],
    ids=["show", "search", "export", "stats"],
)
def test_missing_bank(runner, tmp_path, args):
    db = tmp_path / "missing.sqlite"
    result = run(runner, *args, "--db", db)
    one_line_error(result, "no phrase bank at", "phraser build")
    assert not db.exists()


def test_not_a_bank(runner, tmp_path):
    db = tmp_path / "notes.sqlite"
    db.write_text("这不是数据库", encoding="utf-8")
    result = run(runner, "stats", "--db", db)
    one_line_error(result, "is not a phraser bank")


def test_db_from_environment(runner, small_bank, monkeypatch):
    monkeypatch.setenv("PHRASER_DB", str(small_bank))
    result = run(runner, "stats", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["path"] == str(small_bank)


def test_suggest_query_with_undecodable_bytes(runner, small_bank):
    """Bytes that are not UTF-8 reach argv as lone surrogates; they are dropped, not fatal."""
    result = run(runner, "suggest", "--db", small_bank, "--json", "高度重视\udcff")
    assert result.exit_code == 0, result.stderr
    assert json_lines(result.stdout)[0]["query"]


def test_suggest_file_with_bad_bytes(runner, small_bank, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_bytes("高度重视\n".encode() + b"\xff\xfe\n" + "狠抓落实\n".encode())
    result = run(runner, "suggest", "--db", small_bank, "--json", "--file", queries)
    assert result.exit_code == 0, result.stderr
    assert len(json_lines(result.stdout)) == 3
