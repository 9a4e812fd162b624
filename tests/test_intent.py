"""Intent: plain speech matched to the stock phrase it means, through meaning bags."""

from __future__ import annotations

import math

import pytest

from phraser.bank import Bank
from phraser.build import build
from phraser.index import Index
from phraser.lexicon import FUNCTION_CHARS, Lexicon, meaning_rows
from phraser.suggest import Suggester

IDIOMS = ("以身作则", "居安思危", "因地制宜", "持之以恒")
LEFTS = ("各级领导干部要", "全县上下必须", "我们始终", "各有关部门要", "党员干部应当", "基层组织要")
RIGHTS = ("，推动工作落实。", "，确保取得实效。", "，开创工作新局面。", "，为发展提供保障。")
#: Idioms in ordinary official sentences, each beside different words so the miner keeps them.
IDIOM_DOCS = {
    f"{d:02d}.txt": "".join(
        LEFTS[(d + k) % len(LEFTS)] + idiom + RIGHTS[(d * 3 + k) % len(RIGHTS)]
        for k, idiom in enumerate(IDIOMS)
    )
    for d in range(len(LEFTS))
}


@pytest.fixture(scope="module")
def idiom_suggester(tmp_path_factory) -> Suggester:
    folder = tmp_path_factory.mktemp("idioms")
    for name, text in IDIOM_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "bank.sqlite"
    build([folder], path)
    return Suggester(Index.load(Bank(path)))


def test_meaning_bag_holds_the_gloss_not_function_characters():
    bag = Lexicon().meaning("以身作则")
    assert bag, "the idiom dictionary glosses 以身作则"
    assert "样" in bag  # 榜样, from the gloss
    assert not FUNCTION_CHARS & bag.keys()
    assert Lexicon().meaning("不是一个成语也不在词林") == {}


def test_meaning_rows_are_unit_vectors_with_an_idf_per_character():
    rows, idf = meaning_rows([(1, "以身作则"), (2, "居安思危"), (3, "因地制宜")])
    for pid in (1, 2, 3):
        norm = math.sqrt(sum(r["weight"] ** 2 for r in rows if r["phrase_id"] == pid))
        assert norm == pytest.approx(1.0, abs=1e-3)
    chars = {r["char"] for r in rows}
    assert chars == {r["char"] for r in idf if r["idf"] > 0}


@pytest.mark.parametrize(
    ("query", "phrase"),
    [
        ("当官的要先做出样子，给下面的人看", "以身作则"),
        ("太平的日子里也得想着可能到来的危险", "居安思危"),
        ("按照各个地方自己的实际情况来办", "因地制宜"),
    ],
)
def test_plain_speech_finds_the_idiom_it_means(idiom_suggester, query, phrase):
    results = idiom_suggester.suggest(query, top=5)
    hit = next((s for s in results if s.text == phrase), None)
    assert hit is not None, [(s.text, s.match, s.why) for s in results]
    assert hit.match == "intent"


def test_a_paraphrase_never_outranks_a_sure_typo_fix(idiom_suggester):
    results = idiom_suggester.suggest("党员干部要以身作责", top=5)
    assert results[0].text == "以身作则" and results[0].match == "typo"
    assert all(s.score <= results[0].score for s in results)


def _closest_by_sql(bank: Bank, query: dict[str, float], limit: int = 40) -> list[tuple]:
    """The meaning cosine as SQLite sums it: the reference `closest_meanings` keeps to."""
    values = ",".join("(?, ?)" for _ in query)
    return bank.db.execute(
        f"with q(c, w) as (values {values}) select m.phrase_id, sum(m.weight * q.w) as s "
        "from q join meanings m on m.char = q.c group by m.phrase_id order by s desc limit ?",
        [x for item in query.items() for x in item] + [limit],
    ).fetchall()


@pytest.mark.parametrize(
    "chars",
    ["安全生产", "各级各部门要高度重视安全生产工作", "当官的要做出样子，大家一起想办法"],
)
def test_closest_meanings_are_the_dots_sqlite_sums(bundled_bank, chars):
    bank = Bank(bundled_bank)
    idf = bank.meaning_idf(set(chars))
    query = {c: (1.0 + 0.4 * i) * idf[c] for i, c in enumerate(dict.fromkeys(chars)) if idf.get(c)}
    query["𠀀"] = 1.0  # a character with no postings is ignored
    expected = _closest_by_sql(bank, query)
    assert expected
    assert bank.closest_meanings(query) == expected
    assert bank.closest_meanings(query) == expected  # postings kept from the first call
    assert bank.closest_meanings({"𠀀": 1.0}) == []


def test_gloss_postings_meet_every_gloss_sharing_two_bigrams(bundled_bank):
    """The gloss reading looks glosses up by bigram; it must meet exactly the glosses a
    scan of them all would: those sharing at least two content bigrams with the query."""
    from phraser.lexicon import content_bigrams
    from phraser.match.intent import _by_gloss

    index = Index.load(Bank(bundled_bank))
    assert index.gloss_bigrams
    queries = ["根据各地的具体情况来制定适宜的办法", "做事情要有始有终坚持到底", "大家一起想办法"]
    met = 0
    for query in queries + [gloss[:12] for _p, gloss in list(index.glosses.items())[:20]]:
        asked = content_bigrams(query)
        scanned = {
            text
            for text, bigrams in index.gloss_bigrams
            if len(asked & bigrams) >= 2
            and len(asked & bigrams) / len(asked) >= 0.2
            and text not in query
        }
        assert {s.text for s in _by_gloss(query, index, 1.0)} == scanned
        met += len(scanned)
    assert met >= 10


def test_short_terms_no_dictionary_explains_rank_behind_set_formulations(bundled_bank):
    """Plain speech stands for set formulations; a three-character phrase with no gloss
    (a derived noun such as 积极性) is discounted, a glossed one (走过场) or a
    four-character one is not, and the list stays sorted best first."""
    from phraser.match.intent import TERM_DISCOUNT, _shape, match

    index = Index.load(Bank(bundled_bank), read_all=True)
    texts = list(index.phrases)
    four = next(t for t in texts if len(t) == 4)
    glossed = next(t for t in texts if len(t) == 3 and index.phrases[t].id in index.glosses)
    bare = next(t for t in texts if len(t) == 3 and index.phrases[t].id not in index.glosses)
    assert (_shape(four, index), _shape(glossed, index)) == (1.0, 1.0)
    assert _shape(bare, index) == TERM_DISCOUNT < 1.0
    queries = ("遇事要多听听大家的意见", "领导班子成员之间要互相支持", "这个事情要马上去办不能等")
    for query in queries:
        scores = [s.score for s in match(query, index, limit=20)]
        assert scores and scores == sorted(scores, reverse=True)
