"""Curation: pins, bans, notes and added phrases survive every rebuild and steer every command."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from conftest import sense_pack_matches_table, write_corpus

from cli import cli
from phraser.curation import sidecar


def run(runner, *args, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], **kwargs)


def ok(result) -> str:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    for needle in needles:
        assert needle in result.stderr


def suggestions(runner, bank, *queries: str) -> list[list[dict]]:
    args = ("suggest", "--db", bank, "--json", "--top", "10", "--file", "-")
    out = ok(run(runner, *args, input="\n".join(queries) + "\n"))
    return [row["suggestions"] for row in map(json.loads, out.splitlines())]


def texts(runner, bank, query: str) -> list[str]:
    return [s["text"] for s in suggestions(runner, bank, query)[0]]


def curation_table(bank) -> list[tuple]:
    with sqlite3.connect(bank) as conn:
        return conn.execute(
            "select text, kind, pinned, banned, added, note from curation order by text"
        ).fetchall()


def curate(runner, bank) -> None:
    """One edit of every kind: pin, ban, note (phrase and template), add two phrases."""
    ok(run(runner, "pin", "扎实推进", "--db", bank))
    ok(run(runner, "ban", "齐抓共管", "--db", bank))
    ok(run(runner, "note", "高度重视", "用于", "部署", "--db", bank))
    ok(run(runner, "note", "以...为指导", "引用理论时用", "--db", bank))
    ok(run(runner, "add-phrase", "形式主义", "--db", bank))  # in the corpus once
    ok(run(runner, "add-phrase", "新质生产力", "--note", "新提法", "--db", bank))  # never


EXPECTED = [
    ("以……为指导", "template", 0, 0, 0, "引用理论时用"),
    ("形式主义", "phrase", 0, 0, 1, None),
    ("扎实推进", "phrase", 1, 0, 0, None),
    ("新质生产力", "phrase", 0, 0, 1, "新提法"),
    ("高度重视", "phrase", 0, 0, 0, "用于 部署"),
    ("齐抓共管", "phrase", 0, 1, 0, None),
]


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def curated(runner, corpus, tmp_path):
    bank = tmp_path / "bank" / "bank.sqlite"
    ok(run(runner, "build", corpus, "--db", bank))
    curate(runner, bank)
    return bank


def check_curated(runner, bank) -> None:
    """Every edit of `curate` in effect, in the bank and in what the commands print."""
    assert curation_table(bank) == EXPECTED
    found = suggestions(runner, bank, "统一思想", "各级各部门要高度重视齐抓共管", "齐抓公管")
    assert found[0][0]["text"] == "扎实推进" and found[0][0]["pinned"] is True
    assert all(s["text"] != "齐抓共管" for row in found for s in row)
    assert "形式主义" in texts(runner, bank, "坚决反对形式主义")
    assert "新质生产力" in texts(runner, bank, "发展新质生产力")
    card = json.loads(ok(run(runner, "show", "形式主义", "--db", bank, "--json")))
    assert card["added"] is True and card["count"] == 1
    assert [e["document"] for e in card["examples"]] == ["04_作风建设.txt"]
    card = json.loads(ok(run(runner, "show", "高度重视", "--db", bank, "--json")))
    assert card["note"] == "用于 部署"
    assert "banned" in ok(run(runner, "show", "齐抓共管", "--db", bank))


def test_curation_survives_a_rebuild_from_scratch(runner, curated, corpus):
    check_curated(runner, curated)
    kept = sidecar(curated).read_text(encoding="utf-8")
    ok(run(runner, "build", corpus, "--db", curated))
    check_curated(runner, curated)
    curated.unlink()  # from scratch: no old bank at all, only the sidecar
    ok(run(runner, "build", corpus, "--db", curated))
    check_curated(runner, curated)
    assert sidecar(curated).read_text(encoding="utf-8") == kept
    with sqlite3.connect(curated) as conn:
        rows = dict(conn.execute("select text, source from phrases where source = 'added'"))
    assert rows == {"形式主义": "added", "新质生产力": "added"}


def test_sidecar_is_readable_json(curated):
    data = json.loads(sidecar(curated).read_text(encoding="utf-8"))
    assert data["phraser_curation"] == 1
    assert {"text": "齐抓共管", "banned": True} in data["entries"]
    assert {"text": "新质生产力", "added": True, "note": "新提法"} in data["entries"]
    assert sidecar(curated).name == "bank.curation.json"


def test_banned_is_never_suggested_searched_exported_or_a_companion(runner, curated, tmp_path):
    search = ok(run(runner, "search", "*抓*", "--db", curated, "--json"))
    assert "齐抓共管" not in search and "狠抓落实" in search
    export = json.loads(ok(run(runner, "export", "--db", curated, "--format", "json")))
    assert all("齐抓共管" not in r["text"] for r in export)
    assert all("齐抓共管" not in r["companions"] for r in export)
    card = json.loads(ok(run(runner, "show", "真抓实干", "--db", curated, "--json")))
    assert "齐抓共管" not in [c["text"] for c in card["companions"]]
    draft = tmp_path / "draft.txt"
    draft.write_text("各级党委要齐抓公管，狠抓落失。\n", encoding="utf-8")
    found = run(runner, "check", draft, "--db", curated, "--json")
    rights = [f["right"] for f in json.loads(found.stdout)["findings"]]
    assert "狠抓落实" in rights and "齐抓共管" not in rights


def test_ban_a_template(runner, curated):
    assert any(
        s["match"] == "template" for s in suggestions(runner, curated, "以邓小平理论为指导")[0]
    )
    ok(run(runner, "ban", "以……为指导", "--db", curated))
    assert all(
        s["text"] != "以……为指导" for s in suggestions(runner, curated, "以邓小平理论为指导")[0]
    )
    assert "以……为指导" not in ok(run(runner, "search", "以*为指导", "--db", curated))


def test_pinned_ranks_first_only_when_it_matches(runner, bank_copy):
    before = texts(runner, bank_copy, "统一思想")
    assert before[0] != "扎实推进" and "扎实推进" in before
    ok(run(runner, "pin", "扎实推进", "--db", bank_copy))
    after = suggestions(runner, bank_copy, "统一思想", "狠抓落实")
    assert after[0][0]["text"] == "扎实推进" and after[0][0]["pinned"] is True
    assert [s["text"] for s in after[0][1:]] == [t for t in before if t != "扎实推进"][:9]
    assert after[1][0]["text"] == "扎实推进"  # a companion of 狠抓落实: it matches there too
    assert all("pinned" not in s for s in after[0][1:])
    table = ok(run(runner, "suggest", "统一思想", "--db", bank_copy))
    assert "pinned; stands beside" in table


def test_added_phrase_in_place_then_measured_by_a_build(runner, corpus, tmp_path):
    bank = tmp_path / "bank.sqlite"
    ok(run(runner, "build", corpus, "--db", bank))
    fts = "select count(*) from sentences_fts where sentences_fts match '形式主义'"
    own = (
        "select count(*) from sentences_fts f join examples e on e.sentence_id = f.rowid "
        "join phrases p on p.id = e.entry_id and e.kind = 'phrase' "
        "where sentences_fts match '形式主义' and p.text = '形式主义'"
    )
    with sqlite3.connect(bank) as conn:
        sentences = conn.execute(fts).fetchone()[0]  # examples of other entries
    assert "形式主义" not in texts(runner, bank, "坚决反对形式主义")
    assert ok(run(runner, "add-phrase", "形式主义", "--db", bank)).strip() == "added 「形式主义」"
    card = json.loads(ok(run(runner, "show", "形式主义", "--db", bank, "--json")))
    assert card["count"] == 1 and card["documents"] == 1 and card["score"] > 0
    assert "形式主义" in card["examples"][0]["sentence"]
    assert "形式主义" in texts(runner, bank, "坚决反对形式主义")
    with sqlite3.connect(bank) as conn:
        assert conn.execute(own).fetchone()[0] == 1  # its example sentence, searchable
        assert conn.execute(fts).fetchone()[0] == sentences  # stored once
    ok(run(runner, "build", corpus, "--db", bank))
    rebuilt = json.loads(ok(run(runner, "show", "形式主义", "--db", bank, "--json")))
    assert rebuilt["count"] == 1 and rebuilt["examples"] == card["examples"]
    with sqlite3.connect(bank) as conn:
        senses = "select count(*) from senses s join phrases p on p.id = s.phrase_id "
        assert conn.execute(senses + "where p.text = '形式主义'").fetchone()[0] > 0
    # Taking it back removes the row (it was never mined), its examples and FTS entries,
    # and its sense rows from the table and the pack.
    ok(run(runner, "remove-phrase", "形式主义", "--db", bank))
    sense_pack_matches_table(bank)
    one_line_error(run(runner, "show", "形式主义", "--db", bank), "not in the bank")
    with sqlite3.connect(bank) as conn:
        assert conn.execute(own).fetchone()[0] == 0
        assert conn.execute(fts).fetchone()[0] == sentences  # other entries still show it
        orphans = conn.execute(
            "select count(*) from sentences s "
            "where not exists (select 1 from examples e where e.sentence_id = s.id)"
        ).fetchone()[0]
        assert orphans == 0


def test_adding_a_mined_phrase_keeps_it_mined(runner, bank_copy):
    out = ok(run(runner, "add-phrase", "狠抓落实", "--db", bank_copy))
    assert "mined already" in out
    ok(run(runner, "remove-phrase", "狠抓落实", "--db", bank_copy))
    card = json.loads(ok(run(runner, "show", "狠抓落实", "--db", bank_copy, "--json")))
    assert card["count"] == 10 and "added" not in card


def test_reverse_verbs_undo_everything(runner, curated):
    for verb, text in (
        ("unpin", "扎实推进"),
        ("unban", "齐抓共管"),
        ("unnote", "高度重视"),
        ("unnote", "以……为指导"),
        ("remove-phrase", "形式主义"),
        ("remove-phrase", "新质生产力"),
        ("unnote", "新质生产力"),
    ):
        ok(run(runner, verb, text, "--db", curated))
    assert curation_table(curated) == []
    assert json.loads(sidecar(curated).read_text(encoding="utf-8"))["entries"] == []
    assert "齐抓共管" in texts(runner, curated, "齐抓公管")
    assert "pinned" not in ok(run(runner, "suggest", "--json", "统一思想", "--db", curated))


def test_pin_and_ban_exclude_each_other(runner, bank_copy):
    ok(run(runner, "pin", "高度重视", "--db", bank_copy))
    assert "no longer pinned" in ok(run(runner, "ban", "高度重视", "--db", bank_copy))
    assert curation_table(bank_copy) == [("高度重视", "phrase", 0, 1, 0, None)]
    assert "no longer banned" in ok(run(runner, "pin", "高度重视", "--db", bank_copy))
    assert curation_table(bank_copy) == [("高度重视", "phrase", 1, 0, 0, None)]


def test_curation_list(runner, curated):
    rows = [
        json.loads(x)
        for x in ok(run(runner, "curation", "--db", curated, "--json")).split("\n")
        if x
    ]
    assert [r["text"] for r in rows] == [e[0] for e in EXPECTED]
    table = ok(run(runner, "curation", "--db", curated))
    assert "齐抓共管" in table and "banned" in table and "新提法" in table


@pytest.mark.parametrize(
    "args, needle",
    [
        (["pin", "不存在的话"], "not in the bank"),
        (["ban", "不存在的话"], "not in the bank"),
        (["note", "不存在的话", "x"], "not in the bank"),
        (["unpin", "高度重视"], "is not pinned"),
        (["unban", "高度重视"], "is not banned"),
        (["unnote", "高度重视"], "has no note"),
        (["remove-phrase", "高度重视"], "was not added"),
        (["add-phrase", "hello"], "no Chinese"),
        (["add-phrase", "以……为本"], "slot"),
        (["note", "高度重视", " "], "empty note"),
    ],
)
def test_user_errors_are_one_line_and_change_nothing(runner, bank_copy, args, needle):
    before = bank_copy.read_bytes()
    one_line_error(run(runner, *args, "--db", bank_copy), needle)
    assert bank_copy.read_bytes() == before
    assert not sidecar(bank_copy).exists()


def test_curating_a_missing_bank(runner, tmp_path):
    one_line_error(
        run(runner, "pin", "高度重视", "--db", tmp_path / "none.sqlite"), "no phrase bank"
    )


def test_a_damaged_sidecar_is_never_overwritten(runner, corpus, bank_copy):
    side = sidecar(bank_copy)
    side.write_text('{"entries": [', encoding="utf-8")
    before = bank_copy.read_bytes()
    one_line_error(run(runner, "pin", "高度重视", "--db", bank_copy), "cannot read curation file")
    one_line_error(run(runner, "build", corpus, "--db", bank_copy), "cannot read curation file")
    assert side.read_text(encoding="utf-8") == '{"entries": ['
    assert bank_copy.read_bytes() == before


def test_sidecar_edited_by_hand_is_applied_by_the_next_build(runner, corpus, tmp_path):
    bank = tmp_path / "bank.sqlite"
    entries = [{"text": "狠抓落实", "pinned": True}, {"text": "统一 思想", "banned": True}]
    sidecar(bank).write_text(json.dumps({"phraser_curation": 1, "entries": entries}), "utf-8")
    ok(run(runner, "build", corpus, "--db", bank))
    assert [r[:4] for r in curation_table(bank)] == [
        ("狠抓落实", "phrase", 1, 0),
        ("统一思想", "phrase", 0, 1),
    ]


def test_curation_of_a_copied_bank_stays_with_the_original(runner, curated, tmp_path):
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(curated, copy)
    ok(run(runner, "unban", "齐抓共管", "--db", copy))  # the copy's own sidecar
    assert sidecar(copy).exists()
    assert ("齐抓共管", "phrase", 0, 1, 0, None) in curation_table(curated)


def _ranks_follow_scores(bank) -> bool:
    with sqlite3.connect(bank) as conn:
        for table in ("phrases", "templates"):
            ranks = [r for (r,) in conn.execute(f"select rank from {table} order by score, id")]
            if ranks != list(range(len(ranks))):
                return False
    return True


def test_added_and_removed_phrases_keep_the_ranks_in_step(runner, bank_copy):
    """A query reads an entry's percentile from its rank, so the ranks are renumbered
    whenever a phrase comes or goes."""
    from phraser.bank import Bank
    from phraser.index import Index

    assert _ranks_follow_scores(bank_copy)
    ok(run(runner, "add-phrase", "形式主义", "--db", bank_copy))
    assert _ranks_follow_scores(bank_copy)
    lazy = Index.load(Bank(bank_copy))
    full = Index.load(Bank(bank_copy), read_all=True)
    assert lazy.phrases["形式主义"] == full.phrases["形式主义"]
    assert lazy.phrases["狠抓落实"] == full.phrases["狠抓落实"]
    ok(run(runner, "remove-phrase", "形式主义", "--db", bank_copy))
    assert _ranks_follow_scores(bank_copy)
