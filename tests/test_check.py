"""`phraser check`: findings with their positions, fixes that never touch the original."""

from __future__ import annotations

import json

import docx
import pytest
from conftest import SMALL_DOCS

from cli import cli
from phraser.bank import Bank
from phraser.check import Finding, apply_fixes, check_text
from phraser.index import Index

DRAFT = "各级各部门要高度重视，狠抓落失各项工作。\n有关部门要密切配合、齐抓公管，形成合力。\n"
FIXED = "各级各部门要高度重视，狠抓落实各项工作。\n有关部门要密切配合、齐抓共管，形成合力。\n"
HINTED = "全党要以邓小平理论作为指导，非常重视农业农村工作。\n"


@pytest.fixture(scope="module")
def index(small_bank) -> Index:
    return Index.load(Bank(small_bank))


def run(runner, *args, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], **kwargs)


# -- the library ------------------------------------------------------------------------


def test_typos_with_positions_and_fixes(index):
    typos = [f for f in check_text(DRAFT, index) if f.level == "typo"]
    assert [(f.line, f.col, f.offset, f.length, f.wrong, f.right) for f in typos] == [
        (1, 12, 11, 4, "狠抓落失", "狠抓落实"),
        (2, 11, 31, 4, "齐抓公管", "齐抓共管"),
    ]
    assert typos[0].match == "typo"
    assert typos[0].why == "失→实, pinyin shi"
    assert DRAFT[typos[1].offset : typos[1].offset + typos[1].length] == "齐抓公管"


def test_finding_to_dict_has_every_field(index):
    d = check_text(DRAFT, index)[0].to_dict()
    assert list(d) == ["line", "col", "offset", "length", "level", "match", "wrong", "right", "why"]
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d


@pytest.mark.parametrize("name", sorted(SMALL_DOCS))
def test_correct_text_has_no_typos(index, name):
    assert [f for f in check_text(SMALL_DOCS[name], index) if f.level == "typo"] == []


def test_hints_are_a_level_below_typos(index):
    found = check_text(HINTED, index)
    assert [(f.level, f.match, f.wrong, f.right) for f in found] == [
        ("hint", "template", "以邓小平理论作为指导", "以邓小平理论为指导"),
        ("hint", "variant", "非常重视", "高度重视"),
    ]
    assert "作为→为" in found[0].why


def test_findings_sorted_by_offset_one_per_place(index):
    found = check_text(DRAFT + HINTED, index)
    assert [f.offset for f in found] == sorted(f.offset for f in found)
    spans = [(f.offset, f.offset + f.length) for f in found]
    assert all(b <= c for (_, b), (c, _) in zip(spans, spans[1:], strict=False))


def test_apply_fixes_fixes_typos_only(index):
    found = check_text(DRAFT + HINTED, index)
    assert apply_fixes(DRAFT + HINTED, found) == FIXED + HINTED


def test_apply_fixes_skips_a_span_that_changed():
    stale = Finding(1, 1, 0, 4, "typo", "typo", "狠抓落失", "狠抓落实", "")
    assert apply_fixes("狠抓落实工作", [stale]) == "狠抓落实工作"


def test_crlf_and_empty_text(index):
    found = check_text(DRAFT.replace("\n", "\r\n"), index)
    assert [(f.line, f.col) for f in found] == [(1, 12), (2, 11)]
    assert check_text("", index) == []


# -- the command ----------------------------------------------------------------------


def test_cli_reports_typos_and_exits_1(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = run(runner, "check", draft, "--db", small_bank)
    assert result.exit_code == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{draft}:1:12: typo 狠抓落失 → 狠抓落实 (失→实, pinyin shi)",
        f"{draft}:2:11: typo 齐抓公管 → 齐抓共管 (公→共, pinyin gong)",
    ]
    assert "2 typos, 0 hints" in result.stderr
    assert "\x1b[" not in result.stdout  # no colour off a terminal


def test_cli_colour_when_forced(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = run(runner, "check", draft, "--db", small_bank, env={"FORCE_COLOR": "1"})
    assert result.exit_code == 1
    assert "\x1b[" in result.stdout


def test_cli_clean_exits_0_and_hints_do_not_fail(runner, small_bank, tmp_path):
    clean = tmp_path / "clean.txt"
    clean.write_text(SMALL_DOCS["01_安全生产.txt"] + HINTED, encoding="utf-8")
    result = run(runner, "check", clean, "--db", small_bank)
    assert result.exit_code == 0, result.stdout
    assert "hint 以邓小平理论作为指导 → 以邓小平理论为指导" in result.stdout
    assert "0 typos, 2 hints" in result.stderr


def test_cli_json(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = run(runner, "check", "--json", draft, "--db", small_bank)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["file"] == str(draft)
    assert [(f["line"], f["col"], f["right"]) for f in rows[0]["findings"]] == [
        (1, 12, "狠抓落实"),
        (2, 11, "齐抓共管"),
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "Missing argument"),
        (("--in-place", "-"), "--in-place needs a file"),
        (("-", "-"), "can be given once"),
        (("--bogus", "x.txt"), "No such option"),
    ],
)
def test_cli_bad_usage_exits_2(runner, small_bank, args, message):
    result = run(runner, "check", *args, "--db", small_bank)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_unreadable_file_exits_2_and_checks_the_rest(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    result = run(runner, "check", tmp_path / "missing.txt", binary, draft, "--db", small_bank)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert f"phraser: error: {tmp_path / 'missing.txt'}: " in result.stderr
    assert f"phraser: error: {binary}: " in result.stderr
    assert "狠抓落失 → 狠抓落实" in result.stdout


def test_cli_gbk_file_and_fix_keeps_gbk(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    original = DRAFT.encode("gbk")
    draft.write_bytes(original)
    result = run(runner, "check", "--fix", draft, "--db", small_bank)
    assert result.exit_code == 1
    assert f"{draft}:1:12: typo 狠抓落失 → 狠抓落实" in result.stdout
    fixed = tmp_path / "draft.fixed.txt"
    assert fixed.read_bytes() == FIXED.encode("gbk")
    assert draft.read_bytes() == original
    assert f"wrote {fixed} (2 fixes)" in result.stderr


def test_cli_fix_keeps_everything_but_the_typos(runner, small_bank, tmp_path):
    text = "# 通知\r\n\r\n" + DRAFT.replace("\n", "\r\n") + HINTED + "  末尾 ABC　１２３"
    draft = tmp_path / "notice.md"
    draft.write_bytes(text.encode("utf-8-sig"))
    result = run(runner, "check", "--fix", draft, "--db", small_bank)
    assert result.exit_code == 1
    expected = text.replace("狠抓落失", "狠抓落实").replace("齐抓公管", "齐抓共管")
    assert (tmp_path / "notice.fixed.md").read_bytes() == expected.encode("utf-8-sig")
    assert draft.read_bytes() == text.encode("utf-8-sig")


def test_cli_fix_with_nothing_to_fix_writes_nothing(runner, small_bank, tmp_path):
    clean = tmp_path / "clean.txt"
    clean.write_text(SMALL_DOCS["02_乡村振兴.txt"], encoding="utf-8")
    result = run(runner, "check", "--fix", clean, "--db", small_bank)
    assert result.exit_code == 0
    assert "nothing to fix" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.txt"]


def test_cli_in_place_keeps_a_backup(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    (tmp_path / "draft.txt.bak").write_text("an older backup", encoding="utf-8")
    result = run(runner, "check", "--in-place", draft, "--db", small_bank)
    assert result.exit_code == 1
    assert draft.read_text(encoding="utf-8") == FIXED
    assert (tmp_path / "draft.txt.bak").read_text(encoding="utf-8") == "an older backup"
    assert (tmp_path / "draft.txt.bak.1").read_text(encoding="utf-8") == DRAFT
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_stdin(runner, small_bank):
    result = run(runner, "check", "-", "--db", small_bank, input=DRAFT.encode("gbk"))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "-:1:12: typo 狠抓落失 → 狠抓落实 (失→实, pinyin shi)"


def test_cli_stdin_fix_prints_the_corrected_text(runner, small_bank):
    result = run(runner, "check", "--fix", "-", "--db", small_bank, input=DRAFT.encode("utf-8"))
    assert result.exit_code == 1
    assert result.stdout == FIXED
    assert "-:1:12: typo 狠抓落失 → 狠抓落实" in result.stderr


# -- .docx ----------------------------------------------------------------------------


def make_docx(path):
    """A title, a paragraph whose typo straddles a bold and a plain run, and a table."""
    document = docx.Document()
    document.add_heading("关于加强安全生产工作的通知", level=1)
    p = document.add_paragraph("各级各部门要高度重视，")
    p.add_run("狠抓落").bold = True
    p.add_run("失各项工作。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "有关部门"
    table.cell(0, 1).text = "密切配合、齐抓公管"
    document.save(str(path))


def test_docx_findings_and_fixed_copy_keep_formatting(runner, small_bank, tmp_path):
    draft = tmp_path / "讲话稿.docx"
    make_docx(draft)
    original = draft.read_bytes()
    result = run(runner, "check", "--fix", draft, "--db", small_bank)
    assert result.exit_code == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"{draft}:2:12: typo 狠抓落失 → 狠抓落实 (失→实, pinyin shi)",
        f"{draft}:4:6: typo 齐抓公管 → 齐抓共管 (公→共, pinyin gong)",
    ]
    assert draft.read_bytes() == original
    fixed = docx.Document(str(tmp_path / "讲话稿.fixed.docx"))
    runs = fixed.paragraphs[1].runs
    assert [(r.text, bool(r.bold)) for r in runs] == [
        ("各级各部门要高度重视，", False),
        ("狠抓落", True),
        ("实各项工作。", False),
    ]
    assert fixed.tables[0].cell(0, 1).text == "密切配合、齐抓共管"
    assert fixed.paragraphs[0].style.name == "Heading 1"
    again = run(runner, "check", tmp_path / "讲话稿.fixed.docx", "--db", small_bank)
    assert again.exit_code == 0 and again.stdout == ""


def test_docx_in_place(runner, small_bank, tmp_path):
    draft = tmp_path / "draft.docx"
    make_docx(draft)
    original = draft.read_bytes()
    result = run(runner, "check", "--in-place", "--json", draft, "--db", small_bank)
    assert result.exit_code == 1
    row = json.loads(result.stdout)
    assert row["backup"] == str(tmp_path / "draft.docx.bak")
    assert (tmp_path / "draft.docx.bak").read_bytes() == original
    assert "狠抓落实" in docx.Document(str(draft)).paragraphs[1].text


def test_damaged_docx_is_an_error_not_a_traceback(runner, small_bank, tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    result = run(runner, "check", bad, "--db", small_bank)
    assert result.exit_code == 2
    assert "not a readable .docx" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_cli_fix_keeps_utf16_and_its_byte_order(runner, small_bank, tmp_path, encoding):
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    draft = tmp_path / "draft.txt"
    draft.write_bytes(bom + DRAFT.encode(encoding))
    result = run(runner, "check", "--fix", draft, "--db", small_bank)
    assert result.exit_code == 1
    assert (tmp_path / "draft.fixed.txt").read_bytes() == bom + FIXED.encode(encoding)


def test_cli_stdin_fix_json_goes_to_stderr(runner, small_bank):
    args = ("check", "--fix", "--json", "-", "--db", small_bank)
    result = run(runner, *args, input=DRAFT.encode("utf-8"))
    assert result.exit_code == 1
    assert result.stdout == FIXED
    assert json.loads(result.stderr.splitlines()[0])["findings"][0]["right"] == "狠抓落实"
