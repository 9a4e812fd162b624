"""Mining on small hand-made corpora: what must be found, and what must not."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from phraser.corpus import spool
from phraser.mine import MineParams, Miner, dispersion, mine

CORPUS = {
    "a.txt": (
        "各级党委要高度重视安全生产工作，狠抓落实，齐抓共管。\n"
        "我们必须高度重视环境保护，统一思想、提高认识，狠抓落实。\n"
        "坚持以科学发展观为指导，以改革创新为动力。\n"
    ),
    "b.txt": (
        "全市上下要高度重视民生工作，统一思想、提高认识，齐抓共管。\n"
        "各部门要以党的二十大精神为指导，狠抓落实、上下联动，形成合力。\n"
        "开创质量工作新局面，开创文化事业新局面，开创环保工作新局面。\n"
        "干部要以人民利益为指导，扎实工作。\n"
    ),
}


#: CORPUS and a third document of it reversed: n-grams across a chunk's edge.
LEVELS_CORPUS = dict(CORPUS, **{"c.txt": CORPUS["a.txt"][::-1] + CORPUS["b.txt"]})


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def _mine(tmp_path: Path, files: dict[str, str], **params):
    with spool([_write(tmp_path, files)]) as sp:
        return mine(sp, MineParams(**params))


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return _mine(tmp_path_factory.mktemp("corpus"), CORPUS)


def test_repeated_phrases_are_found(result):
    texts = {p.text for p in result.phrases}
    assert {"高度重视", "狠抓落实", "齐抓共管", "统一思想", "提高认识"} <= texts


def test_fragments_are_not_phrases(result):
    texts = {p.text for p in result.phrases}
    # Pieces of 高度重视, or glued to a function word, are not phrases.
    for fragment in ("高度重", "度重视", "要高度重视", "重视安全", "抓落实"):
        assert fragment not in texts


def test_template_with_three_fillers(result):
    templates = {t.text: t for t in result.templates}
    assert "开创……新局面" in templates
    assert set(templates["开创……新局面"].fillers) == {"质量工作", "文化事业", "环保工作"}
    assert "以……为指导" in templates
    assert len(templates["以……为指导"].fillers) == 3


def test_template_examples_are_occurrences(result):
    for t in result.templates:
        assert t.examples
        for ex in t.examples:
            line = ex.sentence
            assert re.search(f"{t.prefix}.{{2,15}}{t.suffix}", line), (t.text, line)


def test_template_keeps_its_most_frequent_fillers(tmp_path, monkeypatch):
    import phraser.mine

    monkeypatch.setattr(phraser.mine, "MAX_FILLERS", 3)
    rare = "".join(f"开创{w}新局面。" for w in ("质量建设", "文化事业", "环保工作"))
    common = "".join(f"开创{w}新局面。" for w in ("科技创新", "教育改革", "卫生服务")) * 2
    r = _mine(tmp_path, {"a.txt": rare + common})
    t = next(t for t in r.templates if t.text == "开创……新局面")
    assert dict(t.fillers) == {"科技创新": 2, "教育改革": 2, "卫生服务": 2}


def test_companion_pair(result):
    pairs = {(p.a, p.b): p for p in result.pairs}
    assert ("统一思想", "提高认识") in pairs
    assert pairs[("统一思想", "提高认识")].count == 2


def test_once_seen_parallel_item_becomes_phrase(result):
    # 上下联动 occurs once, but beside the bank phrase 狠抓落实 in a list.
    texts = {p.text: p for p in result.phrases}
    assert "上下联动" in texts
    assert texts["上下联动"].source == "list"
    assert any({p.a, p.b} == {"狠抓落实", "上下联动"} for p in result.pairs)


def test_every_entry_has_examples_with_positions(result):
    p = next(p for p in result.phrases if p.text == "齐抓共管")
    assert p.examples
    ex = p.examples[0]
    assert "齐抓共管" in ex.sentence
    assert ex.line >= 1 and ex.col >= 1


def test_phrases_may_start_with_a_numeral_list_items_may_not(tmp_path):
    """一视同仁 and 四个意识 are stock phrases; 一是加强 opens a list item, 一些地方 a noun
    phrase, 五年来 a span of time (every n-gram opening with 一…十 used to be dropped)."""
    lefts = ("各级政府要", "我们必须", "全市上下", "党员干部应当", "各部门要")
    rights = ("，推动工作落实。", "，确保取得实效。", "，开创工作新局面。", "，狠抓落实。")
    body = "".join(
        f"{lefts[k % 5]}{phrase}{rights[(k * 3 + j) % 4]}"
        for k in range(5)
        for j, phrase in enumerate(("一视同仁", "四个意识"))
    )
    items = ("管理", "监督", "服务", "建设")
    body += "".join(f"一是加强{x}，一些地方{x}，五年来{x}。" for x in items)
    texts = {p.text for p in _mine(tmp_path, {"a.txt": body}).phrases}
    assert {"一视同仁", "四个意识"} <= texts
    assert not {t for t in texts if t.startswith(("一是", "一些", "五年"))}


def test_set_phrases_a_dictionary_lists_are_kept_on_few_counts(tmp_path):
    """Twice, both times before 的, 义不容辞 fails the entropy test; 劳民伤财 always after
    搞 looks like a fragment of 搞劳民伤财. The idiom dictionary vouches for both; a
    phrase no dictionary lists (推动改革, twice before 的 too) needs its statistics."""
    body = (
        "各级干部义不容辞的责任是服务群众。党员义不容辞的使命是推进管理。"
        "不能搞劳民伤财的工程。坚决反对搞劳民伤财，推进管理。决不搞劳民伤财，推进管理。"
        "党员推动改革的责任。干部推动改革的使命。"
    )
    texts = {p.text for p in _mine(tmp_path, {"a.txt": body}).phrases}
    assert {"义不容辞", "劳民伤财"} <= texts
    assert "推动改革" not in texts


def test_min_count_option(tmp_path):
    r = _mine(tmp_path, CORPUS, min_count=3)
    texts = {p.text for p in r.phrases if p.source == "mined"}
    assert "高度重视" in texts  # three times
    assert "统一思想" not in texts  # twice


def test_dispersion_prefers_spread_items():
    assert dispersion(10, 10, 100) == pytest.approx(1.0, abs=0.05)
    assert dispersion(10, 2, 100) < 0.3
    assert dispersion(5, 1, 1) == 1.0


def _brute_counts(clauses: list[str], n: int) -> Counter:
    return Counter(c[i : i + n] for c in clauses for i in range(len(c) - n + 1))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="甲乙丙丁戊", min_size=1, max_size=12), min_size=1, max_size=8))
def test_level_counts_match_brute_force(tmp_path_factory, clauses):
    """Apriori pruning never loses a frequent n-gram; counts equal a brute-force count."""
    folder = tmp_path_factory.mktemp("h")
    (folder / "x.txt").write_text("\n".join(clauses), encoding="utf-8")
    with spool([folder]) as sp:
        m = Miner(sp, MineParams(min_count=2, max_len=5))
        m.count_levels()
    counted = dict(m.frequent())
    for n in range(1, 6):
        brute = _brute_counts(clauses, n)
        for gram, count in brute.items():
            if count >= 2:
                assert counted[gram] == count
                assert m.counts_of([gram]) == [count]
        for gram in (g for g in counted if len(g) == n and n > 1):
            assert brute[gram] == counted[gram]


def test_neighbour_entropy(tmp_path):
    (tmp_path / "x.txt").write_text("甲乙丙\n丁乙丙\n戊乙丙\n甲乙丙", encoding="utf-8")
    with spool([tmp_path]) as sp:
        m = Miner(sp, MineParams(min_count=2, max_len=3))
        m.count_levels()
    # left neighbours of 乙丙: 甲 ×2, 丁, 戊 → entropy of (2,1,1)/4
    expected = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert m.left["乙丙"] == pytest.approx(expected)
    # right of 乙丙 is always the clause end: four distinct boundaries
    assert m.right["乙丙"] == pytest.approx(math.log(4))


def _levels(m: Miner):
    return list(m.frequent()), list(m.left.items()), list(m.right.items()), m.han_chars


@pytest.mark.parametrize("params", [MineParams(), MineParams(min_count=3, max_len=6)])
def test_levels_equal_the_reference_on_real_text(tmp_path, params):
    """Hashed chunks count what the dense ids over the whole corpus counted: every count
    and entropy equal to the last bit, in the same order (later stages iterate the dicts)."""
    from levels_reference import reference_levels

    body = (REPO / "corpus" / "speeches.txt").read_text(encoding="utf-8")[:120_000]
    (tmp_path / "a.txt").write_text(body, encoding="utf-8")
    with spool([tmp_path]) as sp:
        m = Miner(sp, params)
        m.count_levels()
        counts, left, right, han_chars = reference_levels(sp, params)
    assert len(counts) > 10_000 and len(left) > 1_000 and len(right) > 1_000
    assert _levels(m) == (list(counts.items()), list(left.items()), list(right.items()), han_chars)


@pytest.mark.parametrize("params", [MineParams(), MineParams(min_count=3)])
def test_template_pieces_follow_their_definition(tmp_path, params):
    """The pieces are chosen with the entropies, numpy narrowing the field: they must be
    exactly those a pass over every kept entropy picks by the definition, in Python."""
    from phraser.mine import BAD_END, BAD_START, HEAD_ENTROPY, ORDINALS, TAIL_ENTROPY, segment

    body = (REPO / "corpus" / "speeches.txt").read_text(encoding="utf-8")[:120_000]
    (tmp_path / "a.txt").write_text(body, encoding="utf-8")
    with spool([tmp_path]) as sp:
        m = Miner(sp, params)
        m.count_levels()
    counts = dict(m.frequent())
    least = max(3, params.min_count)
    starts_ok = BAD_START - set("为以把对将从向与在")
    heads = {
        g
        for g, right in m.right.items()
        if counts[g] >= least and g[0] not in ORDINALS and len(g) <= 2
        and g[-1] not in "的了着" and right / math.log(counts[g]) >= HEAD_ENTROPY
    }  # fmt: skip
    tails = {
        g
        for g, left in m.left.items()
        if counts[g] >= least and g[0] not in ORDINALS and 2 <= len(g) <= 6
        and g[0] not in starts_ok and left / math.log(counts[g]) >= TAIL_ENTROPY
    }  # fmt: skip
    tails -= {g for g in tails if g[-1] in BAD_END and len(segment(g)[-1]) == 1}
    assert len(heads) > 20 and len(tails) > 200
    assert m.template_pieces() == (heads, tails)
    assert m.heads == {h: counts[h] for h in m.heads}  # with their counts


def test_pmis_by_hash_are_the_floats_pmi_gives(tmp_path):
    """Candidates take their PMI from `pmis` (pieces' counts looked up by hash, one log
    per n-gram): the very floats `pmi` gives from the count dict, for every n-gram."""
    files = dict(CORPUS, **{"c.txt": CORPUS["a.txt"][::-1] + CORPUS["b.txt"]})
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    with spool([tmp_path]) as sp:
        m = Miner(sp, MineParams())
        m.count_levels()
    grams = [g for g, _count in m.frequent() if len(g) >= 2]
    assert len(grams) > 200 and len({len(g) for g in grams}) >= 6
    assert m.pmis(grams) == [m.pmi(g) for g in grams]


def test_levels_in_chunks_change_nothing(tmp_path, monkeypatch):
    """The Han text is read in chunks of LEVEL_CHARS; n-grams across a chunk's edge, and
    counts merged over many chunks, by one thread or two, come out as from one chunk."""
    import phraser.mine

    with spool([_write(tmp_path, LEVELS_CORPUS)]) as sp:
        whole = Miner(sp, MineParams(max_len=6))
        whole.count_levels()
        for size in (1, 7, 50):
            monkeypatch.setattr(phraser.mine, "LEVEL_CHARS", size)
            for workers in (1, 2):
                chunked = Miner(sp, MineParams(max_len=6), workers=workers)
                chunked.count_levels()
                assert _levels(chunked) == _levels(whole), (size, workers)
    assert len(list(whole.frequent())) > 100 and whole.left and whole.right


def test_levels_by_argsort_where_keys_do_not_pack(tmp_path, monkeypatch):
    """The levels sort n-gram keys with their row numbers packed below them; keys too
    wide to pack (a level below of millions on a huge corpus) are sorted by `argsort`
    instead, and the levels come out the same, in chunks or not."""
    import phraser.mine

    with spool([_write(tmp_path, LEVELS_CORPUS)]) as sp:
        packed = Miner(sp, MineParams(max_len=6))
        packed.count_levels()
        monkeypatch.setattr(phraser.mine, "_key_bits", lambda below: 63)
        monkeypatch.setattr(phraser.mine, "LEVEL_CHARS", 7)
        wide = Miner(sp, MineParams(max_len=6), workers=2)
        wide.count_levels()
    assert _levels(wide) == _levels(packed)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), max_size=300),
    st.sampled_from([6, 64]),
    st.booleans(),
    st.booleans(),
)
def test_distinct_and_sorted_by_packing_agree_with_numpy(values, bits, runs, weighted):
    """`_sorted` (row numbers packed below keys of `bits` bits, or `argsort` when 64) and
    `_distinct` against numpy's own sort and unique, in sorted runs or not."""
    import numpy as np

    from phraser.mine import _distinct, _sorted

    keys = np.array(values, dtype=np.uint64)
    if runs:  # merged chunks: increasing runs one after the other
        keys = np.concatenate([np.sort(keys[: len(keys) // 2]), np.sort(keys[len(keys) // 2 :])])
    order, ordered = _sorted(keys, bits, runs)
    assert sorted(order.tolist()) == list(range(len(keys)))
    assert (keys[order] == np.sort(keys)).all() and (ordered == np.sort(keys)).all()
    weights = np.arange(len(keys), dtype=np.int64) * 3 + 1 if weighted else None
    at, count = _distinct(keys, bits, weights, runs)
    unique = np.unique(keys)
    assert (keys[at] == unique).all()
    expected = [
        int((weights[keys == u] if weighted else (keys == u)).sum()) for u in unique.tolist()
    ]
    assert count.tolist() == expected


def test_gram_keys_tell_n_grams_apart():
    """A key stands for one n-gram: its head's index and last character, or (head not
    frequent) its tail's index and first character; the two kinds never meet."""
    import numpy as np

    from phraser.mine import _gram_keys, _key_bits

    below = 5
    grams = [  # (first, last, head, tail)
        (first, last, head, tail)
        for first in (1, 2, 0xFFFF)
        for last in (1, 3, 0xFFFF)
        for head in (-1, 0, 4)
        for tail in (-1, 0, 4)
        if head >= 0 or tail >= 0
    ]
    cols = [np.array(c) for c in zip(*grams, strict=True)]
    cols[0], cols[1] = cols[0].astype(np.uint16), cols[1].astype(np.uint16)
    cols[2], cols[3] = cols[2].astype(np.int32), cols[3].astype(np.int32)
    bits = _key_bits(below)
    keys = _gram_keys(*cols, bits).tolist()
    assert max(keys) < 2**bits
    same = {  # what identifies an n-gram by its key
        (f, la, h, t): ("head", h, la) if h >= 0 else ("tail", t, f) for f, la, h, t in grams
    }
    for a, ka in zip(grams, keys, strict=True):
        for b, kb in zip(grams, keys, strict=True):
            assert (ka == kb) == (same[a] == same[b])


def test_hash_index_finds_each_hash():
    import numpy as np

    from phraser.scan import HashIndex

    rng = np.random.default_rng(7)
    hashes = np.unique(rng.integers(0, 2**63, 5000, dtype=np.uint64))
    hashes = np.concatenate(([0, 1, 2], hashes[hashes > 2])).astype(np.uint64)
    rng.shuffle(hashes)
    index = HashIndex(hashes)
    assert (index.find(hashes) == np.arange(len(hashes))).all()
    absent = rng.integers(2**63, 2**64 - 1, 1000, dtype=np.uint64)
    assert (index.find(absent) == -1).all()
    assert (HashIndex(np.zeros(0, np.uint64)).find(hashes) == -1).all()


def test_fast_segmenter_cuts_exactly_as_jieba():
    """jieba-rs is used for speed only: on real text its words must be jieba's."""
    pytest.importorskip("rjieba")
    from phraser.mine import segment, tokenizer

    body = (REPO / "corpus" / "speeches.txt").read_text(encoding="utf-8")[:20000]
    for clause in re.findall(r"[\u4e00-\u9fff]+", body):
        assert segment(clause) == tokenizer().lcut(clause, HMM=False)


def _entries(r):
    def ex(items):
        return [(e.doc, e.line, e.col, e.sentence) for e in items]

    return (
        [
            (p.text, p.count, p.doc_count, p.block_count, p.score, p.in_docs, ex(p.examples))
            for p in r.phrases
        ],
        [
            (t.text, t.count, dict(t.fillers), t.score, t.in_docs, ex(t.examples))
            for t in r.templates
        ],
        [(x.a, x.b, x.count, x.score, ex(x.examples)) for x in r.pairs],
    )


def test_scanning_in_runs_changes_nothing(tmp_path, monkeypatch):
    """Documents are scanned in runs of SCAN_CHARS; one run or one per document, in one
    process or two, the result is the same, entry by entry."""
    import phraser.mine

    files = dict(CORPUS, **{"c.txt": CORPUS["a.txt"][::-1] + CORPUS["b.txt"]})
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    whole = _mine(tmp_path / "one", files)
    monkeypatch.setattr(phraser.mine, "SCAN_CHARS", 50)  # each document a run of its own
    runs = _mine(tmp_path / "many", files)
    with spool([tmp_path / "many"]) as sp:
        shared = mine(sp, MineParams(), workers=2)  # runs measured by two forked workers
    assert whole.templates and whole.pairs
    assert _entries(runs) == _entries(whole)
    assert _entries(shared) == _entries(whole)


def test_the_phrases_are_told_before_the_examples_pass(tmp_path):
    """A build starts the phrases' pinyin while the miner still collects examples: what it
    is told must be exactly the phrases mined."""
    for name, body in CORPUS.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    told: list[list[str]] = []
    with spool([tmp_path]) as sp:
        result = mine(sp, MineParams(), on_phrases=told.append)
    assert len(told) == 1
    assert sorted(told[0]) == sorted(st.text for st in result.phrases)
    assert any(st.source == "list" for st in result.phrases)  # added after the stats pass


def test_several_workers_get_runs_of_about_a_share(tmp_path, monkeypatch):
    """One worker scans runs of up to SCAN_CHARS; several get runs of about a quarter
    share each, so the last runs do not leave a core idle, in corpus order."""
    import phraser.mine

    monkeypatch.setattr(phraser.mine, "MIN_RUN_CHARS", 1)
    for i in range(8):
        (tmp_path / f"{i}.txt").write_text(CORPUS["a.txt"] + "通知" * i, encoding="utf-8")
    with spool([tmp_path]) as sp:
        assert len(Miner(sp, MineParams(), workers=1)._runs()) == 1
        runs = Miner(sp, MineParams(), workers=2)._runs()
        assert len(runs) >= 4
        assert [k for ks, _offset in runs for k in ks] == list(range(8))
        offsets = [offset for _ks, offset in runs]
        assert offsets == sorted(offsets) and offsets[0] == 0


def test_words_cut_ahead_are_the_scans_own(tmp_path, monkeypatch):
    """With several workers a second process cuts every run's words while the candidates
    are picked: unpacked, they are the boundaries the scan would cut itself."""
    import numpy as np

    import phraser.mine
    from phraser.mine import cut_runs

    monkeypatch.setattr(phraser.mine, "MIN_RUN_CHARS", 1)
    for name, body in CORPUS.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    with spool([tmp_path]) as sp:
        miner = Miner(sp, MineParams(), workers=2)
        runs = miner._runs()
        assert len(runs) >= 2
        packed = cut_runs(sp, [ks for ks, _offset in runs])
        for run, bounds in zip(runs, packed, strict=True):
            ahead, own = miner._scan(run, bounds=bounds), miner._scan(run, cut=1)
            assert own.bound.any() and np.array_equal(ahead.bound, own.bound)


def test_default_workers_are_the_cores_within_bounds():
    from phraser.mine import MAX_WORKERS, default_workers

    assert 1 <= default_workers() <= MAX_WORKERS


def test_a_pairs_examples_are_the_lists_it_was_counted_in(tmp_path):
    """A companion pair's example sentences show the two side by side in a list (where
    the pair was counted), not any sentence that happens to hold both."""
    body = (
        "会议说统一思想和提高认识是大事。"  # both, not a list of them
        + "要统一思想、提高认识、加强领导。" * 3
        + "各地统一思想，提高认识，狠抓落实。" * 2
        + "加强领导、狠抓落实。" * 3
    )
    (tmp_path / "a.txt").write_text(body * 4, encoding="utf-8")
    with spool([tmp_path]) as sp:
        result = mine(sp, MineParams(min_count=2, min_pmi=0.0, min_entropy=0.0))
    pair = next(x for x in result.pairs if {x.a, x.b} == {"统一思想", "提高认识"})
    assert pair.examples
    for ex in pair.examples:
        assert any(sep in ex.sentence for sep in "、，,")
        assert pair.a in ex.sentence and pair.b in ex.sentence
    first = pair.examples[0]
    assert first.sentence.startswith("要统一思想")  # not the opening sentence
    assert (body * 4)[first.col - 1 :].startswith(pair.a)  # placed at its first phrase


def test_doc_counts_read_as_the_list_of_pairs_they_pack():
    """A phrase's documents are packed in one array; everything that reads them (the
    bank's entry_documents, document counts, equality across worker counts) sees pairs."""
    import pickle
    from array import array

    from phraser.mine import DocCounts

    pairs = [(0, 3), (4, 1), (9, 300)]
    packed = DocCounts(array("q", [n for pair in pairs for n in pair]))
    assert list(packed) == pairs and len(packed) == 3 and packed[-1] == (9, 300)
    assert packed == pairs and packed != pairs[:2]
    assert pickle.loads(pickle.dumps(packed)) == packed


def test_nothing_keeps_the_miner_alive_once_it_has_run(tmp_path):
    """A build turns the cycle collector off, so only reference counts free the mining
    state. Loading jieba from inside the run once left a cycle of frames linked to the
    run's own, which held a large build's whole mining state (4M objects) through the
    write and made the first collection after it take 3 s."""
    import gc
    import weakref

    import phraser.mine

    for name, body in CORPUS.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    phraser.mine.tokenizer.cache_clear()  # loaded during this run, as in a fresh build
    enabled = gc.isenabled()
    gc.disable()
    try:
        with spool([tmp_path]) as sp:
            miner = Miner(sp, MineParams())
            alive = weakref.ref(miner)
            result = miner.run()
            del miner
            assert alive() is None
    finally:
        if enabled:
            gc.enable()
    assert result.phrases


def test_a_forked_call_gives_its_result_or_its_error():
    """The templates are chosen in a forked process while the miner goes on: its result
    comes back whole, and its failure is raised here, not left hanging, even when the
    process dies outright (as when the system kills it for memory)."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from phraser.mine import _in_fork

    for fork in (False, True):
        with _in_fork(lambda: {"chosen": [1, 2, 3]}, fork) as result:
            assert result() == {"chosen": [1, 2, 3]}
        with pytest.raises(ZeroDivisionError), _in_fork(lambda: 1 // 0, fork) as result:
            result()
    with pytest.raises(BrokenProcessPool), _in_fork(lambda: os._exit(9), True) as result:
        result()
