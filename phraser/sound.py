"""Pinyin: how phrases and characters sound, and which sounds a writer confuses.

pypinyin is imported at build time only (its import costs ≈0.8 s); the bank stores each
phrase's pinyin and a character → readings table, so a query needs no pypinyin at all.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from itertools import islice, product

#: Initials and finals that drafters (and input methods) confuse: zh/z, ch/c, sh/s, n/l,
#: en/eng, in/ing, an/ang. Tones are ignored throughout.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("eng", "en"), ("ing", "in"), ("ang", "an"))


def plain(syllable: str) -> str:
    """A toned syllable without its tone marks (shī → shi, lǜ → lu)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def fuzzy(syllable: str) -> str:
    """The syllable with confusable initials and finals folded together (ling → lin).

    Cached: a few hundred syllables, asked for once per character of every window.
    """
    syllable = syllable.replace("v", "u")
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def folded(readings: list[str]) -> list[str]:
    """A character's readings folded, distinct and sorted; ["?"] when it has none."""
    return sorted({fuzzy(r) for r in readings}) or ["?"]


def sound_keys(options: list[list[str]], *, limit: int = 16) -> Iterable[tuple[str, ...]]:
    """Fuzzy sound keys of a character sequence, one folded reading per character (capped);
    `options` holds each character's `folded` readings."""
    return islice(product(*options), limit)


def char_readings() -> dict[str, str]:
    """Every CJK character's toneless readings, comma-joined (build time only)."""
    from pypinyin.pinyin_dict import pinyin_dict

    out = {}
    for cp, readings in pinyin_dict.items():
        if 0x3400 <= cp <= 0x9FFF:
            out[chr(cp)] = ",".join(dict.fromkeys(plain(r) for r in readings.split(",")))
    return out


def phrase_pinyin(texts: Iterable[str], readings: dict[str, str] | None = None) -> dict[str, str]:
    """Toneless pinyin of each phrase, space-joined (build time only).

    A phrase whose characters each have one reading is spelled from `readings`; only
    phrases with a polyphonic character (重视 zhong, 重新 chong) go through pypinyin's
    context-aware lookup, the slow part on a large bank. That lookup cuts a phrase into
    the words of pypinyin's dictionary and spells each word on its own, so each word is
    spelled once and remembered: the same pinyin, 4× faster (a large bank's 202K such
    phrases are 4.4 words each, from far fewer distinct words).
    """
    from pypinyin import Style, lazy_pinyin
    from pypinyin.seg.simpleseg import seg

    spelled: dict[str, list[str]] = {}
    out = {}
    for t in texts:
        single = [readings.get(c, "") for c in t] if readings else []
        if single and all(r and "," not in r for r in single):
            out[t] = " ".join(single)
            continue
        syllables = []
        for word in seg(t):
            known = spelled.get(word)
            if known is None:
                known = spelled[word] = lazy_pinyin(word, style=Style.NORMAL, errors="default")
            syllables += known
        out[t] = " ".join(syllables)
    return out
