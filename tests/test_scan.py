"""Scanning: every occurrence of many strings at once, checked against plain Python."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from phraser import text as textmod
from phraser.mine import segment
from phraser.scan import (
    Docs,
    KeyGroups,
    Needles,
    Scan,
    first_per_group,
    group_ranks,
    groups,
    string_hash,
)

ALPHABET = "甲乙丙丁戊，。\n a"


def _scan(bodies: list[str], block_chars: int = 7, workers: int = 1) -> Scan:
    starts = np.cumsum([0] + [len(b) + 1 for b in bodies[:-1]])
    docs = Docs(np.arange(len(bodies)), starts, np.arange(len(bodies)) * 100)
    scan = Scan(bodies, docs, block_chars)
    scan.cut(workers)
    return scan


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=ALPHABET, max_size=30), min_size=1, max_size=4),
    st.lists(st.text(alphabet="甲乙丙丁", min_size=1, max_size=4), min_size=1, max_size=6),
)
def test_find_matches_brute_force(bodies, sought):
    sought = list(dict.fromkeys(sought))
    scan = _scan(bodies)
    pos, ids = scan.find(Needles(sought))
    found = sorted(zip(pos.tolist(), [sought[i] for i in ids.tolist()], strict=True))
    expected = sorted(
        (i, s) for s in sought for i in range(len(scan.text)) if scan.text.startswith(s, i)
    )
    assert found == expected
    assert list(pos) == sorted(pos)
    pos, ids = scan.find(Needles(sought), whole=True)
    whole = [(i, s) for i, s in found if scan.bound[i] and scan.bound[i + len(s)]]
    assert sorted(zip(pos.tolist(), [sought[i] for i in ids.tolist()], strict=True)) == whole


def test_whole_finds_only_what_starts_and_ends_on_word_boundaries():
    scan = _scan(["要加强领导，强领导不是词。"])
    pos, ids = scan.find(Needles(["领导", "强领"]), whole=True)
    assert (pos.tolist(), ids.tolist()) == ([3, 7], [0, 0])


def test_window_hash_is_string_hash():
    scan = _scan(["加强领导，狠抓落实。"])
    pos = np.array([0, 2, 5])
    assert scan.hashes(pos, 2).tolist() == [string_hash(w) for w in ("加强", "领导", "狠抓")]


def test_word_bounds_are_jieba_cuts_of_each_run():
    bodies = ["各级党委要高度重视安全生产工作，狠抓落实。\n二〇二四年全面深化改革", "统一思想"]
    for workers in (1, 2):
        scan = _scan(bodies, workers=workers)
        expected = set()
        for m in textmod.HAN_RUN.finditer(scan.text):
            at = m.start()
            expected.add(at)
            for w in segment(m.group()):
                at += len(w)
                expected.add(at)
        assert set(np.flatnonzero(scan.bound).tolist()) == expected


def test_places_give_document_line_column_and_sentence():
    bodies = ["第一句。第二句在这里！\n第二行，有逗号。", "另一篇。"]
    scan = _scan(bodies)
    text = scan.text
    pos = np.array([text.index("在这里"), text.index("有逗号"), text.index("另一篇")])
    assert scan.places(pos) == [
        (0, 1, 8, "第二句在这里"),
        (0, 2, 5, "第二行，有逗号"),
        (1, 1, 1, "另一篇"),
    ]


def test_blocks_follow_the_sentence_start():
    scan = _scan(["一二三四五六七八。九十", "甲乙"], block_chars=5)
    pos = np.array([0, 7, 9, len("一二三四五六七八。九十") + 1])
    doc = scan.doc_of(pos)
    # A position's block is its sentence's (1-based start) over block_chars, after the
    # document's first block.
    assert scan.blocks(pos, doc).tolist() == [0, 0, 2, 100]


def test_groups_and_first_per_group():
    keys = np.array([3, 1, 3, 3, 1, 2])
    other = np.array([0, 0, 0, 1, 0, 0])
    first, size = groups(keys, other)
    assert first.tolist() == [0, 1, 3, 5]
    assert size.tolist() == [2, 2, 1, 1]
    assert first_per_group(keys, 2).tolist() == [0, 1, 2, 4, 5]
    assert group_ranks(keys).tolist() == [0, 0, 1, 2, 1, 0]
    assert group_ranks(keys[:0]).tolist() == []


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=40), st.integers(1, 3))
def test_key_groups_are_groups_in_key_order(rows, cap):
    """One sort by key serves every grouping by a column that never decreases along the
    rows: the same groups as `groups`, keys ascending, each key's groups in row order."""
    keys = np.array([k for k, _ in rows], dtype=np.int64)
    column = np.cumsum([step for _, step in rows]).astype(np.int64)  # never decreases
    by = KeyGroups(keys)

    def rows_of(first: np.ndarray, size: np.ndarray) -> list[tuple[int, int, int]]:
        return list(zip(keys[first].tolist(), first.tolist(), size.tolist(), strict=True))

    for cols in ((keys,), (keys, column)):
        assert rows_of(*by.groups(*cols[1:])) == sorted(rows_of(*groups(*cols)))
    first, _ = groups(keys, column)
    capped = first[first_per_group(keys[first], cap)]
    assert sorted(by.firsts(column, cap).tolist()) == sorted(capped.tolist())


def test_needles_hash_like_strings():
    needles = Needles(["加强领导", "狠抓落实", "以", "高度重视"])
    hashes, _index, ids = needles.lengths[4]
    assert sorted(hashes.tolist()) == sorted(
        string_hash(s) for s in ("加强领导", "狠抓落实", "高度重视")
    )
    assert {needles.strings[i] for i in ids.tolist()} == {"加强领导", "狠抓落实", "高度重视"}


def test_a_string_sought_twice_is_found_as_its_first():
    scan = _scan(["甲乙丙甲乙"])
    pos, ids = scan.find(Needles(["乙丙", "甲乙", "乙丙", "甲乙"]))
    assert list(zip(pos.tolist(), ids.tolist(), strict=True)) == [(0, 1), (1, 0), (3, 1)]
