"""Each matcher on a real bank built from the small corpus: what it finds and what it says."""

from __future__ import annotations

import pytest

from phraser.bank import Bank
from phraser.build import build
from phraser.index import Index
from phraser.suggest import Suggester


@pytest.fixture(scope="module")
def suggester(small_bank) -> Suggester:
    return Suggester(Index.load(Bank(small_bank)))


def _find(suggester: Suggester, query: str, text: str, top: int = 5):
    results = suggester.suggest(query, top=top)
    hit = next((s for s in results if s.text == text), None)
    assert hit is not None, [(s.text, s.match, s.why) for s in results]
    return hit


def test_typo_homophone_says_what_was_fixed(suggester):
    hit = _find(suggester, "各单位要狠抓落失", "狠抓落实")
    assert hit.match == "typo"
    assert "失→实" in hit.why and "shi" in hit.why
    assert hit.rewrite == "各单位要狠抓落实"


def test_typo_missing_and_doubled_character(suggester):
    assert _find(suggester, "齐抓管", "齐抓共管").why == "missing 共"
    assert "doubled" in _find(suggester, "齐抓共共管", "齐抓共管").why


def test_typo_is_not_flagged_inside_a_correct_phrase(suggester):
    results = suggester.suggest("各级各部门要高度重视，狠抓落实", top=10)
    assert not [s for s in results if s.match == "typo"]


def test_variant_reordered(suggester):
    hit = _find(suggester, "落实要狠抓", "狠抓落实")
    assert hit.match == "variant" and "reordered" in hit.why


def test_variant_spoken_intensifier(suggester):
    hit = _find(suggester, "非常重视粮食安全", "高度重视")
    assert hit.match == "variant"
    assert hit.rewrite == "高度重视粮食安全"


def test_template_with_connector_fix(suggester):
    hit = _find(suggester, "以新发展理念作为指导", "以……为指导")
    assert hit.match == "template" and "作为→为" in hit.why
    assert hit.rewrite == "以新发展理念为指导"


def test_companions_of_a_phrase_typed_whole(suggester):
    hit = _find(suggester, "统一思想", "提高认识")
    assert hit.match == "companion"


def test_traditional_characters_are_folded(suggester):
    assert _find(suggester, "統一思想", "提高认识").match == "companion"


def test_full_width_and_spaces_are_normalised(suggester):
    assert _find(suggester, "狠 抓 落 失", "狠抓落实").match == "typo"


def test_correct_text_raises_no_typos(suggester, small_corpus):
    """Every sentence of the corpus the bank was mined from is written right."""
    flagged = []
    for path in sorted(small_corpus.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            for sentence in filter(None, line.split("。")):
                typos = [s for s in suggester.suggest(sentence, top=10) if s.match == "typo"]
                if typos:
                    flagged.append((sentence, [(t.text, t.why) for t in typos]))
    assert flagged == []


def test_missing_character_in_a_clause_of_its_own(suggester):
    hit = _find(suggester, "狠抓实，确保各项措施落到实处", "狠抓落实")
    assert hit.why == "missing 落"


def test_variant_shuffled_set_phrase_longer_than_an_idiom(tmp_path):
    """又快又好地发展 holds every character of 又好又快发展, shuffled and padded."""
    folder = tmp_path / "c"
    folder.mkdir()
    lines = [
        f"{left}又好又快发展{right}"
        for left, right in [
            ("促进经济社会", "，是全市的头等大事。"),
            ("推动全县经济", "。"),
            ("实现", "具有十分重要的意义。"),
            ("努力保持", "的良好势头，"),
            ("为全市", "提供坚强保障。"),
        ]
    ]
    (folder / "a.txt").write_text("\n".join(lines), encoding="utf-8")
    bank = tmp_path / "bank.sqlite"
    build([folder], bank)
    results = Suggester(Index.load(Bank(bank))).suggest("推动全县经济又快又好地发展", top=5)
    hit = next((s for s in results if s.text == "又好又快发展"), None)
    assert hit is not None and hit.match == "variant", [(s.text, s.match) for s in results]
    assert hit.rewrite == "推动全县经济又好又快发展"


def _by_counting(index: Index, query: str, cut: int) -> list[str]:
    """Fuzzy's candidates counted posting by posting: the reference `_candidates` keeps to."""
    from collections import Counter

    seen: Counter = Counter()
    for ch in Counter(query):
        for e in index.vocabulary:
            if ch in e.text:
                seen[e.text] += 1
    return [
        text
        for text, shared in seen.most_common(cut)
        if len(text) >= 3 and shared >= len(set(text)) - 1
    ]


@pytest.fixture(scope="module")
def bundled_index(bundled_bank) -> Index:
    return Index.load(Bank(bundled_bank))


@pytest.mark.parametrize("cut", [5, 40, 1200])
@pytest.mark.parametrize(
    "query", ["各级各部门要高度重视安全生产", "推动经济社会又好又快发展，不断提高人民生活水平"]
)
def test_fuzzy_candidates_are_those_of_counting_every_posting(bundled_index, query, cut):
    from phraser.match.fuzzy import _candidates

    expected = _by_counting(bundled_index, query, cut)
    assert _candidates(bundled_index, bundled_index.overlap(query), cut) == expected
    assert len(expected) > 1 or cut == 5


def test_scattered_sees_every_phrase_holding_all_its_characters_but_one(bundled_index):
    from phraser.match.variant import SCATTERED_LENGTHS, _scattered, _spelled_span

    query = "要把各自的责任负起来，大家相互配合、密切协作"
    found = {s.text for s in _scattered(query, bundled_index, set())}
    chars = set(query)
    for e in bundled_index.vocabulary:
        held = len(set(e.text) & chars)
        if len(e.text) in SCATTERED_LENGTHS and held and held >= len(set(e.text)) - 1:
            if e.text not in query and e.text not in found:
                assert _spelled_span(query, e.text) is None, e.text


def _all_slips(index: Index, query: str):
    """`Index.slips` over the whole vocabulary: the tables typo read before they were cut
    down to the phrases near the query."""
    return index._key_slips(query, index.ranked_texts)


@pytest.mark.parametrize(
    "query",
    [
        "狠抓落失",
        "各级各部门要高度重视安全生产，狠抓落失",
        "要坚持以人为奔",
        "统一思相提高认识",
        "齐抓公管",
        "安全生产产",
        "狠抓实",
        "推动经济社会又好又快发展，不断提高人民生活水准",
    ],
)
def test_typo_reads_the_same_slips_as_from_the_whole_vocabulary(bundled_index, query, monkeypatch):
    from phraser.match import typo

    near = typo.match(query, bundled_index)
    monkeypatch.setattr(bundled_index, "slips", lambda q: _all_slips(bundled_index, q))
    assert typo.match(query, bundled_index) == near


def _by_word(index: Index) -> dict[str, list[str]]:
    """Word → vocabulary phrases made with it: the table variant read before it kept to
    the phrases near the query."""
    from collections import defaultdict

    out = defaultdict(list)
    for e in index.vocabulary:
        if len(e.words) >= 2:
            for w in set(e.words):
                if len(w) >= 2:
                    out[w].append(e.text)
    return out


@pytest.mark.parametrize(
    "query",
    [
        "领导要加强",
        "责任要落实",
        "非常重视安全生产",
        "十分关心群众的生活，特别重视",
        "思想要统一，认识要提高，工作要落实",
        "推动经济社会又好又快地发展",
    ],
)
def test_variant_reads_the_same_words_as_from_the_whole_vocabulary(
    bundled_index, query, monkeypatch
):
    from phraser.match import variant

    near = sorted(variant.match(query, bundled_index), key=lambda s: (s.text, s.why))
    assert near or query.startswith("十分")
    table = _by_word(bundled_index)

    def every(q, index):
        return list(
            {t for k in (2, 3, 4) for i in range(len(q)) for t in table.get(q[i : i + k], ())}
        )

    formal = {
        w: [t for t in texts if bundled_index.phrases[t].words[0] in variant.FORMAL_INTENSIFIERS]
        for w, texts in table.items()
    }
    monkeypatch.setattr(variant, "_worded", every)
    monkeypatch.setattr(variant, "_formal", lambda q, index: formal)
    assert sorted(variant.match(query, bundled_index), key=lambda s: (s.text, s.why)) == near


def test_a_sure_answer_is_not_followed_by_guesses(bundled_index):
    """Under a sure typo fix (狠抓落失 → 狠抓落实) the loose paraphrases and near matches
    the bank would also offer (intent or fuzzy below LOOSE) are left out; without a sure
    answer they stay."""
    from phraser.suggest import LOOSE, SURE

    suggester = Suggester(bundled_index)
    results = suggester.suggest("狠抓落失", top=5)
    assert results[0].text == "狠抓落实" and results[0].score >= SURE
    assert not [s for s in results if s.match in ("intent", "fuzzy") and s.score < LOOSE]
    unsure = suggester.suggest("大家一起出主意想办法", top=10)
    assert all(s.score < SURE for s in unsure)
    assert [s for s in unsure if s.match == "intent" and s.score < 0.9]
