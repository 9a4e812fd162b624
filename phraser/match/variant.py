"""Variants: the words of a stock phrase, reordered or padded (领导要加强 → 加强领导).

Phrases carry their jieba words from the build, so no segmenter runs at query time: a
phrase matches when each of its words stands in the query (single-character words such
as 的 may be left out), inside a short stretch of it.
"""

from __future__ import annotations

from collections import Counter

from ..index import Index
from ..text import HAN_CHAR
from . import Suggestion
from .exact import spans

#: Words a variant may drop or add without changing the phrase (作出新的更大[的]贡献).
LIGHT = set("的地得之了")
#: Classical particles a drafter drops when spelling an idiom out (各负其责 → 各自负责任).
DROPPABLE = set("其之而以于为所与乃")
#: How many characters of padding a variant may carry inside its stretch.
MAX_PADDING = 4


def _place(query: str, words: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """Where each heavy word of the phrase stands in the query, or None if one is missing."""
    spans = []
    for w in words:
        at = query.find(w)
        if at < 0:
            if len(w) == 1:
                continue
            return None
        spans.append((at, at + len(w)))
    return spans


def _shortened(query: str, index: Index) -> list[Suggestion]:
    """The query holds a phrase minus one inner word: 提供保障 → 提供有力保障."""
    out = []
    dropped = index.by_word_dropped
    known = [(a, b) for a, b, _t in spans(query, index)]
    for size in range(3, 9):
        for i in range(len(query) - size + 1):
            if any(a <= i and i + size <= b and b - a > size for a, b in known):
                continue  # part of a longer phrase written right (各部门 in 各级各部门)
            for text in dropped.get(query[i : i + size], ()):
                if text in query:
                    continue
                e = index.phrases[text]
                extra = next(
                    w for w in e.words if "".join(e.words).replace(w, "", 1) == query[i : i + size]
                )
                score = 0.74 + 0.1 * e.quality + 0.01 * len(text)
                rewrite = query[:i] + text + query[i + size :]
                out.append(Suggestion(text, "phrase", "variant", score, f"+{extra}", rewrite))
    return out


def _spelled_span(query: str, text: str) -> tuple[int, int, int] | None:
    """(hits, start, end) of the best in-order, spread-out stretch of `text` in `query`."""
    best = None
    for start in range(len(query)):
        if query[start] not in (text[0], text[1]):
            continue
        hits, pos, last = 0, start, start
        for ch in text:
            at = query.find(ch, pos, start + 2 * len(text))
            if at >= 0:
                hits, pos, last = hits + 1, at + 1, at
        missing = [ch for ch in text if ch not in query[start : last + 1]]
        spread = last + 1 - start > hits
        dropped = hits == len(text) - 1 and missing and missing[0] in DROPPABLE
        if spread and (hits == len(text) or dropped) and (best is None or hits > best[0]):
            best = (hits, start, last + 1)
    if best is None:
        best = _shuffled_span(query, text)
    return best


def _shuffled_span(query: str, text: str) -> tuple[int, int, int] | None:
    """All of `text`'s characters, in another order, within a stretch twice its length
    (军队要从严来治 → 从严治军)."""
    need = Counter(text)
    width = 2 * len(text)
    for start in range(len(query)):
        if query[start] not in need:
            continue
        window = query[start : start + width]
        if not need - Counter(window):
            end = start + max(window.find(c) + 1 for c in need)
            return len(text), start, end
    return None


#: Lengths of the phrases `_scattered` looks for: idioms, and set phrases a little longer
#: (又快又好地发展 → 又好又快发展).
SCATTERED_LENGTHS = (4, 5, 6)


def _scattered(query: str, index: Index, found: set[str]) -> list[Suggestion]:
    """A phrase whose characters all stand in a short stretch of the query, in order or
    not, at most a classical particle missing (各自负起各自的责任 → 各负其责): an idiom
    spelled out or shuffled."""
    import numpy as np

    o = index.overlap(Counter(query))
    fits = np.flatnonzero(o.counts >= np.maximum(1, o.distinct - 1))
    out = []
    for n, size in zip(fits.tolist(), o.lengths[fits].tolist(), strict=True):
        if size not in SCATTERED_LENGTHS:
            continue
        text = index.ranked_texts[n]
        if text in found or text in query:
            continue
        best = _spelled_span(query, text)
        if best is None:
            continue
        hits, a, b = best
        e = index.phrases[text]
        score = 0.6 + 0.05 * hits + 0.1 * e.quality - 0.01 * (b - a - hits)
        rewrite = query[:a] + text + query[b:]
        out.append(
            Suggestion(text, "phrase", "variant", score, f"spelled out ({query[a:b]})", rewrite)
        )
    return out


#: Register: the intensifiers of speech and the ones official writing uses before a verb.
#: A drafter's 非常重视 / 十分关心 is the bank's 高度重视 / 切实关心 said plainly.
SPOKEN_INTENSIFIERS = ("非常", "十分", "特别", "很", "极其", "极为", "格外", "相当", "好好", "真正")
FORMAL_INTENSIFIERS = {
    "高度",
    "切实",
    "大力",
    "全力",
    "着力",
    "充分",
    "认真",
    "深入",
    "扎实",
    "全面",
}


def _formal(query: str, index: Index) -> dict[str, list[str]]:
    """Second word → the two-word phrases opening with a formal intensifier, among those
    whose characters are all the query's but the intensifier's two."""
    out: dict[str, list[str]] = {}
    for n in _near(query, index, 2):
        words = index.ranked_words[n].split()
        if len(words) == 2 and words[0] in FORMAL_INTENSIFIERS and len(words[1]) >= 2:
            out.setdefault(words[1], []).append(index.ranked_texts[n])
    return out


def register(query: str, index: Index) -> list[Suggestion]:
    """Spoken intensifier + word → the bank's formal intensifier + the same word."""
    out = []
    formal: dict[str, list[str]] | None = None
    for spoken in SPOKEN_INTENSIFIERS:
        at = query.find(spoken)
        if at < 0:
            continue
        if formal is None:
            formal = _formal(query, index)
        rest = query[at + len(spoken) :].lstrip("地")
        for size in (2, 3, 4):
            word = rest[:size]
            for text in formal.get(word, ()):
                e = index.phrases[text]
                if len(e.words) != 2 or e.words[1] != word or e.words[0] not in FORMAL_INTENSIFIERS:
                    continue
                end = len(query) - len(rest) + size
                rewrite = query[:at] + text + query[end:]
                why = f"{spoken}→{e.words[0]} (official register)"
                score = 0.8 + 0.12 * e.quality
                out.append(Suggestion(text, "phrase", "variant", score, why, rewrite, (at, end)))
    return out


def _near(query: str, index: Index, spare) -> list[int]:
    """Vocabulary positions, in order, of the phrases sharing a character with the query
    and holding at most `spare` (a number, or an array of one per phrase) others."""
    import numpy as np

    o = index.overlap(Counter(query))
    return np.flatnonzero((o.counts > 0) & (o.counts >= o.distinct - spare)).tolist()


def _light_counts(index: Index):
    """How many distinct LIGHT characters each vocabulary phrase holds."""
    import numpy as np

    light = np.zeros(len(index.ranked_texts), dtype=np.int64)
    for c in LIGHT:
        if c in index.by_char:
            light[index.by_char[c]] += 1
    return light


def _worded(query: str, index: Index) -> list[str]:
    """Phrases of two words or more, one of two to four characters standing in the query:
    the ones `match` can place. As every other word must stand there too (or be light and
    left out), only phrases whose characters are all the query's but light ones qualify."""
    out = []
    for n in _near(query, index, _light_counts(index)):
        words = index.ranked_words[n].split()
        if len(words) >= 2 and any(2 <= len(w) <= 4 and w in query for w in words):
            out.append(index.ranked_texts[n])
    return out


def match(query: str, index: Index) -> list[Suggestion]:
    out = []
    for text in _worded(query, index):
        if text in query:
            continue
        e = index.phrases[text]
        spans = _place(query, e.words)
        if not spans or sum(1 for a, b in spans if b - a >= 2) < 2:
            continue
        covered = sum(b - a for a, b in spans)
        missing = [w for w in e.words if len(w) == 1 and w not in query]
        if any(w not in LIGHT for w in missing) or covered < 0.75 * len(text):
            continue
        start, end = min(a for a, _ in spans), max(b for _, b in spans)
        padding = (end - start) - covered
        if padding > MAX_PADDING:
            continue
        reordered = [a for a, _ in spans] != sorted(a for a, _ in spans)
        why = "reordered" if reordered else "padded"
        if padding:
            why += f" (+{query[start:end]})" if not reordered else f" ({query[start:end]})"
        # The more of what the user wrote the rewording accounts for, the surer it is.
        share = (end - start) / max(1, sum(1 for c in query if HAN_CHAR.match(c)))
        score = 0.72 + 0.1 * e.quality + 0.02 * len(text) - 0.025 * padding + 0.08 * share
        rewrite = query[:start] + text + query[end:]
        out.append(Suggestion(text, "phrase", "variant", score, why, rewrite))
    found = {s.text for s in out}
    return out + _shortened(query, index) + _scattered(query, index, found) + register(query, index)
