"""Checking: proofread a draft like a linter, flagging stock formulations written wrong.

The matchers were built for suggestions, where a wrong guess costs a glance; here a wrong
flag costs the user's trust, so a finding must pass a stricter gate. A typo is a
sound-alike slip (狠抓落失 → 狠抓落实, the input method's mistake) or a look-alike slip
(觉风廉政 → 党风廉政) of one character, whose fix is an established bank phrase and whose
corrected text reads clearly likelier than what was written (经济形式 reads as well as
经济形势: both are words, so it is left alone).
Template misuse (以……作为指导 → 以……为指导) and spoken intensifiers (非常重视 → 高度重视)
are hints, a level below typos: the draft is not wrong, only less official."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass

from . import text as textmod
from .index import Index
from .match import Suggestion, template, typo, variant
from .match.template import CONNECTOR_VARIANTS

#: A fix must lead to a phrase seen at least this often in the bank's corpus.
MIN_FIX_COUNT = 3
#: How much likelier (natural log) the corrected text must read than the written one,
#: under jieba's word-frequency model, for a slip to be flagged: a slip breaks words into
#: rare single characters (狠抓落失), so the fix reads far likelier.
MIN_GAIN = 2.0
#: The bar when the written character already sits in a word of the written text's best
#: reading (经济形式, 制订, 它们): such a "slip" is mostly another correct word, and only a
#: much likelier fix (施业保险 → 失业保险) is flagged. Both bars were chosen on the reports
#: corpus and on seeded slips (bench/check_bench.py).
MIN_GAIN_IN_WORD = 5.0
#: Characters of context on each side that the two readings are compared on.
CONTEXT = 4


@dataclass
class Finding:
    """One problem in the text.

    line, col: 1-based, col in characters; offset: 0-based character offset in the whole
    text; length: characters of the wrong span; level: typo | hint; match: the matcher
    that found it (typo | template | variant); wrong → right: the span and its fix.
    """

    line: int
    col: int
    offset: int
    length: int
    level: str
    match: str
    wrong: str
    right: str
    why: str

    def to_dict(self) -> dict:
        return asdict(self)


def check_text(text: str, index: Index) -> list[Finding]:
    """Every typo and hint in `text`, sorted by offset.

    The text is checked as written (simplified Chinese): folding traditional characters
    would turn correct ones into "slips" (著作 is not 着作).
    """
    starts = _line_starts(text)
    found: list[tuple[float, Finding]] = []
    for line, col, sentence in textmod.sentences(text):
        base = starts[line - 1] + col - 1
        typos = [s for s in typo.alike_slips(sentence, index) if _trusted(sentence, s, index)]
        found += _findings(typos, sentence, base, "typo")
        found += _findings(_hints(sentence, index), sentence, base, "hint")
    found = _without_overlaps(found)
    for f in found:
        f.line = bisect.bisect_right(starts, f.offset)
        f.col = f.offset - starts[f.line - 1] + 1
    return found


def apply_fixes(text: str, findings: list[Finding]) -> str:
    """`text` with every typo fixed; hints are left for the writer to judge. A finding
    whose span no longer holds its wrong text is skipped, never forced."""
    out = text
    for f in sorted((f for f in findings if f.level == "typo"), key=lambda f: -f.offset):
        if out[f.offset : f.offset + f.length] == f.wrong:
            out = out[: f.offset] + f.right + out[f.offset + f.length :]
    return out


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, c in enumerate(text):
        if c == "\n":
            starts.append(i + 1)
    return starts


def _edit(sentence: str, s: Suggestion) -> tuple[int, int, str]:
    """(start, end, replacement) of a suggestion's rewrite within the sentence."""
    a, b = s.span
    return a, b, s.rewrite[a : b + len(s.rewrite) - len(sentence)]


def _trusted(sentence: str, s: Suggestion, index: Index) -> bool:
    """A sound-alike or look-alike slip worth flagging: one character off, an established
    fix, and a corrected text that reads clearly likelier than what was written."""
    a, b, right = _edit(sentence, s)
    diffs = [j for j in range(b - a) if sentence[a + j] != right[j]]
    if len(diffs) != 1 or index.phrases[right].count < MIN_FIX_COUNT:
        return False
    lo, hi = max(0, a - CONTEXT), min(len(sentence), b + CONTEXT)
    written, at = sentence[lo:hi], a + diffs[0] - lo
    fixed = sentence[lo:a] + right + sentence[b:hi]
    best, words = _reading(written)
    gain = _reading(fixed)[0] - best
    return gain >= (MIN_GAIN_IN_WORD if any(i <= at < j for i, j in words) else MIN_GAIN)


def _reading(text: str) -> tuple[float, list[tuple[int, int]]]:
    """The best segmentation of `text` under jieba's unigram word model: its
    log-probability and the spans of its words of two characters or more."""
    tok = _tokenizer()
    route: dict[int, tuple[float, int]] = {}
    tok.calc(text, tok.get_DAG(text), route)
    words, i = [], 0
    while i < len(text):
        j = route[i][1] + 1
        if j - i >= 2:
            words.append((i, j))
        i = j
    return route[0][0], words


def _tokenizer():
    from .mine import tokenizer

    return tokenizer()


def _hints(sentence: str, index: Index) -> list[Suggestion]:
    """A template's connector written long (以……作为指导) and a spoken intensifier before
    a word the bank writes with an official one (非常重视)."""
    out = []
    connectors = any(long in sentence for long in CONNECTOR_VARIANTS)
    for s in template.match(sentence, index) if connectors else ():
        a, b, right = _edit(sentence, s)
        wrong = sentence[a:b]
        if wrong != right and any(
            wrong.replace(long, short, 1) == right for long, short in CONNECTOR_VARIANTS.items()
        ):
            out.append(s)
    spoken = variant.register(sentence, index)
    return out + [s for s in spoken if index.phrases[s.text].count >= MIN_FIX_COUNT]


def _findings(
    suggestions: list[Suggestion], sentence: str, base: int, level: str
) -> list[tuple[float, Finding]]:
    """Each suggestion as a finding at its place in the whole text, with its confidence."""
    out = []
    for s in suggestions:
        a, b, right = _edit(sentence, s)
        why = s.why.replace(" (", ", ", 1).removesuffix(")") if s.why.endswith(")") else s.why
        finding = Finding(0, 0, base + a, b - a, level, s.match, sentence[a:b], right, why)
        out.append((s.score, finding))
    return out


def _without_overlaps(found: list[tuple[float, Finding]]) -> list[Finding]:
    """One finding per place: typos before hints, then the most confident fix."""
    kept: list[Finding] = []
    for _score, f in sorted(found, key=lambda x: (x[1].level != "typo", -x[0], -x[1].length)):
        if all(f.offset + f.length <= k.offset or k.offset + k.length <= f.offset for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: (f.offset, f.level))
