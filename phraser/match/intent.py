"""Intent: plain speech for what a stock phrase means (大家一起出主意想办法 → 群策群力).

Every phrase has a bag of sense terms in the bank (see `lexicon`): its morphemes, their
synonyms, its gloss words. The query's substrings are looked up in those bags; a phrase
scores by how many of its morphemes the query explains (coverage) and how much of its
gloss it echoes, each term weighted by its idf.
"""

from __future__ import annotations

from collections import defaultdict

from ..index import Index
from ..lexicon import CONTEXT, FUNCTION_CHARS, STOP_WORDS, content_bigrams
from ..text import HAN_CHAR
from . import Suggestion
from .exact import spans


def _terms(query: str) -> set[str]:
    terms = set()
    for size in (1, 2, 3, 4):
        for i in range(len(query) - size + 1):
            t = query[i : i + size]
            if all(HAN_CHAR.match(c) for c in t) and t not in STOP_WORDS:
                terms.add(t)
    return terms


def _positions(query: str, term: str) -> int:
    """The query positions `term` stands at, a bit each."""
    out = 0
    run = (1 << len(term)) - 1
    at = query.find(term)
    while at >= 0:
        out |= run << at
        at = query.find(term, at + 1)
    return out


def match(query: str, index: Index, *, limit: int = 10) -> list[Suggestion]:
    """Phrases whose sense bags explain the query, scored from both sides.

    phrase side: how much of the phrase its matched morphemes (or gloss words) cover;
    query side: how much of the query's content the matched terms cover. A paraphrase
    is explained on both sides; a chance overlap on one.
    """
    if index.bank is None or query in index.phrases:
        return []  # a stock phrase typed whole wants its companions, not paraphrases
    content = [i for i, c in enumerate(query) if HAN_CHAR.match(c) and c not in STOP_WORDS]
    if not content:
        return []
    # Where the sentence already consists of bank phrases, paraphrase is a weaker reading.
    literal_cover = set()
    for a, b, _t in spans(query, index):
        literal_cover.update(range(a, b))
    damp = 1.0 - 0.25 * len(literal_cover.intersection(content)) / len(content)
    terms = _terms(query)
    synonyms = index.bank.expand(t for t in terms if len(t) >= 2)
    scored = _by_senses(query, terms, synonyms, content, index, damp)
    scored += _by_gloss(query, index, damp)
    scored += _by_meaning(query, synonyms, index, damp)
    agreed = _agree(scored)
    for s in agreed:
        s.score *= _shape(s.text, index)
    agreed.sort(key=lambda s: -s.score)
    return agreed[:limit]


#: How far a short phrase no dictionary explains falls behind a set formulation.
TERM_DISCOUNT = 0.75


def _shape(text: str, index: Index) -> float:
    """Plain speech stands for set formulations (四字格 like 齐抓共管, glossed idioms like
    走过场), hardly ever for a short term: an unglossed phrase under four characters is
    mostly a derived noun (区域性, 增长点, 积极性) met through one shared character. On 149
    labelled plain-speech queries this discount took hit@5 from 64 to 68 and the dictionary
    nouns among the intent suggestions shown from 248 to about 180."""
    if len(text) >= 4:
        return 1.0
    entry = index.phrases.get(text)
    return 1.0 if entry is not None and entry.id in index.glosses else TERM_DISCOUNT


def _by_senses(
    query: str,
    terms: set[str],
    synonyms: list[tuple[str, str]],
    content: list[int],
    index: Index,
    damp: float,
) -> list[Suggestion]:
    """The sense-bag reading.

    The query's own words meet every row of the bags; their synonyms (standing for them at
    a discount: the drafter says 力气 where the gloss says 力量) meet the phrases' own
    morphemes, glosses and context words, not the synonyms listed for those morphemes: a
    synonym of a synonym is two hops off, and those rows were two thirds of all read.
    """
    stands_for: dict[str, tuple[str, float]] = {t: (t, 1.0) for t in terms}
    for word, synonym in synonyms:
        if synonym not in stands_for:
            stands_for[synonym] = (word, 0.7)
    # The rows that explain a phrase in other words come first: its whole meaning, a
    # morpheme's synonym, a morpheme met through a query synonym. Only the phrases they
    # find are read in full (context words, single characters): most rows the terms meet
    # belong to phrases that would only repeat their own words (dropped below), and a
    # character alone would pull in thousands of phrases and explain nothing.
    words = [t for t, (source, _d) in stands_for.items() if source == t and len(t) >= 2]
    synonyms = [t for t, (source, _d) in stands_for.items() if source != t]
    first = index.bank.senses.lookup(words, parts="explained")
    first += index.bank.senses.lookup(words, synonym=True)
    first += index.bank.senses.lookup(synonyms, parts="explained")
    found = {r[1] for r in first if r[4] < 0 or r[6] or stands_for[r[0]][0] != r[0]}
    rows = [r for r in first if r[1] in found]
    rows += index.bank.senses.lookup(words + synonyms, found, parts="context")
    rows += index.bank.senses.lookup((t for t in stands_for if len(t) == 1), found)
    by_phrase: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_phrase[row[1]].append(row)
    index.prefetch_ids(by_phrase)
    # Per term: its discount, how it is shown, and the query positions it explains (a bit
    # per character), so the loop below does no string work.
    content_bits = sum(1 << i for i in content)
    masks: dict[str, int] = {}
    info: dict[str, tuple[float, str, int]] = {}
    for term, (source, discount) in stands_for.items():
        if source not in masks:
            masks[source] = _positions(query, source) & content_bits
        shown = term if source == term else f"{source}→{term}"
        info[term] = (discount, shown, masks[source])
    # Query-side positions a paraphrase explains at least: a quarter, but never more than
    # two, since a long query pads its point (趁着好劲头一鼓作气往前冲 ~ 乘势而上).
    needed = min(0.25 * len(content), 2.0)
    out = []
    for pid, hits in by_phrase.items():
        explained = 0
        for row in hits:
            explained |= info[row[0]][2]
        n_explained = explained.bit_count()
        if n_explained < needed:
            continue  # explains too little of the query (two in five phrases met)
        text = index.text_of(pid)
        if text is None or text in query:
            continue
        size = len(text)
        whole: list[str] = []
        context: list[str] = []
        cover: dict[tuple[int, int], float] = {}
        best: dict[tuple[int, int], tuple[float, str]] = {}
        for term, _pid, weight, idf, part, width, _synonym in hits:
            discount, shown, _mask = info[term]
            if part == CONTEXT:
                context.append(shown)
            elif part < 0:
                whole.append(shown)
            else:
                weight *= discount
                slot = (part, width)
                if slot not in best or best[slot][0] < weight * idf:
                    best[slot] = (weight * idf, shown)
                if cover.get(slot, 0.0) < weight:
                    cover[slot] = weight
        if not whole and all(shown in text for (_s, shown) in best.values()):
            continue  # only the phrase's own words: a literal overlap, not a paraphrase
        # A phrase's morphemes tile it, so each slot covers its own characters.
        covered = sum(w * (min(p + n, size) - p) for (p, n), w in cover.items())
        phrase_side = max(
            covered / size + 0.1 * min(2, len(context)),
            min(1.0, len(whole) / 3),
            0.2 * min(3, len(context)),
        )
        query_side = n_explained / len(content)
        if phrase_side < 0.3:
            continue
        literal = sum(1 for c in text if c in query) / size
        if literal >= 0.75:
            continue  # the words are there already (exact, variant, typo)
        e = index.phrases[text]
        conf = 0.3 + 0.25 * phrase_side + 0.3 * query_side + 0.1 * e.quality - 0.15 * literal
        conf *= damp
        parts = [f"{term}≈{text[p : p + w]}" for (p, w), (_s, term) in sorted(best.items())]
        if whole:
            parts.append("means " + "、".join(sorted(whole)[:3]))
        if context:
            parts.append("used with " + "、".join(sorted(context)[:3]))
        out.append(Suggestion(text, "phrase", "intent", conf, "; ".join(parts[:4])))
    return out


#: A paraphrase is a looser reading than a sure typo fix or an exact hit: never above this.
INTENT_CEILING = 0.9


def _agree(scored: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per phrase; a phrase that several readings find gains a little."""
    best: dict[str, Suggestion] = {}
    support: dict[str, float] = defaultdict(float)
    for s in sorted(scored, key=lambda s: -s.score):
        if s.text in best:
            support[s.text] = max(support[s.text], s.score)
        else:
            best[s.text] = s
    for text, extra in support.items():
        best[text].score += 0.1 * extra
    for s in best.values():
        s.score = min(INTENT_CEILING, s.score)
    return sorted(best.values(), key=lambda s: -s.score)


def _by_gloss(query: str, index: Index, damp: float) -> list[Suggestion]:
    """Idioms whose dictionary gloss says what the query says, bigram for bigram
    (根据各地的实际情况来安排 ~ 因地制宜: 根据各地的具体情况，制定适宜的办法)."""
    asked = content_bigrams(query)
    if len(asked) < 2:
        return []
    met: dict[int, int] = defaultdict(int)
    postings = index.gloss_postings
    for bigram in asked:
        for at in postings.get(bigram, ()):
            met[at] += 1
    out = []
    for at in sorted(at for at, n in met.items() if n >= 2):
        text, gloss = index.gloss_bigrams[at]
        shared = asked & gloss
        if text in query:
            continue
        coverage = len(shared) / len(asked)
        if coverage < 0.2:
            continue
        e = index.phrases[text]
        conf = (0.5 + 0.45 * min(1.0, coverage * 1.5) + 0.05 * e.quality) * damp
        out.append(
            Suggestion(text, "phrase", "intent", conf, "gloss: " + "、".join(sorted(shared)[:4]))
        )
    return out


#: Weight of a character that only a synonym of the query's words brings in.
QUERY_SYNONYM_WEIGHT = 0.4
#: Below this cosine a shared character or two is chance, not meaning.
MIN_COSINE = 0.08


def _by_meaning(
    query: str, synonyms: list[tuple[str, str]], index: Index, damp: float
) -> list[Suggestion]:
    """Phrases whose meaning bag (see `Lexicon.meaning`) is closest, by cosine, to the
    characters of the query and of its words' synonyms (`Bank.expand` of its terms:
    做个样子给大家看 ~ 以身作则: 以自己的行动做出榜样)."""
    bag: dict[str, float] = defaultdict(float)
    for c in query:
        if HAN_CHAR.match(c) and c not in FUNCTION_CHARS:
            bag[c] += 1.0
    by_word: dict[str, set[str]] = defaultdict(set)
    for word, synonym in synonyms:
        by_word[word].update(synonym)
    for chars in by_word.values():
        for c in chars - FUNCTION_CHARS:
            bag[c] += QUERY_SYNONYM_WEIGHT
    idf = index.bank.meaning_idf(bag)
    weighted = {c: x * idf[c] for c, x in bag.items() if idf.get(c)}
    norm = sum(w * w for w in weighted.values()) ** 0.5
    if not norm:
        return []
    out = []
    closest = index.bank.closest_meanings(weighted)
    index.prefetch_ids(pid for pid, _dot in closest)
    for pid, dot in closest:
        text = index.text_of(pid)
        if text is None or text in query:
            continue
        cosine = dot / norm
        literal = sum(1 for c in text if c in query) / len(text)
        if literal >= 0.75 or cosine < MIN_COSINE:
            continue
        conf = min(0.85, 0.4 + 0.8 * cosine) * damp
        out.append(Suggestion(text, "phrase", "intent", conf, _meaning_why(index, pid)))
    return out


def _meaning_why(index: Index, pid: int) -> str:
    """The dictionary's own words when there are any: they show the drafter why."""
    gloss = index.glosses.get(pid)
    if not gloss:
        return "close in meaning (thesaurus)"
    # Xinhua glosses open with notes on single characters (厉猛烈。…): skip to the sense.
    text = index.text_of(pid)
    sentences = [s for s in gloss.split("。") if s]
    sense = next((s for s in sentences if s[0] not in text), sentences[-1] if sentences else gloss)
    return "means " + (sense if len(sense) <= 24 else sense[:23] + "…")
