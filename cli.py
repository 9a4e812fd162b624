"""phraser's command line: parse, call the library, print. No logic lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from phraser import __version__

DB_OPTION = click.option(
    "-d",
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PHRASER_DB",
    help="Phrase bank file [env PHRASER_DB; default: per-user data dir].",
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")


def _db_path(db_path: Path | None) -> Path:
    from phraser.bank import default_path

    return db_path or default_path()


def _console(stderr: bool = False):
    """Rich console: fits the terminal on a TTY; piped output is never folded mid-row."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def _open_bank(db_path: Path | None, *, build_if_missing: bool = False):
    """Open the bank, building it from the bundled corpus on first use when asked — or
    when the bank there is the bundled corpus's, from an older phraser."""
    from phraser.bank import Bank, BankError, StaleBankError

    path = _db_path(db_path)
    if not path.exists() and build_if_missing:
        click.echo(f"phraser: no bank at {path}; building one from the bundled corpus…", err=True)
        _run_build([], path, quiet=True)
    try:
        return Bank(path)
    except StaleBankError as exc:
        from phraser.build import is_bundled_build  # the build's modules only when needed

        if not (build_if_missing and is_bundled_build(exc)):
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"phraser: {path} is the bundled corpus's bank from an older phraser; rebuilding it…",
            err=True,
        )
        _run_build([], path, quiet=True)
        return Bank(path)
    except BankError as exc:
        hint = "" if "Rebuild" in str(exc) else "\n\nRun `phraser build` first."
        raise click.ClickException(f"{exc}{hint}") from None


def _run_build(
    paths: list[Path], path: Path, *, quiet: bool = False, tags=(), workers=None, **params
):
    from phraser.build import build
    from phraser.mine import MineParams

    return _with_progress(
        lambda progress, warn: build(
            paths,
            path,
            MineParams(**params),
            tags=tags,
            progress=progress,
            warn=warn,
            workers=workers,
        ),
        quiet=quiet,
    )


def _with_progress(run, *, quiet: bool = False):
    """Call `run(progress, warn)` with a progress bar on a terminal; warnings to stderr,
    a failed build as a one-line error (the old bank is left as it was)."""
    from phraser.bank import BankError
    from phraser.build import BuildError

    def warn(message: str) -> None:
        click.echo(f"phraser: warning: {message}", err=True)

    progress = None
    bar = None
    if not quiet and sys.stderr.isatty():
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=_console(stderr=True),
            transient=True,
        )
        task = bar.add_task("reading", total=1)

        def progress(stage: str, done: int, total: int) -> None:
            if total:
                bar.update(task, description=stage, completed=done, total=total)
            else:
                bar.update(task, description=stage)

        bar.start()
    try:
        return run(progress, warn)
    except BuildError as exc:
        raise click.ClickException(str(exc)) from None
    except BankError as exc:
        hint = "" if "Rebuild" in str(exc) else "\n\nRun `phraser build` first."
        raise click.ClickException(f"{exc}{hint}") from None
    finally:
        if bar is not None:
            bar.stop()


def _print_summary(verb: str, path: Path, s, as_json: bool) -> None:
    summary = {
        "bank": str(path),
        "documents": s.documents,
        "characters": s.characters,
        "phrases": s.phrases,
        "templates": s.templates,
        "pairs": s.pairs,
        "seconds": round(s.seconds, 2),
        "skipped": s.skipped,
        "duplicates": s.duplicates,
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(
        f"{verb} {path}: {s.documents} documents, {s.characters:,} characters → "
        f"{s.phrases:,} phrases, {s.templates:,} templates, {s.pairs:,} pairs "
        f"in {s.seconds:.1f} s"
        + (f" ({s.skipped} skipped)" if s.skipped else "")
        + (f" ({s.duplicates} duplicates)" if s.duplicates else "")
    )


TAG_OPTION = click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Tag the documents read (repeatable): suggest, search and export can filter by it.",
)
FILTER_TAG_OPTION = click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only entries found in documents with this tag (repeatable: any of them).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="phraser")
def cli() -> None:
    """phraser: stock phrases for Chinese official writing (公文), mined from a corpus.

    \b
    Example:
        phraser build                      # mine the bundled corpus
        phraser suggest 各级各部门要高度重视安全生产
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@DB_OPTION
@click.option(
    "--min-count",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Keep phrases seen at least this often.",
)
@click.option(
    "--max-len",
    default=8,
    show_default=True,
    type=click.IntRange(4, 12),
    help="Longest phrase, in characters.",
)
@TAG_OPTION
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Processes for the statistics pass (default: this machine's cores, at most 4). "
    "The bank is the same whatever the number.",
)
@JSON_OPTION
def build(
    paths: tuple[Path, ...],
    db_path: Path | None,
    min_count: int,
    max_len: int,
    tags: tuple[str, ...],
    workers: int | None,
    as_json: bool,
) -> None:
    """Mine PATHS (files or folders; default: the bundled corpus) into a phrase bank.

    Reads .txt (UTF-8, GBK/GB18030 or UTF-16), .md, .html and .docx, recursively. The
    new bank replaces the old one only when the build succeeds.

    \b
    Example:
        phraser build ~/公文/ --db mybank.sqlite
    """
    path = _db_path(db_path)
    s = _run_build(
        list(paths), path, tags=tags, workers=workers, min_count=min_count, max_len=max_len
    )
    _print_summary("built", path, s, as_json)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@DB_OPTION
@TAG_OPTION
@JSON_OPTION
def add(
    paths: tuple[Path, ...], db_path: Path | None, tags: tuple[str, ...], as_json: bool
) -> None:
    """Add the documents under PATHS to the bank; the old documents are not read again.

    The bank is mined again from the texts it keeps, with the parameters it was built
    with, so it equals a build over all the documents. Documents already in the bank
    (same text) are skipped.

    \b
    Example:
        phraser add ~/公文/2025/ --tag 2025
    """
    from phraser import build as buildmod

    path = _db_path(db_path)
    if not path.exists():
        raise click.ClickException(f"no bank at {path}\n\nRun `phraser build PATH…` first.")
    s = _with_progress(
        lambda progress, warn: buildmod.add(
            list(paths), path, tags=tags, progress=progress, warn=warn
        )
    )
    _print_summary("added to", path, s, as_json)


@cli.command()
@click.argument("documents", nargs=-1, required=True)
@DB_OPTION
@JSON_OPTION
def remove(documents: tuple[str, ...], db_path: Path | None, as_json: bool) -> None:
    """Take DOCUMENTS (id, path or file name, as `phraser stats --documents` lists them)
    out of the bank, and mine it again without them.

    \b
    Example:
        phraser remove 2019年工作总结.docx
    """
    from phraser import build as buildmod

    path = _db_path(db_path)
    if not path.exists():
        raise click.ClickException(f"no bank at {path}\n\nRun `phraser build PATH…` first.")
    gone, s = _with_progress(
        lambda progress, _warn: buildmod.remove(list(documents), path, progress=progress)
    )
    if not as_json:
        for d in gone:
            click.echo(f"removed {d.name}", err=True)
    _print_summary("rebuilt", path, s, as_json)


def _queries(query: tuple[str, ...], file) -> list[str]:
    """Queries from the file (one a line) or argv; bytes that were not UTF-8 become �."""
    if file is not None:
        return [line.rstrip("\r\n") for line in file]
    text = " ".join(query)
    return [text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")]


@cli.command()
@click.argument("query", nargs=-1)
@click.option(
    "-f",
    "--file",
    type=click.File("r", encoding="utf-8", errors="replace"),
    help="Read queries from FILE, one per line ('-' for stdin).",
)
@click.option("-k", "--top", default=5, show_default=True, type=click.IntRange(1, 100))
@DB_OPTION
@FILTER_TAG_OPTION
@JSON_OPTION
def suggest(
    query: tuple[str, ...],
    file,
    top: int,
    db_path: Path | None,
    tags: tuple[str, ...],
    as_json: bool,
) -> None:
    """Suggest stock phrases for QUERY: those it contains, fixes, templates, companions.

    \b
    Example:
        phraser suggest 以科学发展观作为指导
        phraser suggest --json --file drafts.txt
    """
    from phraser.index import Index
    from phraser.suggest import Suggester, answer, has_han, prepare

    queries = _queries(query, file)
    if file is None and not prepare(queries[0]):
        raise click.UsageError("empty query: type a sentence, or use --file")
    bank = _open_bank(db_path, build_if_missing=True)
    suggester = Suggester(Index.load(bank, _known_tags(bank, tags)))
    console = None if as_json else _console()
    for q in queries:
        if as_json:
            click.echo(json.dumps(answer(suggester, q, top=top), ensure_ascii=False))
            continue
        prepared = prepare(q)
        results = suggester.suggest(q, top=top) if prepared else []
        if prepared and not has_han(prepared):
            click.echo(f"phraser: no Chinese in {q!r}; nothing to suggest", err=True)
            continue
        _print_suggestions(console, q, results)


def _known_tags(bank, tags: tuple[str, ...]) -> tuple[str, ...]:
    """The tags asked for, when the bank has them all; a typo in a tag is an error, not an
    empty result."""
    have = bank.tags()
    unknown = [t for t in tags if t not in have]
    if unknown:
        listed = "、".join(have) if have else "none: `phraser build --tag …` adds them"
        raise click.UsageError(f"no document is tagged {', '.join(unknown)} (tags: {listed})")
    return tags


def _print_suggestions(console, query: str, results) -> None:
    from rich.table import Table

    title = query if len(query) <= 60 else query[:60] + "…"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in ("#", "suggestion", "match", "score", "why"):
        table.add_column(col, overflow="fold")
    for i, s in enumerate(results, start=1):
        why = ("pinned; " if s.pinned else "") + s.why + (f" → {s.rewrite}" if s.rewrite else "")
        table.add_row(str(i), f"[bold]{s.text}[/]", s.match, f"{s.score:.2f}", why)
    if not results:
        table.add_row("", "(no suggestions)", "", "", "")
    console.print(table)


@cli.command()
@click.option("-k", "--top", default=5, show_default=True, type=click.IntRange(1, 20))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append each finished line to FILE.",
)
@click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PHRASER_HISTORY",
    help="History file [env PHRASER_HISTORY; default: per-user data dir].",
)
@DB_OPTION
def draft(top: int, output: Path | None, history: Path | None, db_path: Path | None) -> None:
    """Write in a prompt that suggests for the sentence you are typing.

    Suggestions update under the line as you type; Tab or the arrow keys pick one, Enter
    puts it in the line (a rewrite replaces the sentence), Enter again finishes the line.
    Up recalls earlier lines, across sessions. Ctrl-C or Ctrl-D leaves.

    \b
    Example:
        phraser draft -o 讲话稿.txt
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError(
            "phraser draft needs a terminal; for piped text use `phraser suggest --file -`"
        )
    from phraser import draft as drafting
    from phraser.index import Index
    from phraser.suggest import Suggester

    bank = _open_bank(db_path, build_if_missing=True)
    suggester = Suggester(Index.load(bank))
    suggester.suggest("高度重视")  # build the lazy postings now, not on the first keystroke
    session = drafting.make_session(
        suggester, top=top, history=history or drafting.default_history()
    )
    sink = None
    if output is not None:
        try:
            out = open(output, "a", encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None

        def sink(line: str) -> None:
            out.write(line + "\n")
            out.flush()

    try:
        lines = drafting.run(session, sink)
    finally:
        if output is not None:
            out.close()
    if output is not None:
        click.echo(f"wrote {len(lines)} lines to {output}", err=True)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback is warned about.",
)
@click.option("-p", "--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@DB_OPTION
def serve(host: str, port: int, db_path: Path | None) -> None:
    """Serve a drafting page and its JSON API on this machine.

    The page suggests for the sentence under the cursor, underlines typos and searches
    the bank; the API (/api/suggest, /api/check, /api/search, /api/phrases/TEXT,
    schema at /openapi.json) answers with the shapes of the CLI's --json.

    \b
    Example:
        phraser serve --port 8765     # then open http://127.0.0.1:8765/
    """
    from phraser import serve as server
    from phraser.bank import BankError

    if not server.is_local(host):
        click.echo(
            f"phraser: warning: listening on {host}: anyone who can reach this address "
            "can read the bank",
            err=True,
        )
    path = _db_path(db_path)
    _open_bank(path, build_if_missing=True).close()
    try:
        sock = server.listen(host, port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    try:
        engine = server.Engine(path)
    except BankError as exc:
        sock.close()
        raise click.ClickException(str(exc)) from None
    app = server.create_app(engine, hosts=server.allowed_hosts(host))
    click.echo(f"phraser: serving {server.url(sock)} (Ctrl-C stops)", err=True)
    try:
        server.serve(app, sock)
    finally:
        engine.close()


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--fix", is_flag=True, help="Write a corrected copy beside each file (draft.fixed.txt)."
)
@click.option(
    "--in-place", is_flag=True, help="Correct the files themselves, keeping a backup (.bak)."
)
@DB_OPTION
@JSON_OPTION
def check(files: tuple[Path, ...], fix: bool, in_place: bool, db_path: Path | None, as_json: bool):
    """Proofread FILES (.txt in UTF-8 or GBK, .md, .docx; '-' for stdin) like a linter.

    Reports stock formulations written wrong (狠抓落失 → 狠抓落实) as typos, template
    misuse and spoken wording as hints. Exit status: 1 when typos were found, 0 when
    clean, 2 on bad usage or a file that cannot be read. With '-', --fix prints the
    corrected text on stdout and the findings on stderr.

    \b
    Example:
        phraser check 讲话稿.docx 通知.txt
        phraser check --fix 讲话稿.docx        # writes 讲话稿.fixed.docx
        cat draft.txt | phraser check --json -
    """
    from phraser import checkfile
    from phraser.check import check_text
    from phraser.index import Index
    from phraser.text import ReadError

    stdin = [f for f in files if str(f) == "-"]
    if stdin and in_place:
        raise click.UsageError("--in-place needs a file: standard input has none")
    if len(stdin) > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    index = Index.load(_open_bank(db_path, build_if_missing=True))
    fix_stdout = bool(stdin) and fix
    console = _console(stderr=fix_stdout)
    typos = hints = 0
    failed = False
    for path in files:
        try:
            if str(path) == "-":
                with click.open_file("-", "rb") as stream:
                    data = stream.read()
                draft = checkfile.draft_from_bytes(data, "-")
            else:
                draft = checkfile.read_draft(path)
        except ReadError as exc:
            click.echo(f"phraser: error: {path}: {exc}", err=True)
            failed = True
            continue
        findings = check_text(draft.text, index)
        typos += sum(f.level == "typo" for f in findings)
        hints += sum(f.level == "hint" for f in findings)
        row: dict = {"file": draft.name, "findings": [f.to_dict() for f in findings]}
        try:
            row.update(_write_fixes(draft, findings, fix, in_place))
        except (checkfile.FixError, OSError) as exc:
            click.echo(f"phraser: error: {draft.name}: {exc}", err=True)
            failed = True
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False), err=fix_stdout)
        else:
            _print_findings(console, draft.name, findings)
    if not as_json:
        click.echo(f"{_plural(typos, 'typo')}, {_plural(hints, 'hint')}", err=True)
    sys.exit(2 if failed else 1 if typos else 0)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('x') else 's'}"


def _write_fixes(draft, findings, fix: bool, in_place: bool) -> dict:
    """Write what --fix / --in-place ask for; return what was written, for --json."""
    from phraser import checkfile
    from phraser.check import apply_fixes

    typos = [f for f in findings if f.level == "typo"]
    if draft.path is None:
        if fix:
            sys.stdout.buffer.write(checkfile.encoded(draft, apply_fixes(draft.text, typos)))
            sys.stdout.flush()
        return {}
    if not (fix or in_place):
        return {}
    if not typos:
        click.echo(f"phraser: {draft.name}: nothing to fix", err=True)
        return {}
    if in_place:
        n, backup = checkfile.fix_in_place(draft, typos)
        click.echo(f"phraser: fixed {draft.name} ({_plural(n, 'fix')}; backup {backup})", err=True)
        return {"fixed": str(draft.path), "backup": str(backup)}
    target = checkfile.fixed_path(draft.path)
    n = checkfile.write_fixed(draft, typos, target)
    click.echo(f"phraser: wrote {target} ({_plural(n, 'fix')})", err=True)
    return {"fixed": str(target)}


def _print_findings(console, name: str, findings) -> None:
    """One line per finding, as compilers and linters print them: file:line:col: level …"""
    from rich.markup import escape

    colour = {"typo": "bold red", "hint": "yellow"}
    for f in findings:
        console.print(
            f"[bold]{escape(name)}:{f.line}:{f.col}:[/] [{colour[f.level]}]{f.level}[/] "
            f"{escape(f.wrong)} → [bold]{escape(f.right)}[/] ({escape(f.why)})",
            soft_wrap=True,
        )


@cli.command()
@click.argument("text")
@DB_OPTION
@JSON_OPTION
def show(text: str, db_path: Path | None, as_json: bool) -> None:
    """Show the card of one bank entry: counts, scores, examples, companions, templates.

    \b
    Example:
        phraser show 齐抓共管
        phraser show 以……为指导
    """
    from phraser.card import card

    bank = _open_bank(db_path)
    entry = card(bank, text)
    if entry is None:
        raise click.ClickException(
            f"「{text}」 is not in the bank. Try `phraser search '*{text}*'`."
        )
    if as_json:
        click.echo(json.dumps(entry, ensure_ascii=False, indent=1))
        return
    _print_card(_console(), entry)


def _window(sentence: str, start: int, width: int, room: int) -> tuple[str, int, int]:
    """Cut a sentence to `room` characters around the highlighted span, marking cuts with …."""
    if len(sentence) <= room:
        return sentence, start, width
    left = max(0, min(start - (room - width) // 2, len(sentence) - room)) if start >= 0 else 0
    cut = sentence[left : left + room]
    prefix = "…" if left > 0 else ""
    suffix = "…" if left + room < len(sentence) else ""
    return prefix + cut + suffix, (start - left + len(prefix)) if start >= 0 else -1, width


def _print_card(console, entry: dict) -> None:
    from rich.markup import escape

    console.print(f"[bold]{escape(entry['text'])}[/]  ({entry['kind']})")
    if entry.get("banned"):
        console.print(
            "  [bold red]banned[/]: never suggested or exported "
            f"(`phraser unban {escape(entry['text'])}` takes it back)"
        )
    for flag, what in (("pinned", "ranks first when it matches"), ("added", "added by hand")):
        if entry.get(flag):
            console.print(f"  [bold]{flag}[/]: {what}")
    if entry.get("note"):
        console.print(f"  note           {escape(entry['note'])}")
    for key in (
        "count",
        "documents",
        "fillers_seen",
        "score",
        "pmi",
        "left_entropy",
        "right_entropy",
        "dispersion",
    ):
        if entry.get(key) is not None:
            console.print(f"  {key:<14} {entry[key]}")
    if entry.get("examples"):
        console.print("examples:")
        room = max(20, (console.width - 30) // 2)  # Han characters take two columns
        for ex in entry["examples"]:
            s, start, hl = _window(ex["sentence"], ex["start"], ex["highlight"], room)
            if start >= 0:
                shown = escape(s[:start]) + "[reverse]" + escape(s[start : start + hl]) + "[/]"
                shown += escape(s[start + hl :])
            else:
                shown = escape(s)
            console.print(f"  {ex['document']}:{ex['line']}:{ex['col']}  {shown}")
    if entry.get("companions"):
        console.print(
            "companions: "
            + "、".join(f"{c['text']} (×{c['count']})" for c in entry["companions"][:8])
        )
    if entry.get("fillers"):
        console.print(
            "fillers: " + "、".join(f"{f['filler']} (×{f['count']})" for f in entry["fillers"])
        )
    if entry.get("templates"):
        console.print(
            "fills: " + "、".join(f"{t['text']} (×{t['count']})" for t in entry["templates"])
        )
    sources = entry.get("sources") or []
    if sources:
        shown = [
            escape(d["name"]) + f" (×{d['count']}" + "".join(f", {t}" for t in d["tags"]) + ")"
            for d in sources[:SHOWN_SOURCES]
        ]
        more = len(sources) - SHOWN_SOURCES
        console.print("found in: " + "、".join(shown) + (f" … and {more} more" if more > 0 else ""))


#: Documents listed on a card before "… and N more".
SHOWN_SOURCES = 8


@cli.command()
@click.argument("pattern")
@click.option("-n", "--limit", default=30, show_default=True, type=click.IntRange(1))
@DB_OPTION
@FILTER_TAG_OPTION
@JSON_OPTION
def search(
    pattern: str, limit: int, db_path: Path | None, tags: tuple[str, ...], as_json: bool
) -> None:
    """Wildcard lookup in the bank: `*` any run of characters, `?` exactly one.

    \b
    Example:
        phraser search '以*为指导'
        phraser search '?抓?管'
    """
    from phraser.suggest import prepare

    if not prepare(pattern):
        raise click.UsageError("empty pattern")
    bank = _open_bank(db_path)
    rows = bank.search(prepare(pattern), limit=limit, tags=_known_tags(bank, tags))
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"phraser: nothing matches {pattern}", err=True)
        return
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for col in ("text", "kind", "count", "score"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["text"], row["kind"], str(row["count"]), f"{row['score']:.2f}")
    _console().print(table)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl", "md", "xlsx", "jieba"]),
    default="csv",
    show_default=True,
    help="jieba: a user dictionary (word freq tag) of the phrases; xlsx needs -o.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["phrase", "template", "pair"]),
    help="Entry kinds to export (repeatable; default all).",
)
@click.option(
    "--min-count", default=0, type=click.IntRange(0), help="Only entries seen this often."
)
@click.option("--pinned", is_flag=True, help="Only the entries you pinned.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of stdout.",
)
@DB_OPTION
@FILTER_TAG_OPTION
def export(
    fmt: str,
    kinds: tuple[str, ...],
    min_count: int,
    pinned: bool,
    output: Path | None,
    db_path: Path | None,
    tags: tuple[str, ...],
) -> None:
    """Export the bank as CSV, JSON, JSON Lines, Markdown, xlsx or a jieba dictionary.

    Banned entries are never exported. Columns: text, kind, count, documents, score,
    examples, companions, fillers, note, pinned, added.

    \b
    Example:
        phraser export --format jsonl --kind phrase --min-count 3 -o phrases.jsonl
        phraser export --format xlsx -o bank.xlsx
        phraser export --format jieba -o userdict.txt   # jieba.load_userdict(...)
    """
    from phraser import export as exporter
    from phraser.bank import ExportFilter

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give it a file with -o")
    bank = _open_bank(db_path)
    if fmt == "jieba":
        kinds = ("phrase",)
    where = ExportFilter(
        frozenset(kinds or ("phrase", "template", "pair")),
        min_count,
        pinned,
        _known_tags(bank, tags),
    )
    rows = bank.export_rows(where)
    options = {}
    if fmt == "jieba":
        options = {"idioms": bank.idioms()}
    if output is None:
        n = exporter.write(rows, fmt, sys.stdout, **options)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        if fmt == "xlsx":
            n = exporter.write_xlsx(rows, tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                n = exporter.write(rows, fmt, f, **options)
        tmp.replace(output)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"wrote {n:,} entries to {output}", err=True)


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@DB_OPTION
def import_(file: Path, db_path: Path | None) -> None:
    """Read curation back from FILE: an export (.csv, .json, .jsonl, .xlsx) or a
    curation sidecar (.curation.json).

    Each row's pinned, banned, added and note columns become that entry's curation;
    columns the file lacks, and entries it does not list, are left as they were.

    \b
    Example:
        phraser export --format xlsx -o bank.xlsx    # curate it in a spreadsheet…
        phraser import bank.xlsx                     # …and bring the edits back
    """
    from phraser import curation
    from phraser.export import read_curation

    path = _db_path(db_path)
    _open_bank(db_path).close()
    try:
        updates = read_curation(file)
        changed, skipped = curation.merge(path, updates)
    except (ValueError, curation.CurationError) as exc:
        raise click.ClickException(str(exc)) from None
    for text in skipped[:5]:
        click.echo(f"phraser: warning: 「{text}」 is not in the bank; skipped", err=True)
    if len(skipped) > 5:
        click.echo(f"phraser: warning: {len(skipped) - 5} more not in the bank", err=True)
    click.echo(f"imported {file}: {len(updates):,} rows, {changed:,} entries changed")


def _curate(action, db_path: Path | None, *args) -> None:
    """Run one curation edit, printing what it did or one line saying why not."""
    from phraser.bank import BankError
    from phraser.curation import CurationError

    try:
        click.echo(action(_db_path(db_path), *args))
    except (CurationError, BankError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.argument("text")
@DB_OPTION
def pin(text: str, db_path: Path | None) -> None:
    """Pin TEXT: it ranks first among the suggestions whenever it matches.

    Curation is kept beside the bank (bank.curation.json) and survives every rebuild.

    \b
    Example:
        phraser pin 高度重视
    """
    from phraser import curation

    _curate(curation.pin, db_path, text)


@cli.command()
@click.argument("text")
@DB_OPTION
def unpin(text: str, db_path: Path | None) -> None:
    """Take back `phraser pin TEXT`.

    \b
    Example:
        phraser unpin 高度重视
    """
    from phraser import curation

    _curate(curation.unpin, db_path, text)


@cli.command()
@click.argument("text")
@DB_OPTION
def ban(text: str, db_path: Path | None) -> None:
    """Ban TEXT: never suggested, searched, proposed as a fix or exported.

    \b
    Example:
        phraser ban 发展的重大
    """
    from phraser import curation

    _curate(curation.ban, db_path, text)


@cli.command()
@click.argument("text")
@DB_OPTION
def unban(text: str, db_path: Path | None) -> None:
    """Take back `phraser ban TEXT`.

    \b
    Example:
        phraser unban 发展的重大
    """
    from phraser import curation

    _curate(curation.unban, db_path, text)


@cli.command(name="add-phrase")
@click.argument("text")
@click.option("--note", "note_text", default="", help="A note to keep with it.")
@DB_OPTION
def add_phrase(text: str, note_text: str, db_path: Path | None) -> None:
    """Add TEXT to the bank as a phrase: matched and suggested like a mined one, and
    kept by every rebuild however rarely the corpus uses it.

    \b
    Example:
        phraser add-phrase 新质生产力 --note 2024年起常用
    """
    from phraser import curation

    _curate(curation.add_phrase, db_path, text, note_text)


@cli.command(name="remove-phrase")
@click.argument("text")
@DB_OPTION
def remove_phrase(text: str, db_path: Path | None) -> None:
    """Take back `phraser add-phrase TEXT` (a mined phrase of that text stays).

    \b
    Example:
        phraser remove-phrase 新质生产力
    """
    from phraser import curation

    _curate(curation.remove_phrase, db_path, text)


@cli.command()
@click.argument("text")
@click.argument("words", nargs=-1, required=True)
@DB_OPTION
def note(text: str, words: tuple[str, ...], db_path: Path | None) -> None:
    """Keep a note with TEXT (shown by `show`, exports and Datasette).

    \b
    Example:
        phraser note 齐抓共管 多用于部署工作的结尾
    """
    from phraser import curation

    _curate(curation.note, db_path, text, " ".join(words))


@cli.command()
@click.argument("text")
@DB_OPTION
def unnote(text: str, db_path: Path | None) -> None:
    """Remove the note of TEXT.

    \b
    Example:
        phraser unnote 齐抓共管
    """
    from phraser import curation

    _curate(curation.unnote, db_path, text)


@cli.command(name="curation")
@DB_OPTION
@JSON_OPTION
def curation_(db_path: Path | None, as_json: bool) -> None:
    """List what you pinned, banned, added and noted.

    \b
    Example:
        phraser curation --json
    """
    from phraser.curation import Curation, CurationError

    path = _db_path(db_path)
    try:
        marks = Curation.load(path).marks
    except CurationError as exc:
        raise click.ClickException(str(exc)) from None
    rows = [marks[t].to_json() for t in sorted(marks)]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"phraser: nothing curated for {path}", err=True)
        return
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for col in ("text", "curation", "note"):
        table.add_column(col, overflow="fold")
    for row in rows:
        flags = " ".join(f for f in ("pinned", "banned", "added") if row.get(f))
        table.add_row(row["text"], flags, row.get("note", ""))
    _console().print(table)


@cli.command()
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-n", "--limit", default=20, show_default=True, type=click.IntRange(1), help="Rows per list."
)
@JSON_OPTION
def diff(old: Path, new: Path, limit: int, as_json: bool) -> None:
    """What a rebuild changed between bank OLD and bank NEW: entries added, dropped, and
    re-ranked (rank among their kind at least doubled or halved).

    \b
    Example:
        cp bank.sqlite old.sqlite && phraser build ~/公文/ && phraser diff old.sqlite bank.sqlite
    """
    from phraser.diff import DiffError
    from phraser.diff import diff as compare

    try:
        result = compare(old, new)
    except DiffError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    from rich.table import Table

    console = _console()
    click.echo(
        f"{old} → {new}: {result.old_entries:,} → {result.new_entries:,} entries; "
        f"{len(result.added):,} added, {len(result.dropped):,} dropped, "
        f"{len(result.reranked):,} re-ranked"
    )

    def num(x) -> str:
        return "" if x is None else f"{x:,}"

    for title, changes in (
        ("added", result.added),
        ("dropped", result.dropped),
        ("re-ranked", result.reranked),
    ):
        if not changes:
            continue
        shown = changes[:limit]
        more = f" (first {limit} of {len(changes):,})" if len(changes) > limit else ""
        table = Table(title=f"{title}{more}", title_justify="left", show_edge=False, pad_edge=False)
        for col in ("text", "kind", "rank", "count", "score"):
            table.add_column(col)
        for c in shown:
            rank = f"{num(c.old_rank)} → {num(c.new_rank)}" if title == "re-ranked" else ""
            if title != "re-ranked":
                rank = num(c.new_rank if title == "added" else c.old_rank)
            count = num(c.new_count if c.new_count is not None else c.old_count)
            score = c.new_score if c.new_score is not None else c.old_score
            table.add_row(c.text, c.kind, rank, count, f"{score:.2f}")
        console.print(table)


@cli.command()
@DB_OPTION
@click.option("--documents", "list_documents", is_flag=True, help="List the bank's documents.")
@JSON_OPTION
def stats(db_path: Path | None, list_documents: bool, as_json: bool) -> None:
    """Counts and provenance of the phrase bank; --documents lists its documents.

    \b
    Example:
        phraser stats --json
        phraser stats --documents
    """
    bank = _open_bank(db_path)
    if list_documents:
        _print_documents(bank.documents(), as_json)
        return
    info = bank.stats()
    info["tags"] = bank.tags()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
        return
    for key, value in info.items():
        if key == "tags":
            value = "、".join(f"{t} ({n})" for t, n in value.items()) or "-"
        click.echo(f"{key:<15} {value:,}" if isinstance(value, int) else f"{key:<15} {value}")


def _print_documents(docs, as_json: bool) -> None:
    if as_json:
        for d in docs:
            row = {"id": d.idx, "name": d.name, "path": d.path, "chars": d.chars}
            click.echo(json.dumps(row | {"tags": list(d.tags)}, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table("id", "document", "characters", "tags", "path", box=None)
    for d in docs:
        table.add_row(str(d.idx), d.name, f"{d.chars:,}", " ".join(d.tags), d.path)
    _console().print(table)


if __name__ == "__main__":
    cli()
