"""phraser benchmark: build time and memory, warm and cold suggest latency.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python bench/bench.py                 # bundled corpus, warm + cold suggest
    .venv/bin/python bench/bench.py --repeat 5 --json
    .venv/bin/python bench/bench.py --large --reports   # also the shared corpora (minutes)

Every build runs in a fresh subprocess and writes to a temporary bank; the user's
default bank is never touched. Peak memory is the child's own ru_maxrss, read with
os.wait4 in a small launcher process: a child spawned straight from this process would
inherit this process's RSS as its floor (Linux records the pre-exec high-water mark).
Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / ".." / "shared"
#: bench/queries.py's seeded output: 1,221 queries, all six kinds (kind<TAB>query).
QUERIES = REPO / "bench" / "queries.tsv"
LARGE = SHARED / "corpora" / "large"
REPORTS = SHARED / "corpora" / "reports"
COLD_QUERY = "各级各部门要高度重视安全生产"
HUGE_CHARS = 100_000_000

sys.path.insert(0, str(REPO / "bench"))
import baseline  # noqa: E402
import huge  # noqa: E402
from queries import read_tsv  # noqa: E402

TARGETS = {
    "build_s": 10.0,
    "warm_p50_ms": 20.0,
    "warm_p99_ms": 100.0,
    "cold_s": 1.5,
    # Issue 7: the large corpus's build and bank.
    "large_build_s": 60.0,
    "large_rss_mb": 2048.0,
    "large_warm_p50_ms": 5.0,
    "large_warm_p99_ms": 30.0,
    "large_cold_s": 0.5,
    "large_add_ratio": 0.05,  # issue 6: adding 10 documents vs a full rebuild
    "huge_rss_mb": 4096.0,
    "check_20k_s": 1.0,
}
#: Cold runs on an extra corpus's bank (seconds each on the large one).
EXTRA_COLD_REPEAT = 3
#: Documents `--add` adds to an extra corpus's bank (issue 6: ≤ 5 % of a rebuild).
ADD_DOCUMENTS = 10
#: The extra corpora, in the order they are measured and shown.
EXTRAS = ("reports", "large", "huge")
#: What the bundled corpus's measurements are stored under at the top of the result.
BANK_KEYS = ("build", "warm", "cold", "baseline", "check")

# Runs argv[2:] with stdout/stderr inherited, then writes {rc, wall_s, maxrss_kb} of that
# one child as JSON to argv[1]. Kept to the few modules Python imports anyway so the
# launcher's own RSS (the floor the child inherits) stays around 10 MB.
LAUNCHER = """\
import json, os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
kb = ru.ru_maxrss // 1024 if sys.platform == "darwin" else ru.ru_maxrss
with open(sys.argv[1], "w") as f:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "wall_s": wall, "maxrss_kb": kb}, f)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- measuring a child ---------------------------------------------------------------


class ChildError(RuntimeError):
    """A measured child that failed; `peak_mb` is its peak RSS so far when it was stopped."""

    peak_mb: float | None = None


def peak_so_far(launcher_pid: int) -> float | None:
    """VmHWM (peak RSS) of the launcher's child, read from /proc before it is stopped."""
    try:
        children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text()
        pid = int(children.split()[0])
        for status_line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if status_line.startswith("VmHWM:"):
                return int(status_line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_child(
    argv: list[str], env: dict[str, str], workdir: Path, timeout: float | None = None
) -> dict:
    """Run argv once; return wall_s, maxrss_mb, stdout and stderr of that child."""
    result = workdir / "child.json"
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    result.unlink(missing_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        # Own process group, so a timeout stops the measured child too, not just the launcher.
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(result), *argv],
            stdout=out,
            stderr=err,
            env=env,
            cwd=REPO,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except BaseException as exc:
            peak = peak_so_far(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                what = " ".join(Path(a).name for a in argv[1:3])
                error = ChildError(f"{what} timed out after {timeout:g} s")
                error.peak_mb = peak
                raise error from None
            raise
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    if proc.returncode != 0 or not result.exists():
        raise ChildError(f"launcher failed (rc {proc.returncode}): {stderr[-2000:]}")
    info = json.loads(result.read_text())
    if info["rc"] != 0:
        raise ChildError(f"{' '.join(argv[:4])} … exited {info['rc']}: {stderr[-2000:]}")
    return {
        "wall_s": info["wall_s"],
        "maxrss_mb": info["maxrss_kb"] / 1024,
        "stdout": stdout,
        "stderr": stderr,
    }


def child_env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PHRASER_DB"] = str(db)  # belt and braces: --db is passed too
    env.pop("PHRASER_CORPUS", None)  # "bundled corpus" means corpus/ beside the package
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": values,
    }


# -- 1. build --------------------------------------------------------------------------


def bench_build(
    python: str,
    paths: list[Path],
    repeat: int,
    tmp: Path,
    label: str,
    timeout: float | None = None,
) -> tuple[dict, Path]:
    """Build `repeat` times in fresh subprocesses; return figures and the last bank."""
    walls, rsss, bank = [], [], tmp / f"{label}.sqlite"
    last: dict = {}
    for i in range(repeat):
        bank.unlink(missing_ok=True)
        argv = [python, str(REPO / "cli.py"), "build", "--json", "--db", str(bank)]
        argv += [str(p) for p in paths]
        log(f"[{label}] build {i + 1}/{repeat} …")
        r = run_child(argv, child_env(bank), tmp, timeout=timeout)
        walls.append(r["wall_s"])
        rsss.append(r["maxrss_mb"])
        last = json.loads(r["stdout"].strip().splitlines()[-1])
        log(f"[{label}]   {r['wall_s']:.2f} s, peak RSS {r['maxrss_mb']:.0f} MB")
    return {
        "corpus": [str(p) for p in paths] or ["(bundled corpus)"],
        "wall_s": summary(walls),
        "peak_rss_mb": summary(rsss),
        "bank_bytes": bank.stat().st_size,
        "documents": last.get("documents"),
        "characters": last.get("characters"),
        "phrases": last.get("phrases"),
        "templates": last.get("templates"),
        "pairs": last.get("pairs"),
        "in_process_s": last.get("seconds"),
    }, bank


def bench_add(python: str, bank: Path, build_s: float, tmp: Path, label: str) -> dict:
    """`phraser add` of ADD_DOCUMENTS reports (public-domain work reports, not in the bank)
    to a copy of the bank, timed like a build, and its share of the build's time."""
    docs = sorted(REPORTS.resolve().glob("*.txt"))[:ADD_DOCUMENTS]
    if len(docs) < ADD_DOCUMENTS:
        raise FileNotFoundError(f"fewer than {ADD_DOCUMENTS} documents under {REPORTS}")
    folder = tmp / f"{label}-add"
    folder.mkdir(exist_ok=True)
    for doc in docs:
        shutil.copy(doc, folder / doc.name)
    copy = tmp / f"{label}-add.sqlite"
    shutil.copy(bank, copy)
    argv = [python, str(REPO / "cli.py"), "add", "--json", "--db", str(copy), str(folder)]
    log(f"[{label}] add {ADD_DOCUMENTS} documents …")
    r = run_child(argv, child_env(copy), tmp)
    copy.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    log(f"[{label}]   {r['wall_s']:.2f} s, peak RSS {r['maxrss_mb']:.0f} MB")
    return {
        "documents": ADD_DOCUMENTS,
        "wall_s": r["wall_s"],
        "peak_rss_mb": r["maxrss_mb"],
        "ratio": r["wall_s"] / build_s,
    }


# -- 2. warm latency ---------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def load_queries(path: Path) -> list[tuple[str, str]]:
    """(kind, query): a `kind<TAB>query` file, or one query a line (kind "mixed")."""
    return read_tsv(path)


def latency(times: list[float]) -> dict:
    """p50, p90, p99, max, mean of one pass's per-query milliseconds."""
    times = sorted(times)
    return {
        "p50_ms": percentile(times, 0.50),
        "p90_ms": percentile(times, 0.90),
        "p99_ms": percentile(times, 0.99),
        "max_ms": times[-1] if times else math.nan,
        "mean_ms": statistics.fmean(times) if times else math.nan,
        "total_s": sum(times) / 1000,
    }


def by_kind(queries: list[tuple[str, str]], per_query: dict[str, list[float]]) -> dict:
    """kind → {queries, p50_ms, p99_ms} over each query's median time."""
    kinds: dict[str, list[float]] = {}
    for kind, q in queries:
        if q in per_query:
            kinds.setdefault(kind, []).append(statistics.median(per_query[q]))
    return {
        k: {"queries": len(v), "p50_ms": latency(v)["p50_ms"], "p99_ms": latency(v)["p99_ms"]}
        for k, v in sorted(kinds.items())
    }


def bench_warm(
    bank_path: Path, queries: list[tuple[str, str]], repeat: int, slowest: int = 10
) -> dict:
    """Load the bank once; time every query after a warm-up pass, `repeat` passes."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from phraser.bank import Bank
    from phraser.index import Index
    from phraser.suggest import Suggester, prepare

    t0 = time.perf_counter()
    bank = Bank(bank_path)
    index = Index.load(bank)
    load_s = time.perf_counter() - t0
    suggester = Suggester(index)
    usable = [q for _, q in queries if prepare(q)]  # suggest() raises on empty queries
    t = time.perf_counter()  # the first query also builds the index's lazy lookups
    suggester.suggest(usable[0], top=5)
    first_ms = (time.perf_counter() - t) * 1000
    unseen = []  # the warm-up pass: each query new to the process, its lookups not kept yet
    for q in usable[1:]:
        t = time.perf_counter()
        suggester.suggest(q, top=5)
        unseen.append((time.perf_counter() - t) * 1000)
    passes = []
    per_query: dict[str, list[float]] = {}
    for i in range(repeat):
        times = []
        for q in usable:
            t = time.perf_counter()
            suggester.suggest(q, top=5)
            ms = (time.perf_counter() - t) * 1000
            times.append(ms)
            per_query.setdefault(q, []).append(ms)
        passes.append(latency(times))
        log(f"[warm] pass {i + 1}/{repeat}: p50 {passes[-1]['p50_ms']:.2f} ms")
    # The index reads entries as queries ask for them: count what it can match in the bank.
    banned = "where text not in (select text from curation where banned)"
    sizes = [
        bank.db.execute(f"select count(*) from {table} {banned}").fetchone()[0]
        for table in ("phrases", "templates")
    ]
    bank.close()
    medians = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
    worst = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:slowest]
    return {
        "queries": len(usable),
        "skipped_empty": len(queries) - len(usable),
        "index_load_s": load_s,
        "first_query_ms": first_ms,
        "unseen": latency(unseen),
        "index_phrases": sizes[0],
        "index_templates": sizes[1],
        **medians,
        "passes": passes,
        "kinds": by_kind(queries, per_query),
        "per_query_ms": {q: statistics.median(v) for q, v in per_query.items()},
        "slowest": [{"query": q, "ms": statistics.median(v), "chars": len(q)} for q, v in worst],
    }


def profile_queries(bank_path: Path, queries: list[str], top: int = 25) -> str:
    """cProfile the given queries (10 rounds each) over a loaded, warmed-up index."""
    import cProfile
    import io
    import pstats

    from phraser.bank import Bank
    from phraser.index import Index
    from phraser.suggest import Suggester

    suggester = Suggester(Index.load(Bank(bank_path)))
    for q in queries:  # the first queries build the index's lazy lookups: not profiled
        suggester.suggest(q, top=5)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        for q in queries:
            suggester.suggest(q, top=5)
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    return buf.getvalue()


# -- 3. cold suggest ---------------------------------------------------------------------


def bench_cold(python: str, bank: Path, repeat: int, tmp: Path) -> dict:
    argv = [python, str(REPO / "cli.py"), "suggest", "--json", COLD_QUERY, "--db", str(bank)]
    walls, rsss = [], []
    for _ in range(repeat):
        r = run_child(argv, child_env(bank), tmp)
        row = json.loads(r["stdout"].strip().splitlines()[-1])
        if not row.get("suggestions"):
            raise ChildError(f"cold suggest returned no suggestions: {r['stdout'][:500]}")
        walls.append(r["wall_s"])
        rsss.append(r["maxrss_mb"])
    log(f"[cold] median {statistics.median(walls):.3f} s over {repeat} runs")
    return {"query": COLD_QUERY, "wall_s": summary(walls), "peak_rss_mb": summary(rsss)}


# -- 4. the baseline (bench/baseline.py) --------------------------------------------------


def bench_baseline(
    python: str,
    paths: list[Path],
    queries: list[tuple[str, str]],
    args: argparse.Namespace,
    tmp: Path,
    label: str,
    repeat: int,
    cold_repeat: int,
) -> dict:
    """Build, warm and cold figures of the baseline on the same files as phraser's row.

    Its suggest scans every kept n-gram per query (seconds on a big bank), so the warm
    figures cover the first queries of the same (shuffled, mixed) set within
    --baseline-budget seconds, at most --baseline-queries of them."""
    db = tmp / f"{label}-baseline.sqlite"
    script = str(REPO / "bench" / "baseline.py")
    walls, rsss, last = [], [], {}
    for i in range(repeat):
        log(f"[{label} baseline] build {i + 1}/{repeat} …")
        argv = [python, script, "build", str(db), *map(str, paths)]
        r = run_child(argv, child_env(db), tmp, timeout=args.timeout)
        walls.append(r["wall_s"])
        rsss.append(r["maxrss_mb"])
        last = json.loads(r["stdout"].strip().splitlines()[-1])
        log(f"[{label} baseline]   {r['wall_s']:.2f} s, peak RSS {r['maxrss_mb']:.0f} MB")
    out: dict = {
        "build": {
            "wall_s": summary(walls),
            "peak_rss_mb": summary(rsss),
            "characters": last["characters"],
            "documents": last["documents"],
            "entries": last["entries"],
            "distinct": last["distinct"],
        }
    }
    if not args.no_suggest:
        out["warm"] = attempt(f"{label} baseline warm", baseline_warm, db, queries, args)
        out["cold"] = attempt(f"{label} baseline cold", baseline_cold, python, db, cold_repeat, tmp)
    db.unlink(missing_ok=True)
    return out


def baseline_warm(db: Path, queries: list[tuple[str, str]], args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    choices = baseline.load(db)
    load_s = time.perf_counter() - t0
    baseline.suggest(queries[0][1], choices)  # warm-up: rapidfuzz's import, caches
    times, per_query, started = [], {}, time.perf_counter()
    for _, q in queries[: args.baseline_queries]:
        if time.perf_counter() - started > args.baseline_budget:
            break
        t = time.perf_counter()
        baseline.suggest(q, choices)
        per_query[q] = (time.perf_counter() - t) * 1000
        times.append(per_query[q])
    log(f"[baseline warm] {len(times)} queries, p50 {latency(times)['p50_ms']:.1f} ms")
    return {
        "queries": len(times),
        "of": len(queries),
        "index_load_s": load_s,
        **latency(times),
        "kinds": by_kind(queries, {q: [ms] for q, ms in per_query.items()}),
        "per_query_ms": per_query,
    }


def baseline_cold(python: str, db: Path, repeat: int, tmp: Path) -> dict:
    argv = [python, str(REPO / "bench" / "baseline.py"), "suggest", str(db), COLD_QUERY]
    walls, rsss = [], []
    for _ in range(repeat):
        r = run_child(argv, child_env(db), tmp)
        walls.append(r["wall_s"])
        rsss.append(r["maxrss_mb"])
    log(f"[baseline cold] median {statistics.median(walls):.3f} s over {repeat} runs")
    return {"query": COLD_QUERY, "wall_s": summary(walls), "peak_rss_mb": summary(rsss)}


# -- 5. check on a 20,000-character draft (bench/check_bench.py's figure) --------------------


def bench_check(bank_path: Path, repeat: int) -> dict:
    """Warm `check_text` on the first 20,000 characters of the reports, as check_bench."""
    import check_bench

    from phraser.bank import Bank
    from phraser.index import Index

    if not REPORTS.resolve().is_dir():
        return {"skipped": f"{REPORTS.resolve()} is absent"}
    bank = Bank(bank_path)
    try:
        r = check_bench.draft_speed(Index.load(bank), check_bench.documents(REPORTS), repeat)
    finally:
        bank.close()
    log(f"[check] 20K draft median {r['median_s']:.2f} s")
    return r


# -- report ----------------------------------------------------------------------------


def verdict(value: float, target: float, ref: bool = False) -> str:
    if value <= target:
        return "ok"
    return "over (ref)" if ref else "MISSED"


def line(label: str, figure: str, target: float | None = None, unit: str = "") -> str:
    """One report row: label, figure, and when a target is given `≤ target unit` + verdict."""
    text = f"  {label:<28} {figure:<40}"
    if target is None:
        return text.rstrip()
    goal = f"≤ {target:g} {unit}"
    return f"{text} {goal:<12} {{status}}"


def row(
    label: str,
    value: float,
    figure: str,
    target: float | None = None,
    unit: str = "",
    ref: bool = False,
) -> str:
    """ref: the target is the bundled bank's, shown for reference beside another bank."""
    text = line(label, figure, target, unit)
    return text.format(status=verdict(value, target, ref)) if target is not None else text


def spread(s: dict, fmt: str, unit: str) -> str:
    if len(s["runs"]) == 1:
        return f"{s['median']:{fmt}} {unit}"
    return f"median {s['median']:{fmt}} {unit} (min {s['min']:{fmt}}, max {s['max']:{fmt}})"


def last_line(message: str) -> str:
    lines = [x.strip() for x in message.splitlines() if x.strip()]
    return lines[-1] if lines else message


def print_build(b: dict, indent: str = "", kind: str = "bundled") -> None:
    """kind: bundled | large (targets shown) or anything else (figures only)."""
    if "error" in b:
        print(f"{indent}  build failed: {last_line(b['error'])}")
        return
    print(
        f"{indent}  {b['documents']} documents, {b['characters']:,} chars → "
        f"{b['phrases']:,} phrases, {b['templates']:,} templates, {b['pairs']:,} pairs"
    )
    w, r = b["wall_s"], b["peak_rss_mb"]
    wall_target = {"bundled": TARGETS["build_s"], "large": TARGETS["large_build_s"]}.get(kind)
    print(indent + row("build wall time", w["median"], spread(w, ".2f", "s"), wall_target, "s"))
    rss_target = TARGETS[f"{kind}_rss_mb"] if kind in ("large", "huge") else None
    print(
        indent
        + row("build peak RSS (child)", r["median"], spread(r, ".0f", "MB"), rss_target, "MB")
    )
    print(indent + line("bank file", f"{b['bank_bytes'] / 1e6:.1f} MB"))


def print_add(a: dict, target: float | None) -> None:
    if "error" in a:
        print(f"  add failed: {last_line(a['error'])}")
        return
    figure = f"{a['wall_s']:.2f} s, {a['ratio']:.0%} of the build"
    print(row(f"add {a['documents']} documents", a["ratio"], figure, target, "× build"))


def print_cold(c: dict, indent: str = "", ref: bool = False, prefix: str = "") -> None:
    if "error" in c:
        print(f"{indent}  cold suggest failed: {last_line(c['error'])}")
        return
    w = c["wall_s"]
    print(
        indent
        + row(
            "cold suggest wall time",
            w["median"],
            spread(w, ".3f", "s"),
            TARGETS[f"{prefix}cold_s"],
            "s",
            ref,
        )
    )
    print(indent + line("cold suggest peak RSS", f"{c['peak_rss_mb']['median']:.0f} MB"))


def print_warm(w: dict, indent: str = "", ref: bool = False, prefix: str = "") -> None:
    """prefix: "large_" for the large bank's own targets; ref: the bundled bank's targets
    shown for reference beside another bank."""
    if "error" in w:
        print(f"{indent}  warm suggest failed: {last_line(w['error'])}")
        return
    print(
        f"{indent}  warm suggest: {w['queries']} queries, index load {w['index_load_s']:.2f} s, "
        f"first query {w['first_query_ms']:.0f} ms, medians over {len(w['passes'])} pass(es)"
    )
    for key, target in (
        ("p50_ms", TARGETS[f"{prefix}warm_p50_ms"]),
        ("p90_ms", None),
        ("p99_ms", TARGETS[f"{prefix}warm_p99_ms"]),
        ("max_ms", None),
        ("mean_ms", None),
    ):
        label = "warm " + key.replace("_ms", "")
        print(indent + row(label, w[key], f"{w[key]:.2f} ms", target, "ms", ref))
    if "unseen" in w:
        u = w["unseen"]
        seen = f"p50 {u['p50_ms']:.2f} / p99 {u['p99_ms']:.2f} ms"
        print(indent + line("first sight (warm-up pass)", seen))
    for s in w["slowest"][:3]:
        print(indent + line("  slow", f"{s['ms']:.1f} ms  {s['query'][:30]}"))


def print_report(res: dict) -> None:
    env = res["env"]
    print(
        f"phraser bench — {env['commit']} — Python {env['python']} — {env['machine']}, "
        f"{env['cpus']} CPUs — load {env['loadavg_at_start'][0]:.1f} — repeat {res['repeat']}"
    )
    if "commit_at_end" in env:
        print(f"  warning: the code changed during the run (now {env['commit_at_end']})")
    if "build" in res:
        print("\nBundled corpus")
        print_build(res["build"])
        print_cold(res["cold"])
        print_warm(res["warm"])
    titles = {"reports": "Reports corpus", "large": "Large corpus", "huge": "Huge corpus"}
    for key, title in titles.items():
        if key not in res:
            continue
        x = res[key]
        print(f"\n{title} ({x['path']})")
        if "skipped" in x:
            print(f"  skipped: {x['skipped']}")
            continue
        print_build(x["build"], kind=key)
        own = "large_" if key == "large" else ""
        if "add" in x:
            print_add(x["add"], TARGETS["large_add_ratio"] if own else None)
        if "cold" in x:
            print_cold(x["cold"], ref=not own, prefix=own)
        if "warm" in x:
            print_warm(x["warm"], ref=not own, prefix=own)
        if x.get("profile"):
            print(f"\ncProfile of the slowest warm queries on the {key} bank (10 rounds each)")
            print(x["profile"])
    if res.get("profile"):
        print("\ncProfile of the slowest warm queries (10 rounds each, by own time)")
        print(res["profile"])


COLUMNS = (
    "corpus",
    "characters",
    "build s",
    "characters/s",
    "peak MB",
    "bank entries",
    "suggest p50 ms",
    "suggest p99 ms",
    "cold ms",
)


def sections(res: dict) -> list[tuple[str, dict]]:
    """(label, {build, warm, cold, baseline, check}) for every corpus measured, in order."""
    out = []
    if "build" in res:
        out.append(("bundled", {k: res[k] for k in BANK_KEYS if k in res}))
    for key in EXTRAS:
        if key in res and "skipped" not in res[key]:
            out.append((key, res[key]))
    return out


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None or value != value else format(value, fmt)


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b or a != a or b != b else f"{a / b:.2g}×"


def stopped(section: dict, timeout: float | None) -> list[str]:
    """Cells of a build that failed or was stopped at --timeout (with its peak so far)."""
    why = section.get("error", "not measured")
    cells = ["—"] * 8
    cells[1] = f"not finished in {timeout:g} s" if "timed out" in why else "failed"
    peak = section.get("peak_mb_so_far")
    if peak:
        cells[3] = f"≥ {peak:,.0f}"
    return cells


def _figures(x: dict, timeout: float | None) -> tuple[list[str], dict]:
    """Table cells from build (whose entries are phrases + templates + pairs, or the
    baseline's kept n-grams), warm and cold; plus the raw figures for the ratio row."""
    b, w, c = x.get("build", {}), x.get("warm", {}), x.get("cold", {})
    raw: dict = {}
    if "error" in b or not b:
        return stopped(b, timeout), raw
    raw["build_s"] = b["wall_s"]["median"]
    raw["peak_mb"] = b["peak_rss_mb"]["median"]
    entries = b.get("entries")
    if entries is None:
        entries = b["phrases"] + b["templates"] + b["pairs"]
    p50 = p99 = None
    if w and "error" not in w:
        p50, p99 = w["p50_ms"], w["p99_ms"]
    cold = c["wall_s"]["median"] * 1000 if c and "error" not in c else None
    raw.update(p50=p50, p99=p99, cold=cold)
    partial = f" (n={w['queries']})" if w and w.get("of") and w["queries"] < w["of"] else ""
    return [
        f"{b['characters']:,}",
        f"{raw['build_s']:.2f}",
        f"{b['characters'] / raw['build_s']:,.0f}",
        f"{raw['peak_mb']:,.0f}",
        f"{entries:,}",
        _num(p50, ".2f") + partial,
        _num(p99, ".2f") + partial,
        _num(cold, ",.0f"),
    ], raw


def subset_latency(warm: dict, base_warm: dict) -> dict:
    """phraser's p50/p99 over exactly the queries the baseline's warm pass measured."""
    mine = warm.get("per_query_ms", {})
    times = [mine[q] for q in base_warm.get("per_query_ms", {}) if q in mine]
    return latency(times) if times else {}


def table_rows(res: dict, timeout: float | None) -> list[list[str]]:
    """The summary: per corpus a phraser row, its baseline row and phraser/baseline."""
    rows = []
    for label, x in sections(res):
        cells, mine = _figures(x, timeout)
        rows.append([label, *cells])
        base = x.get("baseline")
        if base is None:
            continue
        if "error" in base:
            rows.append(["  baseline", *stopped(base, timeout)])
            continue
        cells, theirs = _figures(base, timeout)
        rows.append(["  baseline", *cells])
        same = subset_latency(x.get("warm", {}), base.get("warm", {}))
        rows.append(
            [
                "  × baseline",
                "",
                _ratio(mine.get("build_s"), theirs.get("build_s")),
                "",
                _ratio(mine.get("peak_mb"), theirs.get("peak_mb")),
                "",
                _ratio(same.get("p50_ms"), theirs.get("p50")),
                _ratio(same.get("p99_ms"), theirs.get("p99")),
                _ratio(mine.get("cold"), theirs.get("cold")),
            ]
        )
    return rows


def render(header: tuple[str, ...] | list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.strip() or " " for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]

    def fmt(r: list[str]) -> str:
        cells = zip(r, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells))

    return "\n".join([fmt(list(header)), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def kind_rows(res: dict) -> tuple[list[str], list[list[str]]]:
    """Per query kind: phraser's p50/p99 on each bank, and the baseline's p50."""
    cols, table = ["kind"], {}
    for label, x in sections(res):
        for who, w in ((label, x.get("warm")), (f"{label} baseline", x.get("baseline", {}))):
            if who.endswith("baseline"):
                w = w.get("warm") if isinstance(w, dict) else None
            if not w or "error" in w or not w.get("kinds"):
                continue
            cols.append(f"{who} p50 / p99 ms")
            for kind, k in w["kinds"].items():
                table.setdefault(kind, {})[cols[-1]] = (
                    f"{k['p50_ms']:.2f} / {k['p99_ms']:.2f} (n={k['queries']})"
                )
    return cols, [[kind] + [table[kind].get(c, "—") for c in cols[1:]] for kind in table]


def print_tables(res: dict, timeout: float | None, markdown: bool) -> None:
    print(
        "\nSummary — medians; bank entries = phrases + templates + pairs (baseline: kept "
        "n-grams); × baseline = phraser / baseline (< 1: phraser is faster or smaller); "
        "baseline p50/p99 over its first n queries, phraser's ratio over the same n"
    )
    print(render(COLUMNS, table_rows(res, timeout), markdown))
    cols, rows = kind_rows(res)
    if rows:
        print("\nWarm suggest by query kind")
        print(render(cols, rows, markdown))
    checks_rows = [
        [label, f"{x['check']['characters']:,}", f"{x['check']['median_s']:.2f}"]
        for label, x in sections(res)
        if "median_s" in x.get("check", {})
    ]
    if checks_rows:
        print(f"\ncheck, 20,000-character draft, warm (target ≤ {TARGETS['check_20k_s']:g} s)")
        print(render(("bank", "characters", "median s"), checks_rows, markdown))


def checks(res: dict) -> dict[str, bool]:
    """Target → met. A measurement that failed counts as missed."""
    out = {}

    def check(key: str, section: dict | None, *path: str) -> None:
        if section is None:
            return
        if "error" in section:
            out[key] = False
            return
        value = section
        for k in path:
            value = value[k]
        out[key] = value <= TARGETS[key]

    check("build_s", res.get("build"), "wall_s", "median")
    check("warm_p50_ms", res.get("warm"), "p50_ms")
    check("warm_p99_ms", res.get("warm"), "p99_ms")
    check("cold_s", res.get("cold"), "wall_s", "median")
    large = res.get("large", {})
    check("large_build_s", large.get("build"), "wall_s", "median")
    check("large_rss_mb", large.get("build"), "peak_rss_mb", "median")
    check("large_warm_p50_ms", large.get("warm"), "p50_ms")
    check("large_warm_p99_ms", large.get("warm"), "p99_ms")
    check("large_cold_s", large.get("cold"), "wall_s", "median")
    check("large_add_ratio", large.get("add"), "ratio")
    check("huge_rss_mb", res.get("huge", {}).get("build"), "peak_rss_mb", "median")
    check("check_20k_s", res.get("check"), "median_s")
    return out


def errors(res: dict) -> list[str]:
    """Sections whose measurement failed, e.g. ["large/cold"]."""
    keys = ("build", "cold", "warm", "check", "baseline")
    out = [k for k in keys if "error" in res.get(k, {})]
    for extra in EXTRAS:
        out += [f"{extra}/{k}" for k in keys if "error" in res.get(extra, {}).get(k, {})]
    return out


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# -- main --------------------------------------------------------------------------------


def attempt(label: str, fn, *args) -> dict:
    """Run one measurement; a failure becomes {"error": ...} so the other figures survive."""
    try:
        return fn(*args)
    except (ChildError, subprocess.TimeoutExpired, sqlite3.Error, OSError) as exc:
        message = f"{exc.__class__.__name__}: {exc}".strip()
        log(f"[{label}] failed: {message[-1500:]}")
        peak = getattr(exc, "peak_mb", None)
        return {"error": message[-1500:], **({"peak_mb_so_far": peak} if peak else {})}


def bench_extra(
    key: str,
    folder: Path,
    args: argparse.Namespace,
    tmp: Path,
    queries: list[tuple[str, str]],
) -> dict:
    folder = folder.resolve()
    if not folder.is_dir():
        log(f"[{key}] {folder} is absent; skipping")
        return {"path": str(folder), "skipped": f"{folder} is absent"}
    out: dict = {"path": str(folder)}
    repeat = args.extra_repeat
    built = attempt(key, bench_build, args.python, [folder], repeat, tmp, key, args.timeout)
    if "error" in built:
        out["build"] = built
    else:
        out["build"], bank = built
        if not args.no_suggest:
            cold = attempt(f"{key} cold", bench_cold, args.python, bank, EXTRA_COLD_REPEAT, tmp)
            out["cold"] = cold
            out["warm"] = attempt(f"{key} warm", bench_warm, bank, queries, 1)
            if args.profile and "error" not in out["warm"]:
                slow = [s["query"] for s in out["warm"]["slowest"]]
                out["profile"] = profile_queries(bank, slow)
        if not args.no_check:
            out["check"] = attempt(f"{key} check", bench_check, bank, args.repeat)
        if args.add and key == "large":  # the added reports are new to that bank only
            build_s = out["build"]["wall_s"]["median"]
            out["add"] = attempt(f"{key} add", bench_add, args.python, bank, build_s, tmp, key)
        bank.unlink(missing_ok=True)
    if not args.no_baseline:
        out["baseline"] = attempt(
            f"{key} baseline",
            bench_baseline,
            args.python,
            [folder],
            queries,
            args,
            tmp,
            key,
            repeat,
            EXTRA_COLD_REPEAT,
        )
    return out


def bench_bundled(
    res: dict, args: argparse.Namespace, tmp: Path, queries: list[tuple[str, str]]
) -> bool:
    """The bundled corpus's figures into `res`; False when its build failed."""
    built = attempt("bundled", bench_build, args.python, [], args.repeat, tmp, "bundled")
    if "error" in built:
        return False
    res["build"], bank = built
    res["cold"] = attempt("cold", bench_cold, args.python, bank, args.cold_repeat, tmp)
    res["warm"] = attempt("warm", bench_warm, bank, queries, args.repeat)
    if args.profile and "error" not in res["warm"]:
        res["profile"] = profile_queries(bank, [s["query"] for s in res["warm"]["slowest"]])
    if not args.no_check:
        res["check"] = attempt("check", bench_check, bank, args.repeat)
    if not args.no_baseline:
        corpus = [REPO / "corpus"]
        res["baseline"] = attempt(
            "bundled baseline",
            bench_baseline,
            args.python,
            corpus,
            queries,
            args,
            tmp,
            "bundled",
            args.repeat,
            args.cold_repeat,
        )
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="builds and warm passes (default 3)")
    ap.add_argument(
        "--cold-repeat", type=int, default=None, help="cold runs (default max(5, --repeat))"
    )
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ap.add_argument("--large", action="store_true", help=f"also build {LARGE} (minutes)")
    ap.add_argument("--reports", action="store_true", help=f"also build {REPORTS}")
    ap.add_argument(
        "--no-suggest",
        action="store_true",
        help="with --large/--reports: skip warm/cold suggest on those banks",
    )
    ap.add_argument("--queries", type=Path, default=QUERIES, help="query file, one per line")
    ap.add_argument("--profile", action="store_true", help="cProfile the slowest warm queries")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the children")
    ap.add_argument(
        "--huge",
        action="store_true",
        help="also make the shuffled, repeated large corpus (--huge-chars) and build it (≈1 h)",
    )
    ap.add_argument("--huge-chars", type=int, default=HUGE_CHARS, help="size of --huge (100M)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the --huge shuffles (1)")
    ap.add_argument(
        "--skip-bundled", action="store_true", help="measure only the extra corpora asked for"
    )
    ap.add_argument(
        "--extra-repeat", type=int, default=1, help="builds of each extra corpus (default 1)"
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip bench/baseline.py")
    ap.add_argument(
        "--baseline-queries",
        type=int,
        default=300,
        help="at most this many queries for the baseline's warm figures (default 300)",
    )
    ap.add_argument(
        "--baseline-budget",
        type=float,
        default=120.0,
        help="seconds of baseline warm queries per corpus (default 120)",
    )
    ap.add_argument("--no-check", action="store_true", help="skip the 20K-character check")
    ap.add_argument(
        "--add",
        action="store_true",
        help=f"after the large corpus's build, time `phraser add` of {ADD_DOCUMENTS} reports",
    )
    ap.add_argument("--markdown", action="store_true", help="print the summary as Markdown")
    ap.add_argument(
        "--show",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="print the summary tables of saved -o results (merged) instead of measuring",
    )
    ap.add_argument(
        "--timeout", type=float, default=None, help="seconds per build of an extra corpus"
    )
    ap.add_argument("-o", "--output", type=Path, help="also write the JSON result to FILE")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument(
        "--bank",
        type=Path,
        help="only warm (--repeat passes) and cold (--cold-repeat) suggest on this built bank",
    )
    args = ap.parse_args(argv)
    args.repeat = max(1, args.repeat)
    args.extra_repeat = max(1, args.extra_repeat)
    args.cold_repeat = max(1, args.cold_repeat or max(5, args.repeat))
    return args


def show(paths: list[Path], timeout: float | None, markdown: bool) -> int:
    """Print the summary tables of saved results (-o files), merged in the order given: a
    later file's corpus replaces an earlier one's."""
    merged: dict = {}
    for path in paths:
        res = json.loads(path.read_text(encoding="utf-8"))
        if "build" in res:
            for key in BANK_KEYS:
                merged.pop(key, None)
        merged.update({k: v for k, v in res.items() if k in BANK_KEYS or k in EXTRAS})
        print(f"{path.name}: {res['env']['commit']}, load {res['env']['loadavg_at_start'][0]:.1f}")
        timeout = timeout or res.get("timeout")
    print_tables(merged, timeout, markdown)
    return 0


def bench_bank(args: argparse.Namespace, queries: list[tuple[str, str]]) -> int:
    """Warm and cold suggest on a bank built already (no build, no baseline): to compare
    two versions of the code on their own banks, one after the other."""
    warm = bench_warm(args.bank, queries, args.repeat)
    tmp = Path(tempfile.mkdtemp(prefix="phraser-bench-"))
    try:
        cold = bench_cold(args.python, args.bank, args.cold_repeat, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res = {
        "bank": str(args.bank),
        "commit": git_commit(),
        "queries": warm["queries"],
        "p50_ms": warm["p50_ms"],
        "p99_ms": warm["p99_ms"],
        "passes": warm["passes"],
        "kinds": warm["kinds"],
        "index_load_s": warm["index_load_s"],
        "first_query_ms": warm["first_query_ms"],
        "unseen": warm["unseen"],
        "cold_s": cold["wall_s"],
    }
    print(json.dumps(res, ensure_ascii=False, indent=None if args.json else 1))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.show:
        return show(args.show, args.timeout, args.markdown)
    queries_path = args.queries.resolve()
    if not queries_path.exists():
        log(f"bench: no query file at {queries_path}")
        return 2
    queries = load_queries(queries_path)
    if args.bank:
        return bench_bank(args, queries)
    res: dict = {
        "env": {
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "loadavg_at_start": list(os.getloadavg()),
        },
        "repeat": args.repeat,
        "timeout": args.timeout,
        "targets": TARGETS,
    }
    tmp = Path(tempfile.mkdtemp(prefix="phraser-bench-"))
    try:
        if not args.skip_bundled and not bench_bundled(res, args, tmp, queries):
            return 1
        if args.reports:
            res["reports"] = bench_extra("reports", REPORTS, args, tmp, queries)
        if args.large:
            res["large"] = bench_extra("large", LARGE, args, tmp, queries)
        if args.huge:
            folder = tmp / "huge-corpus"
            try:
                made = huge.make_corpus(folder, args.huge_chars, args.seed, LARGE)
            except OSError as exc:
                res["huge"] = {"path": str(LARGE.resolve()), "skipped": str(exc)}
            else:
                log(f"[huge] {made['characters']:,} characters in {made['files']} files")
                res["huge"] = bench_extra("huge", folder, args, tmp, queries)
                res["huge"]["made"] = made
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    end_commit = git_commit()
    if end_commit != res["env"]["commit"]:
        res["env"]["commit_at_end"] = end_commit
        log(
            f"bench: warning: the code changed during the run ({res['env']['commit']} → "
            f"{end_commit}); children started later ran the newer code"
        )
    res["checks"] = checks(res)
    res["errors"] = errors(res)
    text = json.dumps(res, ensure_ascii=False, indent=1)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        print_report(res)
        print_tables(res, args.timeout, args.markdown)
        missed = [k for k, ok in res["checks"].items() if not ok]
        print("\ntargets: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
        if res["errors"]:
            print("errors: " + ", ".join(res["errors"]) + " (see above or --json)")
    failed = res["errors"] or not all(res["checks"].values())
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
