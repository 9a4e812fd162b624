"""Mixed benchmark queries, all six kinds of `phraser suggest`, seeded and deterministic.

bench/bench.py times `suggest` over these (issue 7: ≥ 1,000 mixed queries, all six kinds),
so each kind's code path is exercised, not only the exact and typo ones that
../shared/eval/bench_queries.txt is mostly made of. The queries are drawn from the corpora
themselves (default: the bundled corpus and ../shared/corpora/reports), never from a bank,
so they do not move when the miner changes:

- exact: a clause of the corpus (6–20 Han characters), as written;
- typo: a stock four-character word (a jieba dictionary word or an idiom seen ≥ 5 times)
  with one character replaced by a homophone of its reading that the corpus uses ≥ 20
  times, bare or inside its clause; never a slip that is itself a corpus n-gram;
- variant: a four-character n-gram seen ≥ 5 times that is a verb and a noun of two
  characters each (落实责任), reordered or padded the way a
  drafter says it (责任要落实, 把责任落实起来, 要落实起来责任, 进一步落实责任);
- template: a stock frame (以……为指导, 为……提供保障, 开创……新局面 …) with a filler seen in
  it in the corpus or one taken from another frame, sometimes with 为 written 作为;
- companion: a four-character item of a parallel list (、，) seen in lists ≥ 3 times, alone;
- intent: plain speech, either an idiom's dictionary gloss (群策群力 → 大家一起来想办法) or
  a short clause with its words swapped for Cilin synonyms that everyday Chinese uses
  (frequent in jieba's dictionary) and the corpus does not;

plus the labelled dev queries of ../shared/eval/dev_queries.json when present. Output: one
`kind<TAB>query` line each, shuffled with the seed so any prefix is mixed.

    .venv/bin/python bench/queries.py -o bench/queries.tsv          # the committed set
    .venv/bin/python bench/queries.py --per-kind 50 --seed 2 CORPUS_DIR
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / ".." / "shared"
REPORTS = SHARED / "corpora" / "reports"
DEV = SHARED / "eval" / "dev_queries.json"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from phraser import text as textmod  # noqa: E402
from phraser.corpus import BUNDLED_CORPUS  # noqa: E402

KINDS = ("exact", "typo", "variant", "template", "companion", "intent")
STOCK_MIN_COUNT = 5
COMMON_CHAR_COUNT = 20
#: A synonym for plain speech: this frequent in jieba's general dictionary, rare in the corpus.
EVERYDAY_FREQ = 1000
#: Frames of official prose: (before the slot, after it).
FRAMES = (
    ("以", "为指导"),
    ("以", "为核心"),
    ("以", "为中心"),
    ("以", "为重点"),
    ("以", "为抓手"),
    ("以", "为主线"),
    ("以", "为目标"),
    ("为", "提供保障"),
    ("为", "提供支撑"),
    ("为", "作出贡献"),
    ("开创", "新局面"),
    ("把", "作为"),
    ("把", "放在"),
    ("在", "的基础上"),
    ("在", "的领导下"),
    ("坚持", "不动摇"),
    ("加快", "步伐"),
    ("对", "进行"),
    ("围绕", "这个"),
    ("推进", "建设"),
)
VARIANTS = ("{b}要{a}", "把{b}{a}起来", "要{a}起来{b}", "{b}{a}", "进一步{a}{b}", "{a}好{b}")


def read_texts(paths: Iterable[Path]) -> list[str]:
    out = []
    for path in textmod.find_files(paths):
        try:
            out.append(textmod.read_document(path).text)
        except textmod.ReadError:
            continue
    return out


class Corpus:
    """What the generators draw from: clauses, n-gram and character counts, list items."""

    def __init__(self, texts: list[str]) -> None:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        self.words = jieba.dt.FREQ
        self.cut = lambda s: jieba.lcut(s, HMM=False)
        self.texts = texts
        self.clauses: list[str] = []
        self.grams: Counter = Counter()
        self.chars: Counter = Counter()
        self.items: Counter = Counter()
        for text in texts:
            self.chars.update(text)
            for _line, _col, sentence in textmod.sentences(text):
                runs = textmod.HAN_RUN.findall(sentence)
                self.clauses += runs
                for run in runs:
                    for n in (2, 3, 4, 5):
                        self.grams.update(run[i : i + n] for i in range(len(run) - n + 1))
            for items in textmod.parallel_lists(text):
                if len(items) >= 3:
                    self.items.update(p for _at, p in items if textmod.HAN_RUN.fullmatch(p))
        self.clauses = sorted(set(self.clauses))
        from phraser.lexicon import Lexicon

        self.lexicon = Lexicon()
        self.stock = sorted(
            g
            for g, c in self.grams.items()
            if len(g) == 4
            and c >= STOCK_MIN_COUNT
            and (g in self.words or g in self.lexicon.glosses)
        )


def exact(c: Corpus, rng: random.Random, n: int) -> list[str]:
    pool = [s for s in c.clauses if 6 <= len(s) <= 20]
    return rng.sample(pool, min(n, len(pool)))


def homophones(c: Corpus) -> dict[str, list[str]]:
    """Toneless syllable → the common characters whose main reading it is."""
    from pypinyin.pinyin_dict import pinyin_dict

    from phraser.sound import plain

    out: dict[str, list[str]] = defaultdict(list)
    for cp, readings in sorted(pinyin_dict.items()):
        ch = chr(cp)
        if 0x4E00 <= cp <= 0x9FFF and c.chars[ch] >= COMMON_CHAR_COUNT:
            out[plain(readings.split(",")[0])].append(ch)
    return out


def typo(c: Corpus, rng: random.Random, n: int) -> list[str]:
    from pypinyin import lazy_pinyin

    sounds = homophones(c)
    context = defaultdict(list)
    for clause in c.clauses:
        if len(clause) <= 16:
            for i in range(len(clause) - 3):
                context[clause[i : i + 4]].append(clause)
    out: list[str] = []
    for _ in range(n * 20):
        if len(out) >= n or not c.stock:
            break
        phrase = rng.choice(c.stock)
        j = rng.randrange(4)
        reading = lazy_pinyin(phrase)[j]
        options = [
            ch
            for ch in sounds.get(reading, [])
            if ch != phrase[j] and phrase[:j] + ch + phrase[j + 1 :] not in c.grams
        ]
        if not options:
            continue
        slip = phrase[:j] + rng.choice(options) + phrase[j + 1 :]
        clauses = context.get(phrase)
        if clauses and rng.random() < 0.5:
            out.append(rng.choice(clauses).replace(phrase, slip, 1))
        else:
            out.append(slip)
    return out


def variant(c: Corpus, rng: random.Random, n: int) -> list[str]:
    import jieba.posseg

    pool = []
    for g in sorted(g for g, k in c.grams.items() if len(g) == 4 and k >= STOCK_MIN_COUNT):
        parts = jieba.posseg.lcut(g, HMM=False)
        if (
            len(parts) == 2
            and all(len(p.word) == 2 for p in parts)
            and parts[0].flag in ("v", "vn")
            and parts[1].flag in ("n", "vn", "v")
        ):
            pool.append((parts[0].word, parts[1].word))
    out = []
    for _ in range(n):
        if not pool:
            break
        a, b = rng.choice(pool)
        out.append(rng.choice(VARIANTS).format(a=a, b=b))
    return out


def template(c: Corpus, rng: random.Random, n: int) -> list[str]:
    seen: dict[tuple[str, str], list[str]] = {}
    for head, tail in FRAMES:
        pattern = re.compile(f"{head}([{textmod.HAN}]{{2,8}}?){tail}")
        fillers = sorted({m.group(1) for t in c.texts for m in pattern.finditer(t)})
        if fillers:
            seen[(head, tail)] = fillers
    frames = sorted(seen)
    everything = sorted({f for fs in seen.values() for f in fs})
    out = []
    for _ in range(n):
        if not frames:
            break
        head, tail = rng.choice(frames)
        filler = rng.choice(seen[(head, tail)] if rng.random() < 0.5 else everything)
        if tail.startswith("为") and rng.random() < 0.3:
            tail = "作" + tail
        out.append(head + filler + tail)
    return out


def companion(c: Corpus, rng: random.Random, n: int) -> list[str]:
    pool = sorted(p for p, k in c.items.items() if len(p) == 4 and k >= 3)
    return rng.sample(pool, min(n, len(pool)))


def gloss_speech(gloss: str) -> str:
    """The plain-speech part of an idiom's gloss: the sentence after 指/比喻 if any."""
    sentences = [s for s in re.split("[。；]", gloss) if s]
    for s in sentences:
        for lead in ("指", "比喻", "形容"):
            if s.startswith(lead):
                return "".join(textmod.HAN_RUN.findall(s[len(lead) :]))[:16]
    return "".join(textmod.HAN_RUN.findall(sentences[-1] if sentences else ""))[:16]


def intent(c: Corpus, rng: random.Random, n: int) -> list[str]:
    idioms = [g for g in c.stock if g in c.lexicon.glosses]
    glossed = [gloss_speech(c.lexicon.glosses[g]) for g in idioms]
    glossed = ["要" + s for s in glossed if len(s) >= 4]
    out = rng.sample(glossed, min(len(glossed), n // 2))
    synonyms = c.lexicon.synonyms
    short = [s for s in c.clauses if 4 <= len(s) <= 10]
    for _ in range(n * 20):
        if len(out) >= n or not short:
            continue
        words = c.cut(rng.choice(short))
        swapped = 0
        for k, w in enumerate(words):
            plainer = sorted(
                {
                    s
                    for g in synonyms.get(w, [])
                    for s in g
                    if len(s) >= 2
                    and s != w
                    and c.grams[s] < 2
                    and c.words.get(s, 0) >= EVERYDAY_FREQ
                }
            )
            if len(w) >= 2 and plainer:
                words[k] = rng.choice(plainer)
                swapped += 1
        if swapped >= 1:
            out.append("".join(words))
    return out


def dev_queries(path: Path | None = None) -> list[tuple[str, str]]:
    """(cat, q) of the labelled dev queries, when ../shared has them."""
    path = path or DEV
    if not path.exists():
        return []
    return [(case["cat"], case["q"]) for case in json.loads(path.read_text(encoding="utf-8"))]


def generate(paths: list[Path], per_kind: int, seed: int) -> list[tuple[str, str]]:
    """(kind, query) pairs: `per_kind` of each kind (fewer if the corpus runs short), the
    dev queries, distinct, shuffled with `seed`."""
    corpus = Corpus(read_texts(paths))
    makers = {
        "exact": exact,
        "typo": typo,
        "variant": variant,
        "template": template,
        "companion": companion,
        "intent": intent,
    }
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for kind in KINDS:
        made = makers[kind](corpus, random.Random(f"{seed}-{kind}"), per_kind * 2)
        fresh = [q for q in dict.fromkeys(made) if q not in seen and "\t" not in q]
        seen.update(fresh[:per_kind])
        rows += [(kind, q) for q in fresh[:per_kind]]
    rows += [(k, q) for k, q in dev_queries() if q not in seen]
    random.Random(seed).shuffle(rows)
    return rows


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """(kind, query) from a `kind<TAB>query` file; a line with no tab is kind "mixed"."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        kind, tab, query = line.partition("\t")
        rows.append((kind, query) if tab else ("mixed", line))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, help="corpora (default: bundled + reports)")
    ap.add_argument("--per-kind", type=int, default=200, help="queries per kind (200)")
    ap.add_argument("--seed", type=int, default=7, help="seed (default 7)")
    ap.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = ap.parse_args(argv)
    paths = args.paths or [BUNDLED_CORPUS] + ([REPORTS.resolve()] if REPORTS.is_dir() else [])
    rows = generate(paths, args.per_kind, args.seed)
    text = "".join(f"{k}\t{q}\n" for k, q in rows)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    counts = Counter(k for k, _ in rows)
    print(
        f"{len(rows)} queries: " + ", ".join(f"{k} {counts[k]}" for k in KINDS),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
