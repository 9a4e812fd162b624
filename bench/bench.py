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
QUERIES = SHARED / "eval" / "bench_queries.txt"
LARGE = SHARED / "corpora" / "large"
REPORTS = SHARED / "corpora" / "reports"
COLD_QUERY = "各级各部门要高度重视安全生产"

TARGETS = {
    "build_s": 10.0,
    "warm_p50_ms": 20.0,
    "warm_p99_ms": 100.0,
    "cold_s": 1.5,
    "large_build_s": 600.0,
    "large_rss_mb": 4096.0,
}

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
    pass


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
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if isinstance(exc, subprocess.TimeoutExpired):
                what = " ".join(Path(a).name for a in argv[1:3])
                raise ChildError(f"{what} timed out after {timeout:g} s") from None
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


# -- 2. warm latency ---------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def load_queries(path: Path) -> list[str]:
    return [line.rstrip("\r\n") for line in path.read_text(encoding="utf-8").splitlines()]


def bench_warm(bank_path: Path, queries: list[str], repeat: int, slowest: int = 10) -> dict:
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
    usable = [q for q in queries if prepare(q)]  # suggest() raises on empty queries
    t = time.perf_counter()  # the first query also builds the index's lazy lookups
    suggester.suggest(usable[0], top=5)
    first_ms = (time.perf_counter() - t) * 1000
    for q in usable:  # warm-up
        suggester.suggest(q, top=5)
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
        times.sort()
        passes.append(
            {
                "p50_ms": percentile(times, 0.50),
                "p90_ms": percentile(times, 0.90),
                "p99_ms": percentile(times, 0.99),
                "max_ms": times[-1],
                "mean_ms": statistics.fmean(times),
                "total_s": sum(times) / 1000,
            }
        )
        log(f"[warm] pass {i + 1}/{repeat}: p50 {passes[-1]['p50_ms']:.2f} ms")
    bank.close()
    medians = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
    worst = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:slowest]
    return {
        "queries": len(usable),
        "skipped_empty": len(queries) - len(usable),
        "index_load_s": load_s,
        "first_query_ms": first_ms,
        "index_phrases": len(index.phrases),
        "index_templates": len(index.templates),
        **medians,
        "passes": passes,
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
    rss_target = TARGETS["large_rss_mb"] if kind == "large" else None
    print(
        indent
        + row("build peak RSS (child)", r["median"], spread(r, ".0f", "MB"), rss_target, "MB")
    )
    print(indent + line("bank file", f"{b['bank_bytes'] / 1e6:.1f} MB"))


def print_cold(c: dict, indent: str = "", ref: bool = False) -> None:
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
            TARGETS["cold_s"],
            "s",
            ref,
        )
    )
    print(indent + line("cold suggest peak RSS", f"{c['peak_rss_mb']['median']:.0f} MB"))


def print_warm(w: dict, indent: str = "", ref: bool = False) -> None:
    if "error" in w:
        print(f"{indent}  warm suggest failed: {last_line(w['error'])}")
        return
    print(
        f"{indent}  warm suggest: {w['queries']} queries, index load {w['index_load_s']:.2f} s, "
        f"first query {w['first_query_ms']:.0f} ms, medians over {len(w['passes'])} pass(es)"
    )
    for key, target in (
        ("p50_ms", TARGETS["warm_p50_ms"]),
        ("p90_ms", None),
        ("p99_ms", TARGETS["warm_p99_ms"]),
        ("max_ms", None),
        ("mean_ms", None),
    ):
        label = "warm " + key.replace("_ms", "")
        print(indent + row(label, w[key], f"{w[key]:.2f} ms", target, "ms", ref))
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
    print("\nBundled corpus")
    print_build(res["build"])
    print_cold(res["cold"])
    print_warm(res["warm"])
    for key, title in (("large", "Large corpus"), ("reports", "Reports corpus")):
        if key not in res:
            continue
        x = res[key]
        print(f"\n{title} ({x['path']})")
        if "skipped" in x:
            print(f"  skipped: {x['skipped']}")
            continue
        print_build(x["build"], kind=key)
        if "cold" in x:
            print_cold(x["cold"], ref=True)
        if "warm" in x:
            print_warm(x["warm"], ref=True)
        if x.get("profile"):
            print(f"\ncProfile of the slowest warm queries on the {key} bank (10 rounds each)")
            print(x["profile"])
    if res.get("profile"):
        print("\ncProfile of the slowest warm queries (10 rounds each, by own time)")
        print(res["profile"])


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

    check("build_s", res["build"], "wall_s", "median")
    check("warm_p50_ms", res.get("warm"), "p50_ms")
    check("warm_p99_ms", res.get("warm"), "p99_ms")
    check("cold_s", res.get("cold"), "wall_s", "median")
    large = res.get("large", {})
    check("large_build_s", large.get("build"), "wall_s", "median")
    check("large_rss_mb", large.get("build"), "peak_rss_mb", "median")
    return out


def errors(res: dict) -> list[str]:
    """Sections whose measurement failed, e.g. ["large/cold"]."""
    out = [k for k in ("build", "cold", "warm") if "error" in res.get(k, {})]
    for extra in ("large", "reports"):
        out += [
            f"{extra}/{k}"
            for k in ("build", "cold", "warm")
            if "error" in res.get(extra, {}).get(k, {})
        ]
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
        return {"error": message[-1500:]}


def bench_extra(
    key: str, folder: Path, args: argparse.Namespace, tmp: Path, queries: list[str]
) -> dict:
    folder = folder.resolve()
    if not folder.is_dir():
        log(f"[{key}] {folder} is absent; skipping")
        return {"path": str(folder), "skipped": f"{folder} is absent"}
    out: dict = {"path": str(folder)}
    built = attempt(key, bench_build, args.python, [folder], 1, tmp, key, args.timeout)
    if "error" in built:
        out["build"] = built
        return out
    out["build"], bank = built
    if not args.no_suggest:
        out["cold"] = attempt(f"{key} cold", bench_cold, args.python, bank, 3, tmp)
        out["warm"] = attempt(f"{key} warm", bench_warm, bank, queries, 1)
        if args.profile and "error" not in out["warm"]:
            out["profile"] = profile_queries(bank, [s["query"] for s in out["warm"]["slowest"]])
    bank.unlink(missing_ok=True)
    return out


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
    ap.add_argument("--timeout", type=float, default=None, help="seconds per large build")
    ap.add_argument("-o", "--output", type=Path, help="also write the JSON result to FILE")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)
    args.repeat = max(1, args.repeat)
    args.cold_repeat = max(1, args.cold_repeat or max(5, args.repeat))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    queries_path = args.queries.resolve()
    if not queries_path.exists():
        log(f"bench: no query file at {queries_path}")
        return 2
    queries = load_queries(queries_path)
    res: dict = {
        "env": {
            "commit": git_commit(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}",
            "cpus": os.cpu_count(),
            "loadavg_at_start": list(os.getloadavg()),
        },
        "repeat": args.repeat,
        "targets": TARGETS,
    }
    tmp = Path(tempfile.mkdtemp(prefix="phraser-bench-"))
    try:
        built = attempt("bundled", bench_build, args.python, [], args.repeat, tmp, "bundled")
        if "error" in built:
            return 1
        res["build"], bank = built
        res["cold"] = attempt("cold", bench_cold, args.python, bank, args.cold_repeat, tmp)
        res["warm"] = attempt("warm", bench_warm, bank, queries, args.repeat)
        if args.profile and "error" not in res["warm"]:
            slow = [s["query"] for s in res["warm"]["slowest"]]
            res["profile"] = profile_queries(bank, slow)
        if args.large:
            res["large"] = bench_extra("large", LARGE, args, tmp, queries)
        if args.reports:
            res["reports"] = bench_extra("reports", REPORTS, args, tmp, queries)
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
        missed = [k for k, ok in res["checks"].items() if not ok]
        print("\ntargets: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
        if res["errors"]:
            print("errors: " + ", ".join(res["errors"]) + " (see above or --json)")
    failed = res["errors"] or not all(res["checks"].values())
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
