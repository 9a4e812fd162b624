"""Reading text: encodings, binary files, .docx, normalisation, sentence and clause offsets."""

from __future__ import annotations

import json
import random
import sqlite3
import unicodedata

import docx
import pytest
from conftest import spools
from hypothesis import given
from hypothesis import strategies as st

from cli import cli
from phraser import text as textmod

SAMPLE = "各级各部门要高度重视，狠抓落实。统一思想、提高认识，形成齐抓共管的格局。"

ENCODED = [
    ("utf-8", SAMPLE.encode("utf-8"), "utf-8"),
    ("utf-8 BOM", b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
    ("gbk", SAMPLE.encode("gbk"), "gb18030"),
    ("gb18030", (SAMPLE + "𠀀€").encode("gb18030"), "gb18030"),
    ("utf-16 LE BOM", SAMPLE.encode("utf-16"), "utf-16"),
    ("utf-16 BE BOM", ("\ufeff" + SAMPLE).encode("utf-16-be"), "utf-16"),
]


def png_bytes() -> bytes:
    rnd = random.Random(7)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rnd.randbytes(2000)


def random_bytes() -> bytes:
    data = bytearray(random.Random(11).randbytes(4096))
    data[100:110] = b"\x00" * 10
    return bytes(data)


# -- decoding ---------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "data", "encoding"), ENCODED, ids=[e[0] for e in ENCODED])
def test_decode_detects_encoding(label, data, encoding):
    text, found = textmod.decode(data)
    assert found == encoding
    expected = SAMPLE + ("𠀀€" if label == "gb18030" else "")
    assert text.lstrip("\ufeff") == expected


@pytest.mark.parametrize(("label", "data", "encoding"), ENCODED, ids=[e[0] for e in ENCODED])
def test_read_document_decodes_and_normalises(tmp_path, label, data, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(data)
    doc = textmod.read_document(path)
    assert doc.encoding == encoding
    assert not doc.text.startswith("\ufeff")
    assert doc.text.startswith("各级各部门要高度重视,狠抓落实。")  # ， folded to ,
    assert doc.name == "doc.txt"


@pytest.mark.parametrize("data", [png_bytes(), random_bytes()], ids=["png", "random+NUL"])
def test_binary_data_is_a_read_error(tmp_path, data):
    with pytest.raises(textmod.ReadError):
        textmod.decode(data)
    path = tmp_path / "blob.txt"
    path.write_bytes(data)
    with pytest.raises(textmod.ReadError, match="not UTF-8"):
        textmod.read_document(path)


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfeabc", b"\xef\xbb\xbf" + "高度重视".encode("gbk")],
    ids=["utf16-bom-odd-length", "utf8-bom-then-gbk"],
)
def test_bom_with_undecodable_body_is_a_read_error(data):
    with pytest.raises(textmod.ReadError):
        textmod.decode(data)


# -- builds over mixed folders --------------------------------------------------------


def _docx(path, paragraphs, cells):
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=len(cells))
    for i, c in enumerate(cells):
        table.cell(0, i).text = c
    document.save(str(path))


def test_build_mixed_encodings_skips_binary_with_warning(tmp_path, runner, spool_dir):
    corpus = tmp_path / "mixed"
    corpus.mkdir()
    line = "各级各部门要统一思想、提高认识、高度重视、狠抓落实，形成齐抓共管的格局。\n"
    other = "全社会要高度重视，狠抓落实，齐抓共管，统一思想，提高认识。\n"
    body = (line + other) * 3
    (corpus / "a_utf8.txt").write_text(body + "一", encoding="utf-8")
    (corpus / "b_bom.txt").write_bytes(b"\xef\xbb\xbf" + (body + "二").encode("utf-8"))
    (corpus / "c_gbk.txt").write_bytes((body + "三").encode("gbk"))
    (corpus / "d_utf16.txt").write_bytes((body + "四").encode("utf-16"))
    _docx(corpus / "e_word.docx", [line.strip(), other.strip()], ["高度重视", "狠抓落实"])
    (corpus / "f_image.txt").write_bytes(png_bytes())
    (corpus / "g_blob.txt").write_bytes(random_bytes())
    (corpus / "h_broken.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (corpus / "notes.pdf").write_bytes(b"%PDF-1.4 ignored by suffix")
    page = "".join(f"<p>{s}</p>" for s in (body + "五").splitlines())
    (corpus / "i_page.html").write_bytes(
        f"<html><head><title>通知</title><script>var a='高度重视'</script>"
        f"<style>p{{}}</style></head><body>{page}</body></html>".encode("gbk")
    )
    (corpus / "j_notes.md").write_text("# 通知\n\n" + body + "六", encoding="utf-8")
    db = tmp_path / "bank.sqlite"

    result = runner.invoke(cli, ["build", str(corpus), "--db", str(db), "--json"])

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 7
    assert summary["skipped"] == 3
    for name in ("f_image.txt", "g_blob.txt", "h_broken.docx"):
        assert any(
            "warning" in ln and "skipped" in ln and name in ln for ln in result.stderr.splitlines()
        ), result.stderr
    assert "notes.pdf" not in result.stderr
    with sqlite3.connect(db) as conn:
        encodings = dict(conn.execute("select name, encoding from documents"))
        count, docs = conn.execute(
            "select count, doc_count from phrases where text = '高度重视'"
        ).fetchone()
    assert encodings == {
        "a_utf8.txt": "utf-8",
        "b_bom.txt": "utf-8-sig",
        "c_gbk.txt": "gb18030",
        "d_utf16.txt": "utf-16",
        "e_word.docx": "docx",
        "i_page.html": "gb18030",
        "j_notes.md": "utf-8",
    }
    assert docs == 7
    # Six sentences in each text file, three in the .docx; a page's script is not text.
    assert count == 6 * 6 + 3
    assert spools(tmp_path) == []


def test_build_skips_file_with_bom_but_bad_body(tmp_path, runner, small_corpus, spool_dir):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for f in small_corpus.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    (corpus / "zz_broken.txt").write_bytes(b"\xff\xfeabc")
    db = tmp_path / "bank.sqlite"
    result = runner.invoke(cli, ["build", str(corpus), "--db", str(db)])
    leaked = spools(tmp_path)
    assert result.exit_code == 0
    assert "zz_broken.txt" in result.stderr
    assert db.exists()
    assert leaked == []


# -- .docx --------------------------------------------------------------------------------


def test_read_docx_paragraphs_and_table(tmp_path):
    path = tmp_path / "通知.docx"
    document = docx.Document()
    document.add_paragraph("各级各部门要高度重视（安全生产）。")
    document.add_paragraph("坚持以科学发展观为指导：狠抓落实")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "齐抓共管"
    table.cell(0, 1).text = "统一思想"
    table.cell(1, 0).text = "提高认识"
    table.cell(1, 1).text = "ＡＢＣ１２３"
    document.save(str(path))

    doc = textmod.read_document(path)

    assert doc.encoding == "docx"
    lines = doc.text.split("\n")
    assert lines[:2] == ["各级各部门要高度重视(安全生产)。", "坚持以科学发展观为指导:狠抓落实"]
    assert set(lines[2:]) == {"齐抓共管", "统一思想", "提高认识", "ABC123"}


def test_unreadable_docx_is_a_read_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(textmod.ReadError, match="docx"):
        textmod.read_document(path)


def test_read_docx_keeps_document_order(tmp_path):
    path = tmp_path / "order.docx"
    document = docx.Document()
    document.add_paragraph("第一段")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "表格"
    document.add_paragraph("第二段")
    document.save(str(path))
    assert textmod.read_docx(path).split("\n") == ["第一段", "表格", "第二段"]


def test_read_docx_merged_cell_read_once(tmp_path):
    path = tmp_path / "merged.docx"
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    table.cell(0, 0).text = "狠抓落实"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "齐抓共管"
    document.save(str(path))
    assert textmod.read_docx(path).count("齐抓共管") == 1


# -- normalisation ------------------------------------------------------------------------


def test_normalise_full_width_to_half_width():
    raw = "ＡＢＣ１２３，（一）：；！？\u3000x\u200by\ufeffz、。《》"
    assert textmod.normalise(raw) == "ABC123,(一):;!? xyz、。《》"


@given(
    st.text(
        st.one_of(
            st.characters(),  # any code point, combining marks and Hangul jamo included
            st.sampled_from(list("ＡＢ１，（\u0301\u0308\u1100\u1161\u11a8℃①…㎡\n\r")),
        ),
        max_size=40,
    )
)
def test_nfkc_is_unicodedata_nfkc(text):
    """The fast path (full-width replaced, then NFKC line by line) gives NFKC's string:
    Ａ + a combining accent still composes to Á, jamo still compose to a syllable."""
    assert textmod._nfkc(text) == unicodedata.normalize("NFKC", text)


def test_nfkc_folds_what_the_fast_path_leaves_to_nfkc():
    assert textmod._nfkc("Ａ\u0301，２℃\n甲①乙") == "Á,2°C\n甲1乙"


def test_normalise_line_endings():
    assert textmod.normalise("甲\r\n乙\r丙\n丁") == "甲\n乙\n丙\n丁"


def test_han_ratio():
    assert textmod.han_ratio("") == 0.0
    assert textmod.han_ratio("高度重视") == 1.0
    assert textmod.han_ratio("高度 ab") == 0.5


# -- sentences, clauses, list items ---------------------------------------------------


def test_sentence_offsets():
    body = "第一句。第二句！\n  第三句；第四\n\n末尾?还有"
    got = list(textmod.sentences(body))
    assert got == [
        (1, 1, "第一句"),
        (1, 5, "第二句"),
        (2, 1, "  第三句"),
        (2, 7, "第四"),
        (4, 1, "末尾"),
        (4, 4, "还有"),
    ]
    lines = body.split("\n")
    for line, col, sentence in got:
        assert lines[line - 1][col - 1 :].startswith(sentence)


def test_sentence_offsets_property_on_corpus():
    body = textmod.normalise(SAMPLE * 3 + "\n\n" + "以科学发展观为指导!推动发展;\n结尾")
    lines = body.split("\n")
    seen = 0
    for line, col, sentence in textmod.sentences(body):
        assert sentence
        assert lines[line - 1][col - 1 : col - 1 + len(sentence)] == sentence
        assert not textmod.SENTENCE_END.search(sentence)
        seen += 1
    assert seen == 9


def test_clause_offsets():
    sentence = "高度重视,狠抓落实2024年abc齐抓共管"
    got = textmod.clauses(sentence)
    assert got == [(0, "高度重视"), (5, "狠抓落实"), (13, "年"), (17, "齐抓共管")]
    for off, clause in got:
        assert sentence[off : off + len(clause)] == clause


def test_parallel_lists_split_on_every_separator_inside_sentences():
    text = textmod.normalise("统一思想、提高认识，高度重视；狠抓落实。一句话。 甲 、乙\n丙：丁")
    lists = list(textmod.parallel_lists(text))
    assert [[item for _at, item in items] for items in lists] == [
        ["统一思想", "提高认识", "高度重视"],  # ； ends a sentence
        ["甲", "乙"],  # stripped
        ["丙", "丁"],
    ]
    for items in lists:
        for at, item in items:
            assert text[at : at + len(item)] == item


def test_find_files_filters_suffixes_and_hidden(tmp_path):
    (tmp_path / "a.txt").write_text("甲", encoding="utf-8")
    (tmp_path / "b.MD").write_text("乙", encoding="utf-8")
    (tmp_path / "c.pdf").write_text("丙", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("丁", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.txt").write_text("戊", encoding="utf-8")
    named = tmp_path / "c.pdf"
    found = [p.name for p in textmod.find_files([tmp_path, named])]
    assert found == ["a.txt", "b.MD", "e.txt", "c.pdf"]
