"""The index reads phrases and templates from the bank as queries ask for them; with
`read_all` (or a tag filter) it loads them all first. Both must answer alike."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from cli import cli
from phraser.bank import Bank
from phraser.index import Index, Phrases
from phraser.suggest import Suggester

QUERIES = (
    "各级各部门要高度重视安全生产",
    "狠抓落失",
    "以项目建设作为抓手",
    "各司其职",
    "领导要加强",
    "非常重视安全生产",
    "大家一起出主意想办法",
    "要坚持以人为奔，统一思相",
    "推动经济社会又好又快发展，不断提高人民生活水平",
)


@pytest.fixture(scope="module")
def banned_bank(bundled_bank, tmp_path_factory):
    """The bundled bank with a phrase of the vocabulary and a template banned."""
    path = tmp_path_factory.mktemp("banned") / "bank.sqlite"
    shutil.copy(bundled_bank, path)
    for text in ("高度重视", "以……为抓手"):
        result = CliRunner().invoke(cli, ["ban", text, "--db", str(path)])
        assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("which", ["bundled_bank", "banned_bank"])
def test_reading_as_asked_answers_as_reading_everything(request, which):
    bank = request.getfixturevalue(which)
    lazy = Index.load(Bank(bank))
    full = Index.load(Bank(bank), read_all=True)
    assert isinstance(lazy.phrases, Phrases) and isinstance(full.phrases, dict)
    assert lazy.lengths == full.lengths
    assert [e.text for e in lazy.vocabulary] == [e.text for e in full.vocabulary]
    for query in QUERIES:
        a = Suggester(lazy).suggest(query, top=10)
        b = Suggester(full).suggest(query, top=10)
        assert [s.to_dict() for s in a] == [s.to_dict() for s in b], query


def test_phrases_reads_entries_as_the_full_load_makes_them(banned_bank):
    lazy = Index.load(Bank(banned_bank))
    full = Index.load(Bank(banned_bank), read_all=True)
    assert "高度重视" not in lazy.phrases and "高度重视" not in full.phrases
    assert lazy.phrases.get("没有这个词组") is None
    with pytest.raises(KeyError):
        lazy.phrases["没有这个词组"]
    for text in ("狠抓落实", "安全生产", "各级各部门"):
        assert lazy.phrases[text] == full.phrases[text]
        assert lazy.text_of(full.phrases[text].id) == text
    assert list(lazy.phrases) == list(full.phrases)
    assert len(lazy.phrases) == len(full.phrases)
    prefixes = {"以", "要", "各级"}
    assert lazy.templates_with_prefix(prefixes) == full.templates_with_prefix(prefixes)
    assert all(t.text != "以……为抓手" for t in lazy.templates_with_prefix(prefixes))


def test_slip_tables_over_everything_answer_as_the_tables_near_each_query(bundled_bank):
    """After many queries (a long draft under `check`) the slip tables are built once over
    the whole vocabulary instead of per query; answers stay the same."""
    near = Index.load(Bank(bundled_bank))
    everything = Index.load(Bank(bundled_bank))
    everything._keyed = len(everything.ranked_texts)  # as if a long draft had been read
    for query in QUERIES:
        a = Suggester(near).suggest(query, top=10)
        b = Suggester(everything).suggest(query, top=10)
        assert [s.to_dict() for s in a] == [s.to_dict() for s in b], query
    assert everything._all_slips is not None and near._all_slips is None


def test_the_vocabulary_follows_phrases_added_and_taken_back(bundled_bank, tmp_path):
    """The vocabulary is read from one row the bank rewrites whenever phrases change."""
    path = tmp_path / "bank.sqlite"
    shutil.copy(bundled_bank, path)
    runner = CliRunner()
    added = runner.invoke(cli, ["add-phrase", "守正创新行稳致远", "--db", str(path)])
    assert added.exit_code == 0, added.output
    lazy, full = Index.load(Bank(path)), Index.load(Bank(path), read_all=True)
    assert "守正创新行稳致远" in lazy.ranked_texts
    assert lazy.ranked_texts == [e.text for e in full.vocabulary]
    assert lazy.ranked_words == [" ".join(e.words) for e in full.vocabulary]
    taken = runner.invoke(cli, ["remove-phrase", "守正创新行稳致远", "--db", str(path)])
    assert taken.exit_code == 0, taken.output
    assert "守正创新行稳致远" not in Index.load(Bank(path)).ranked_texts
