"""The simplest honest alternative to phraser, measured beside it by bench/bench.py.

What someone would write in an afternoon instead of phraser: read the same files (through
phraser.text, so decoding is not what is compared), count every character n-gram of
length 2..8 inside runs of Han characters into one `collections.Counter`, keep those seen
at least twice (phraser's default min count), and store them in a SQLite table. "Suggest"
loads the kept n-grams, most frequent first, and asks rapidfuzz for the five closest to
the query by `fuzz.partial_ratio`.

No statistics beyond counts (no PMI, no boundary entropy), no templates, no pairs, no
pinyin, no index: that is the point of the comparison. Nothing is made slow on purpose.

    python bench/baseline.py build BANK.sqlite PATH...   # one JSON line: counts, seconds
    python bench/baseline.py suggest BANK.sqlite QUERY   # one JSON line: the top five
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from phraser import text as textmod  # noqa: E402

MIN_N, MAX_N, MIN_COUNT, TOP = 2, 8, 2, 5


def documents(paths: Iterable[Path]) -> Iterator[str]:
    """The normalised text of every readable file, as phraser would read it."""
    for path in textmod.find_files(paths):
        try:
            yield textmod.read_document(path).text
        except textmod.ReadError:
            continue


def count(texts: Iterable[str]) -> tuple[int, int, Counter]:
    """(documents, characters, n-gram counts) over the Han runs of `texts`."""
    counts: Counter = Counter()
    docs = chars = 0
    for text in texts:
        docs += 1
        chars += len(text)
        for run in textmod.HAN_RUN.findall(text):
            for n in range(MIN_N, min(MAX_N, len(run)) + 1):
                counts.update(run[i : i + n] for i in range(len(run) - n + 1))
    return docs, chars, counts


def build(paths: Iterable[Path], db_path: Path) -> dict:
    """Count, prune, write; return the figures bench.py reports."""
    t0 = time.perf_counter()
    docs, chars, counts = count(documents(paths))
    distinct = len(counts)
    kept = [(g, c) for g, c in counts.items() if c >= MIN_COUNT]
    del counts
    db_path.unlink(missing_ok=True)
    db = sqlite3.connect(db_path)
    db.execute("create table ngrams (gram text primary key, count integer not null)")
    db.executemany("insert into ngrams values (?, ?)", kept)
    db.commit()
    db.close()
    return {
        "documents": docs,
        "characters": chars,
        "distinct": distinct,
        "entries": len(kept),
        "seconds": time.perf_counter() - t0,
    }


def load(db_path: Path) -> list[str]:
    """The kept n-grams, most frequent first (rapidfuzz breaks ties by position)."""
    db = sqlite3.connect(db_path)
    try:
        return [g for (g,) in db.execute("select gram from ngrams order by count desc")]
    finally:
        db.close()


def suggest(query: str, choices: list[str]) -> list[tuple[str, float]]:
    """The TOP closest n-grams to the query by partial_ratio."""
    from rapidfuzz import fuzz, process

    hits = process.extract(query, choices, scorer=fuzz.partial_ratio, limit=TOP)
    return [(choice, score) for choice, score, _ in hits]


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "build":
        print(json.dumps(build([Path(p) for p in argv[2:]], Path(argv[1]))))
        return 0
    if len(argv) == 3 and argv[0] == "suggest":
        hits = suggest(argv[2], load(Path(argv[1])))
        print(json.dumps({"query": argv[2], "suggestions": hits}, ensure_ascii=False))
        return 0
    print(__doc__.rsplit("\n\n", 1)[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
