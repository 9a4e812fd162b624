"""Typos: a stock phrase written with a wrong, missing or doubled character.

Most slips in Chinese drafting come from the input method: the right sound, the wrong
character (狠抓落失 → 狠抓落实). So windows of the query are matched in fuzzy pinyin
space first (same syllables, confusable initials/finals folded, tones ignored); then
with one character swapped for a look-alike (任何时侯 → 任何时候, 末来 → 未来: a shape-based
input method, handwriting or OCR), from the bank's shape table (phraser/shape.py); then by
characters: one character replaced (any mistype), one missing, one doubled.
"""

from __future__ import annotations

from ..index import Index
from ..sound import folded, plain, sound_keys
from ..text import HAN_CHAR, HAN_RUN
from . import Suggestion
from .exact import spans


def _fix(window: str, text: str) -> str:
    return "、".join(f"{a}→{b}" for a, b in zip(window, text, strict=True) if a != b)


def _windows(query: str, lengths: tuple[int, ...]):
    """(offset, window) of every run of `size` Han characters, by size then offset."""
    runs = [(m.start(), m.end()) for m in HAN_RUN.finditer(query)]
    for size in lengths:
        for a, b in runs:
            for i in range(a, b - size + 1):
                yield i, query[i : i + size]


def _inside_phrase(query: str, index: Index) -> list[tuple[int, int]]:
    """Spans of the query that are bank phrases of four characters or more: written right."""
    return [(a, b) for a, b, _t in spans(query, index) if b - a >= 4]


def _plausible(query: str, i: int, size: int, known: list[tuple[int, int]]) -> bool:
    """A window can hold a slip unless it lies inside a correctly written phrase; a short
    window (three characters) only when it is all the user typed."""
    if any(a <= i and i + size <= b for a, b in known):
        return False
    return size >= 4 or size == len(query)


def _whole_clause(query: str, i: int, size: int) -> bool:
    """The window is a clause of its own (bounded by punctuation or the query's ends)."""
    before = i == 0 or not HAN_CHAR.match(query[i - 1])
    after = i + size == len(query) or not HAN_CHAR.match(query[i + size])
    return before and after


def match(query: str, index: Index) -> list[Suggestion]:
    """Sound-alike slips anywhere a phrase could stand; other slips (a character off,
    missing or doubled) only where the window is a clause of its own: inside running text
    those are mostly a different, correct phrase (调控和监督 is not 调控和监管 mistyped)."""
    known = _inside_phrase(query, index)
    return _substituted(query, index, known, masks=True) + _missing_or_doubled(query, index, known)


def alike_slips(query: str, index: Index) -> list[Suggestion]:
    """Only the sound-alike and look-alike slips (狠抓落失 → 狠抓落实, 末来 → 未来): the
    kinds of slip that running text rarely produces by chance, so the ones a proofreader
    can flag on its own."""
    return _substituted(query, index, _inside_phrase(query, index), masks=False)


def _substituted(
    query: str, index: Index, known: list[tuple[int, int]], *, masks: bool
) -> list[Suggestion]:
    """One character replaced: by a sound-alike or a look-alike, or (`masks`) by any
    character. A slip that is both (侯/候) is the likeliest of all."""
    out: list[Suggestion] = []
    lengths = tuple(n for n in index.lengths if n >= 3)
    han = "".join({c for c in query if HAN_CHAR.match(c)})
    readings = index.readings(han)
    options = {c: folded(rs) for c, rs in readings.items()}
    alikes = index.look_alikes(han)
    vocabulary = index.vocabulary_texts
    slips = index.slips(query)
    by_sound, by_mask = slips.by_sound, slips.by_mask
    for i, w in _windows(query, lengths):
        if w in index.phrases or not _plausible(query, i, len(w), known):
            continue
        found: dict[str, tuple[float, str]] = {}
        wr = [readings.get(c, []) for c in w]
        for key in sound_keys([options[c] for c in w]):
            for text in by_sound.get(key, ()):
                diffs = [j for j in range(len(w)) if w[j] != text[j]]
                if not diffs or len(diffs) > max(1, len(w) // 4):
                    continue
                entry = index.phrases[text]
                same = all(entry.pinyin[j] in {plain(r) for r in wr[j]} for j in diffs)
                sounds = " ".join(entry.pinyin[j] for j in diffs)
                conf = (0.93 if same else 0.86) - 0.04 * (len(diffs) - 1)
                why = f"{_fix(w, text)} (pinyin {sounds}{'' if same else ', near'})"
                found[text] = max(found.get(text, (0, "")), (conf, why))
        for j, c in enumerate(w):
            for right in alikes.get(c, ""):
                text = w[:j] + right + w[j + 1 :]
                if text not in vocabulary:
                    continue
                if text in found and found[text][1].endswith(")"):
                    conf, why = found[text]
                    found[text] = (conf + BOTH_BONUS, why[:-1] + ", look-alike)")
                else:
                    found[text] = (LOOK_ALIKE_CONF, f"{c}→{right} (look-alike)")
        for j in range(len(w) if masks and _whole_clause(query, i, len(w)) else 0):
            for text in by_mask.get(w[:j] + "?" + w[j + 1 :], ()):
                if text not in found:
                    found[text] = (0.72, f"{_fix(w, text)} (one character off)")
        for text, (conf, why) in found.items():
            out.append(_fixed(index, query, i, w, text, conf, why))
    return out


#: Confidence of a look-alike fix: above any paraphrase (intent stops at 0.9), since a
#: stock phrase but for one look-alike character is strong evidence, yet below a same-sound
#: fix, since the shape table is the noisier guide; and what a slip that is both a
#: sound-alike and a look-alike (侯/候, 辩/辫) gains.
LOOK_ALIKE_CONF = 0.9
BOTH_BONUS = 0.03


def _fixed(index: Index, query: str, i: int, old: str, new: str, conf: float, why: str):
    """A typo suggestion: `old` at `i` should read `new`; the phrase's standing adds a little."""
    rewrite = query[:i] + new + query[i + len(old) :]
    score = conf + 0.05 * index.phrases[new].quality
    return Suggestion(new, "phrase", "typo", score, why, rewrite, (i, i + len(old)))


#: Characters whose absence is a style choice, not a slip (作出新的更大[的]贡献).
LIGHT = set("的地得之")


def _missing_or_doubled(query: str, index: Index, known: list[tuple[int, int]]) -> list[Suggestion]:
    """A character missing or doubled. In running text only inside a phrase of five
    characters or more: a character "missing" at its edge is usually the text going on
    with another word (一些企业 is not [给]一些企业, 调控和监督 is not 调控和监[管]), and a
    three-character window matches some phrase by chance all too often."""
    out = []
    by_deletion = index.slips(query).by_deletion
    for size in {n - 1 for n in index.lengths if n >= 4}:
        for i, w in _windows(query, (size,)):
            if any(a <= i and i + size <= b for a, b in known):
                continue
            whole = _whole_clause(query, i, size)
            for text in by_deletion.get(w, ()):
                if text in query:
                    continue
                at = next(j for j in range(len(text)) if text[:j] + text[j + 1 :] == w)
                inner = 0 < at < len(text) - 1 and size >= 4
                if text[at] in LIGHT or not (whole or inner):
                    continue
                if not whole and (w[:at] in index.phrases or w[at:] in index.phrases):
                    continue  # a whole phrase, then the text goes on: 安全生产|作为
                out.append(_fixed(index, query, i, w, text, 0.9, f"missing {text[at]}"))
    for size in {n + 1 for n in index.lengths if n >= 3}:
        for i, w in _windows(query, (size,)):
            for j in range(size - 1):
                if w[j] == w[j + 1] and (fixed := w[:j] + w[j + 1 :]) in index.phrases:
                    if _whole_clause(query, i, size) or 0 < j < size - 2:
                        out.append(_fixed(index, query, i, w, fixed, 0.9, f"{w[j]} doubled"))
    return out
