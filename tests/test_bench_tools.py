"""bench/'s helpers run on a tiny corpus and say sensible things; nothing here is timed
(speed is measured by bench/bench.py only)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

import baseline  # noqa: E402
import huge  # noqa: E402
import queries  # noqa: E402


def test_baseline_counts_han_ngrams_and_suggests_from_them(small_corpus, tmp_path):
    db = tmp_path / "baseline.sqlite"
    figures = baseline.build([small_corpus], db)
    assert figures["documents"] == 4
    assert 0 < figures["entries"] < figures["distinct"]
    rows = dict(sqlite3.connect(db).execute("select gram, count from ngrams"))
    assert rows["狠抓落实"] >= 2 and rows["齐抓共管"] >= 2
    assert all(2 <= len(g) <= 8 and c >= 2 for g, c in rows.items())
    assert "，" not in "".join(rows)  # Han runs only
    choices = baseline.load(db)
    assert len(choices) == figures["entries"]
    hits = baseline.suggest("要狠抓落失", choices)
    assert len(hits) == 5 and hits[0][1] == 100.0
    assert all(choice in rows for choice, _ in hits)


def test_queries_are_seeded_mixed_and_drawn_from_the_corpus(small_corpus, monkeypatch):
    monkeypatch.setattr(queries, "DEV", Path("/nonexistent"))
    texts = queries.read_texts([small_corpus])
    rows = queries.generate([small_corpus], per_kind=4, seed=3)
    assert rows == queries.generate([small_corpus], per_kind=4, seed=3)
    kinds = {k for k, _ in rows}
    assert kinds <= set(queries.KINDS) and {"exact", "template", "companion"} <= kinds
    assert len({q for _, q in rows}) == len(rows)
    for kind, q in rows:
        assert q and "\t" not in q and "\n" not in q
        if kind == "exact":
            assert any(q in t for t in texts)


def test_tsv_reader_takes_kinds_or_plain_lines(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text("typo\t狠抓落失\n高度重视\n\n", encoding="utf-8")
    assert queries.read_tsv(path) == [("typo", "狠抓落失"), ("mixed", "高度重视")]


def test_committed_query_set_has_all_six_kinds():
    rows = queries.read_tsv(REPO / "bench" / "queries.tsv")
    assert len(rows) >= 1000
    counts = {k: sum(1 for kind, _ in rows if kind == k) for k in queries.KINDS}
    assert all(n >= 100 for n in counts.values()), counts


def test_huge_corpus_repeats_shuffled_items_into_distinct_files(small_corpus, tmp_path):
    made = huge.make_corpus(tmp_path / "huge", 3000, seed=1, source=small_corpus)
    files = sorted((tmp_path / "huge").glob("*.txt"))
    assert made["characters"] >= 3000 and made["repetitions"] >= 2 and len(files) >= 2
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert len(set(texts)) == len(texts)
    source = {line for f in small_corpus.glob("*.txt") for line in f.read_text().splitlines()}
    assert {line for t in texts for line in t.splitlines()} <= source
    again = huge.make_corpus(tmp_path / "again", 3000, seed=1, source=small_corpus)
    assert made["files"] == again["files"]
    assert texts == [f.read_text(encoding="utf-8") for f in sorted(Path(again["path"]).glob("*"))]


def test_bench_measures_a_bank_built_already(small_bank, capsys):
    import json

    import bench

    lines = REPO / "bench" / "queries.tsv"
    code = bench.main(
        ["--bank", str(small_bank), "--repeat", "1", "--cold-repeat", "1", "--json"]
        + ["--queries", str(lines)]
    )
    assert code == 0
    res = json.loads(capsys.readouterr().out)
    assert res["queries"] > 1000 and res["p50_ms"] > 0 and res["cold_s"]["runs"]
    assert res["unseen"]["p50_ms"] > 0  # the warm-up pass, each query seen the first time
    assert set(res["kinds"]) == {"exact", "typo", "variant", "template", "companion", "intent"}
