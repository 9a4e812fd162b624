"""Shared fixtures: a small hand-made corpus, banks built from it and from the bundled corpus.

Banks are built once per session with the real pipeline (no mocks) and must be treated
as read-only by tests; a test that changes a bank copies it first (`bank_copy`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from phraser.build import build
from phraser.corpus import BUNDLED_CORPUS

REPO = Path(__file__).resolve().parent.parent

#: Four short notices full of stock phrases, listed with 、 and ，, and the template
#: 以……为指导 with seven different fillers.
SMALL_DOCS = {
    "01_安全生产.txt": """关于加强安全生产工作的通知
各级各部门要统一思想、提高认识、高度重视、狠抓落实，切实把安全生产工作摆上重要议程。
要坚持以马克思列宁主义为指导，坚持以毛泽东思想为指导，形成齐抓共管的工作格局。
各地区要高度重视，狠抓落实，建立齐抓共管的责任体系，确保各项措施落到实处。
党委政府要统一思想，提高认识，把安全生产作为头等大事来抓。
各单位必须高度重视安全隐患排查，真抓实干，求真务实，狠抓落实各项整改措施。
""",
    "02_乡村振兴.txt": """关于推进乡村振兴的意见
全党要以邓小平理论为指导，统一思想、提高认识、狠抓落实，扎实推进乡村振兴。
各级党委要高度重视农业农村工作，齐抓共管、真抓实干，确保政策落地见效。
要以科学发展观为指导，求真务实、开拓创新，推动农村改革不断深化。
我们必须统一思想，提高认识，高度重视粮食安全，狠抓落实耕地保护制度。
有关部门要密切配合、齐抓共管，形成工作合力，共同推进乡村建设。
""",
    "03_生态环境.txt": """关于加强生态环境保护的决定
各级政府要以习近平生态文明思想为指导，统一思想、提高认识、高度重视、狠抓落实。
全社会要齐抓共管，真抓实干，开拓创新，打好污染防治攻坚战。
各部门要高度重视环境风险，求真务实，狠抓落实整改责任，做到齐抓共管。
要以三个代表重要思想为指导，提高认识、统一思想，扎实推进生态文明建设。
领导干部要真抓实干、开拓创新、求真务实，努力开创工作新局面。
""",
    "04_作风建设.txt": """关于加强干部作风建设的通知
各级领导干部要统一思想、提高认识、高度重视、狠抓落实，切实转变工作作风。
要坚持以人民为中心，以改革创新精神为指导，真抓实干、求真务实。
党员干部要高度重视作风问题，齐抓共管，狠抓落实，坚决纠正形式主义。
各单位要统一思想，提高认识，开拓创新，真抓实干，推动各项工作落地见效。
纪检监察机关要高度重视群众反映的问题，狠抓落实，形成齐抓共管的良好局面。
""",
}

STOCK_PHRASES = ("高度重视", "狠抓落实", "齐抓共管", "统一思想", "提高认识")
TEMPLATE = "以……为指导"
FILLERS = (
    "马克思列宁主义",
    "毛泽东思想",
    "邓小平理论",
    "科学发展观",
    "习近平生态文明思想",
    "三个代表重要思想",
    "改革创新精神",
)


def write_corpus(folder: Path, docs: dict[str, str] = SMALL_DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in docs.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Never touch the user's bank: a forgotten --db lands in this test's tmp_path."""
    monkeypatch.setenv("PHRASER_DB", str(tmp_path / "unused-default" / "bank.sqlite"))
    monkeypatch.delenv("PHRASER_CORPUS", raising=False)


@pytest.fixture
def spool_dir(tmp_path, monkeypatch) -> Path:
    """A private temp dir for this test's build spools (the shared /tmp is left alone)."""
    path = tmp_path / "_tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def spools(folder: Path) -> list[Path]:
    """Build spool files left anywhere under `folder` (a build spools beside its bank)."""
    return sorted(folder.rglob(".spool-*"))


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("small-corpus"))


@pytest.fixture(scope="session")
def small_bank(small_corpus, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small-bank") / "bank.sqlite"
    build([small_corpus], path)
    return path


@pytest.fixture(scope="session")
def bundled_bank(tmp_path_factory) -> Path:
    corpus = BUNDLED_CORPUS
    if not (corpus / "speeches.txt").exists():
        pytest.skip("bundled corpus missing")
    path = tmp_path_factory.mktemp("bundled-bank") / "bank.sqlite"
    build([corpus], path)
    return path


@pytest.fixture
def bank_copy(small_bank, tmp_path) -> Path:
    """A private copy of the small bank that a test may change."""
    path = tmp_path / "copy" / "bank.sqlite"
    path.parent.mkdir()
    shutil.copyfile(small_bank, path)
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def sense_pack_matches_table(bank: Path) -> int:
    """Assert that `Bank.senses` (read from the pack) returns what the `senses` table
    holds, for every kind of lookup, all terms and absent ones, with and without a phrase
    filter, in the table's order. Returns the number of rows compared."""
    import sqlite3

    from phraser.bank import Bank

    parts = {"all": "part >= -2", "explained": "part >= -1", "context": "part = -2"}
    with sqlite3.connect(bank) as conn:
        terms = [t for (t,) in conn.execute("select distinct term from senses")]
        ids = [i for (i,) in conn.execute("select distinct phrase_id from senses")][::3]
        ids += [-1, 10**9]  # ids the pack does not hold
        compared = 0
        for synonym in (False, True):
            for name, where in parts.items():
                sql = (
                    "select term, phrase_id, weight, idf, part, width, synonym from senses "
                    f"where synonym = {int(synonym)} and {where} "
                    "order by term, synonym, part, phrase_id"
                )
                table = conn.execute(sql).fetchall()
                ask = terms + ["不在其中", "x"]
                assert Bank(bank).senses.lookup(ask, synonym=synonym, parts=name) == table
                kept = set(ids)
                filtered = [r for r in table if r[1] in kept]
                assert Bank(bank).senses.lookup(ask, ids, synonym=synonym, parts=name) == filtered
                assert Bank(bank).senses.lookup(ask[:1], [], synonym=synonym, parts=name) == []
                compared += len(table)
    return compared
