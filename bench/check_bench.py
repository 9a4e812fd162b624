"""phraser check benchmark: false alarms on real text, recall on seeded slips, speed.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python bench/check_bench.py                  # banks built in a temp dir
    .venv/bin/python bench/check_bench.py --bundled-bank B.sqlite --reports-bank R.sqlite
    .venv/bin/python bench/check_bench.py --json --seed 7 --cases 500

1. False alarms: every typo `check_text` flags on ../shared/corpora/reports/ (real, edited
   official text, so every flag is a false alarm), per 10,000 characters, once with a bank
   built from the bundled corpus and once with a bank built from the reports themselves.
2. Recall: real paragraphs (the reports and the bundled corpus) in which one occurrence of
   a stock bank phrase gets one character replaced, seeded: by a homophone or a
   near-homophone (confusable initials/finals, tones ignored) that the corpus uses, and in
   a second set by a look-alike from the bank's shape table (phraser/shape.py) that the
   corpus uses; reported for each set and for both together. A slip is found when a typo
   finding covers the replaced character, and fixed first when applying that finding
   restores the paragraph. A slip that turns the phrase into another bank phrase is not
   drawn: the text would then be correct.
3. Speed: a 20,000-character draft (reports text with slips) checked with the index warm,
   median of --repeat runs.

Skips with a message (exit 0) when ../shared is absent. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / ".." / "shared"
REPORTS = SHARED / "corpora" / "reports"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from phraser import text as textmod  # noqa: E402
from phraser.bank import Bank  # noqa: E402
from phraser.build import build  # noqa: E402
from phraser.check import apply_fixes, check_text  # noqa: E402
from phraser.corpus import BUNDLED_CORPUS  # noqa: E402
from phraser.index import Index  # noqa: E402
from phraser.sound import fuzzy, plain  # noqa: E402

TARGETS = {"false_per_10k": 0.5, "recall": 0.90, "fix_first": 0.85, "draft_20k_s": 1.0}
#: A stock phrase, for the recall set: four characters or more, seen this often.
STOCK_MIN_COUNT = 5
#: A replacement character must be this common in the corpora (what an input method offers).
COMMON_CHAR_COUNT = 20


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def documents(folder: Path) -> list[textmod.Document]:
    return [textmod.read_document(p) for p in textmod.find_files([folder])]


def false_alarms(index: Index, docs: list[textmod.Document]) -> dict:
    chars, flags, hints = 0, [], 0
    for d in docs:
        chars += len(d.text)
        for f in check_text(d.text, index):
            if f.level == "typo":
                flags.append(f"{d.name}:{f.line}:{f.col}: {f.wrong} → {f.right} ({f.why})")
            else:
                hints += 1
    return {
        "characters": chars,
        "typo_flags": len(flags),
        "per_10k": len(flags) / chars * 1e4,
        "hints": hints,
        "hints_per_10k": hints / chars * 1e4,
        "flags": flags,
    }


def sound_alikes(char_counts: Counter) -> dict[str, dict[str, list[str]]]:
    """Toneless syllable → {"homophone": [...], "near": [...]}: the common characters an
    input method offers for it, by their first (main) reading, same or confusable."""
    from pypinyin.pinyin_dict import pinyin_dict

    by_plain: dict[str, set[str]] = defaultdict(set)
    for cp, rs in pinyin_dict.items():
        c = chr(cp)
        if 0x4E00 <= cp <= 0x9FFF and char_counts[c] >= COMMON_CHAR_COUNT:
            by_plain[plain(rs.split(",")[0])].add(c)
    by_fuzzy: dict[str, set[str]] = defaultdict(set)
    for syllable, chars in by_plain.items():
        by_fuzzy[fuzzy(syllable)] |= chars
    return {
        s: {"homophone": sorted(by_plain[s]), "near": sorted(by_fuzzy[fuzzy(s)] - by_plain[s])}
        for s in by_plain
    }


def paragraphs(docs: list[textmod.Document]) -> list[str]:
    return [p for d in docs for p in d.text.split("\n") if 60 <= len(p) <= 600]


def look_alikes(index: Index, char_counts: Counter) -> dict[str, list[str]]:
    """Character → the common characters that look like it, from the bank's shape table
    (phraser/shape.py: four-corner code and 拆字 decomposition), among characters the
    corpora use ≥ COMMON_CHAR_COUNT times."""
    rows = index.bank.db.execute("select char, alike from chars where alike is not null")
    out: dict[str, list[str]] = defaultdict(list)
    for wrong, rights in rows:
        if char_counts[wrong] >= COMMON_CHAR_COUNT:
            for right in rights:
                out[right].append(wrong)
    return {c: sorted(ws) for c, ws in out.items()}


def slips(
    index: Index, paras: list[str], alikes: dict, cases: int, seed: int | str, shapes=None
) -> list[tuple[str, str, int, str, str]]:
    """(original paragraph, corrupted paragraph, offset, phrase, kind), seeded: a sound-alike
    slip, or with `shapes` (character → look-alikes) a look-alike slip."""
    rng = random.Random(seed)
    stock = {t for t, e in index.phrases.items() if len(t) >= 4 and e.count >= STOCK_MIN_COUNT}
    longest = max((len(t) for t in stock), default=0)
    order = list(range(len(paras)))
    rng.shuffle(order)
    out = []
    for k in order:
        if len(out) >= cases:
            break
        p = paras[k]
        found = [
            (i, p[i : i + n])
            for i in range(len(p))
            for n in range(4, longest + 1)
            if p[i : i + n] in stock
        ]
        if not found:
            continue
        i, phrase = rng.choice(found)
        if shapes is not None:
            at = [j for j in range(len(phrase)) if shapes.get(phrase[j])]
            if not at:
                continue
            j, kind = rng.choice(at), "look-alike"
            candidates = shapes[phrase[j]]
        else:
            j = rng.randrange(len(phrase))
            pinyin = index.phrases[phrase].pinyin
            if len(pinyin) != len(phrase):
                continue
            kind = "homophone" if rng.random() < 0.7 else "near"
            sounds = alikes.get(pinyin[j], {})
            candidates = sounds.get(kind) or sounds.get("homophone", [])
        options = [
            c
            for c in candidates
            if c != phrase[j] and phrase[:j] + c + phrase[j + 1 :] not in index.phrases
        ]
        if not options:
            continue
        c = rng.choice(options)
        corrupted = p[: i + j] + c + p[i + j + 1 :]
        out.append((p, corrupted, i + j, phrase, kind))
    return out


def recall(index: Index, cases: list[tuple[str, str, int, str, str]]) -> dict:
    found = fixed = other = 0
    missed = []
    for original, corrupted, at, phrase, kind in cases:
        findings = [f for f in check_text(corrupted, index) if f.level == "typo"]
        hit = [f for f in findings if f.offset <= at < f.offset + f.length]
        other += len(findings) - len(hit)
        if hit:
            found += 1
            fixed += apply_fixes(corrupted, hit[:1]) == original
        else:
            missed.append(f"{phrase} → {corrupted[max(0, at - 6) : at + 6]} ({kind})")
    n = max(1, len(cases))
    return {
        "cases": len(cases),
        "found": found,
        "recall": found / n,
        "fix_first": fixed / n,
        "other_flags": other,
        "missed": missed,
    }


def draft_speed(index: Index, docs: list[textmod.Document], repeat: int) -> dict:
    draft = "\n".join(d.text for d in docs)[:20000]
    check_text(draft, index)  # warm-up: lazy postings, readings, the word list
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        check_text(draft, index)
        runs.append(time.perf_counter() - t0)
    return {"characters": len(draft), "median_s": statistics.median(runs), "runs": runs}


def bench(bank_path: Path, label: str, report_docs, recall_docs, args) -> dict:
    t0 = time.perf_counter()
    index = Index.load(Bank(bank_path))
    log(f"[{label}] index loaded in {time.perf_counter() - t0:.1f} s")
    out: dict = {"bank": str(bank_path)}
    log(f"[{label}] false alarms on the reports …")
    out["false_alarms"] = false_alarms(index, report_docs)
    counts = Counter(c for d in recall_docs for c in d.text)
    paras = paragraphs(recall_docs)
    sound = slips(index, paras, sound_alikes(counts), args.cases, args.seed)
    shape = slips(index, paras, {}, args.cases, f"{args.seed}-shape", look_alikes(index, counts))
    for kind, cases in (("sound", sound), ("shape", shape), ("both", sound + shape)):
        log(f"[{label}] recall on {len(cases)} seeded slips ({kind}) …")
        out[f"recall_{kind}"] = recall(index, cases)
    log(f"[{label}] 20,000-character draft …")
    out["speed"] = draft_speed(index, report_docs, args.repeat)
    return out


def print_report(res: dict) -> None:
    print(f"phraser check bench — seed {res['seed']}")
    for label, r in res["banks"].items():
        fa, sp = r["false_alarms"], r["speed"]
        print(f"\n{label} bank ({r['bank']})")
        print(
            f"  false alarms on reports   {fa['typo_flags']} typo flags in "
            f"{fa['characters']:,} chars = {fa['per_10k']:.2f} per 10K "
            f"(target ≤ {TARGETS['false_per_10k']}); hints {fa['hints_per_10k']:.2f} per 10K"
        )
        for flag in fa["flags"][:10]:
            print(f"    {flag}")
        for kind, name in (("sound", "sound-alike"), ("shape", "look-alike"), ("both", "both")):
            rc = r[f"recall_{kind}"]
            print(
                f"  seeded slips, {name:<11} {rc['cases']} cases: recall {rc['recall']:.1%} "
                f"(target ≥ {TARGETS['recall']:.0%}), right fix first {rc['fix_first']:.1%} "
                f"(target ≥ {TARGETS['fix_first']:.0%}), other flags {rc['other_flags']}"
            )
            for m in rc["missed"][:10] if kind != "both" else ():
                print(f"    missed {m}")
        print(
            f"  20,000-char draft, warm   median {sp['median_s']:.2f} s over "
            f"{len(sp['runs'])} runs (target ≤ {TARGETS['draft_20k_s']} s)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundled-bank", type=Path, help="bank of the bundled corpus (else built)")
    ap.add_argument("--reports-bank", type=Path, help="bank of the reports (else built)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the slips (default 1)")
    ap.add_argument("--cases", type=int, default=400, help="slips per bank (default 400)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of the draft (default 3)")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = ap.parse_args(argv)
    reports = REPORTS.resolve()
    if not reports.is_dir():
        log(f"check bench: {reports} is absent; skipping")
        return 0
    report_docs = documents(reports)
    bundled_docs = documents(BUNDLED_CORPUS)
    res: dict = {"seed": args.seed, "targets": TARGETS, "banks": {}}
    with tempfile.TemporaryDirectory(prefix="phraser-check-") as tmp:
        banks = {"bundled": args.bundled_bank, "reports": args.reports_bank}
        sources = {"bundled": [BUNDLED_CORPUS], "reports": [reports]}
        for label, path in banks.items():
            if path is None:
                path = Path(tmp) / f"{label}.sqlite"
                log(f"[{label}] building a bank …")
                build(sources[label], path)
            recall_docs = report_docs + bundled_docs
            res["banks"][label] = bench(path, label, report_docs, recall_docs, args)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        print_report(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
