"""Property tests: whatever a user pastes, suggest answers without an exception, in bounded time."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phraser.bank import Bank
from phraser.index import Index
from phraser.suggest import QueryError, Suggester, prepare

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PUNCT = st.sampled_from(list("，。、；：！？“”《》（）…—,.;:!?()[]{}<>\"' \t\n"))
EMOJI = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
MIXED = st.one_of(
    HAN, PUNCT, EMOJI, st.characters(), st.sampled_from(list("高度重视狠抓落实齐抓共管"))
)


@pytest.fixture(scope="module")
def suggester(small_bank) -> Suggester:
    return Suggester(Index.load(Bank(small_bank)))


def _check(suggester: Suggester, query: str) -> None:
    start = time.perf_counter()
    try:
        results = suggester.suggest(query, top=5)
    except QueryError:
        assert not prepare(query)  # only an input that normalises to nothing is refused
        return
    assert time.perf_counter() - start < 2.0
    assert len(results) <= 5
    for s in results:
        assert 0.0 <= s.score <= 1.0
        assert s.text and s.why
        assert s.match in {"exact", "fuzzy", "typo", "variant", "template", "companion", "intent"}


settings_ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@settings_
@given(st.text(min_size=1, max_size=60))
def test_arbitrary_unicode(suggester, query):
    _check(suggester, query)


@settings_
@given(st.text(alphabet=MIXED, min_size=1, max_size=80))
def test_mixed_scripts_emoji_and_punctuation(suggester, query):
    _check(suggester, query)


@settings_
@given(st.text(alphabet=PUNCT, min_size=1, max_size=40))
def test_only_punctuation(suggester, query):
    _check(suggester, query)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=HAN, min_size=50, max_size=200), st.integers(20, 200))
def test_very_long_input(suggester, chunk, times):
    _check(suggester, chunk * times)


def test_one_megabyte(suggester):
    _check(suggester, "各级各部门要高度重视狠抓落实，" * 70000)
