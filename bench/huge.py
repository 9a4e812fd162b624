"""The 100M-character corpus of issue 7: ../shared/corpora/large shuffled and repeated.

Every line of the large corpus (one news item) goes into a pool; each repetition shuffles
the pool with its own seed (`seed-rep`) and writes it out in files of about FILE_CHARS
characters until `chars` characters are written. Each file differs from every other, so
phraser's duplicate-document check keeps them all. The corpus is never committed:
bench/bench.py --huge makes it in its temporary folder and deletes it with the folder.

Repetition multiplies counts, not vocabulary (items are whole lines and Han runs never
cross a line), so this measures how build time and memory scale with the volume of text
at a fixed vocabulary, not with a growing one.

    .venv/bin/python bench/huge.py OUT_DIR --chars 20000000 --seed 1   # to look at it
    .venv/bin/python bench/bench.py --huge --skip-bundled --timeout 7200  # to measure it
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LARGE = REPO / ".." / "shared" / "corpora" / "large"
FILE_CHARS = 2_000_000


def make_corpus(dest: Path, chars: int, seed: int = 1, source: Path = LARGE) -> dict:
    """Write about `chars` characters (whole items) into `dest`; return what was written."""
    items: list[str] = []
    for path in sorted(source.resolve().glob("*.txt")):
        items += [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    if not items:
        raise FileNotFoundError(f"no .txt items under {source}")
    dest.mkdir(parents=True, exist_ok=True)
    written = files = rep = 0
    while written < chars:
        pool = list(items)
        random.Random(f"{seed}-{rep}").shuffle(pool)
        chunk: list[str] = []
        size = 0
        for item in pool:
            chunk.append(item)
            size += len(item) + 1
            written += len(item) + 1
            if size >= FILE_CHARS or written >= chars:
                (dest / f"huge_{files:04d}.txt").write_text("\n".join(chunk) + "\n", "utf-8")
                files += 1
                chunk, size = [], 0
            if written >= chars:
                break
        if chunk:
            (dest / f"huge_{files:04d}.txt").write_text("\n".join(chunk) + "\n", "utf-8")
            files += 1
        rep += 1
    return {"path": str(dest), "characters": written, "files": files, "repetitions": rep}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path, help="folder to write (created)")
    ap.add_argument("--chars", type=int, default=100_000_000, help="characters (100M)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the shuffles (default 1)")
    args = ap.parse_args(argv)
    print(make_corpus(args.dest, args.chars, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
