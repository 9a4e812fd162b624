"""The build pipeline: files → spool → mine → bank, atomically, with progress.

`build` mines the given files; `add` and `remove` change the documents of an existing
bank and mine again from the texts it stores, so the result equals a build over the same
documents while the old files are never read again (they may be gone).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

from . import bank
from . import text as textmod
from .corpus import DocInfo, Spool, bundled_corpus, spool
from .curation import Curation, CurationError
from .lexicon import gloss_rows, meaning_rows, sense_rows, thesaurus_rows
from .mine import MineParams, Progress, default_workers, mine, segment
from .offload import OffloadError

#: Sense bags go to the best-scored phrases only, which bounds the table on big corpora.
MAX_SENSE_PHRASES = 20000


class BuildError(Exception):
    """A build that cannot start or finish; the previous bank is left as it was."""


def build(
    paths: Iterable[Path] | None,
    db_path: Path,
    params: MineParams | None = None,
    *,
    tags: Iterable[str] = (),
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> bank.BuildSummary:
    """Mine `paths` (default: the bundled corpus) into a new bank at `db_path`, with
    `workers` processes (default: this machine's cores, see `default_workers`).

    The bank's curation (its sidecar file) is re-applied, here as after `add` and
    `remove`: added phrases are mined whatever their statistics, and pins, bans and notes
    are copied into the new bank."""
    paths = list(paths or []) or [bundled_corpus()]
    _check_paths(paths)
    return _run(paths, db_path, params or MineParams(), tags, (), progress, warn, workers)


def add(
    paths: Iterable[Path],
    db_path: Path,
    *,
    tags: Iterable[str] = (),
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> bank.BuildSummary:
    """Add the documents under `paths` to the bank at `db_path`, with its own parameters."""
    paths = list(paths)
    _check_paths(paths)
    old = bank.Bank(db_path)
    try:
        params, docs = old.params(), old.documents()
        return _run(paths, db_path, params, tags, (old, docs), progress, warn)
    finally:
        old.close()


def remove(
    selectors: Iterable[str],
    db_path: Path,
    *,
    progress: Progress | None = None,
) -> tuple[list[DocInfo], bank.BuildSummary]:
    """Take documents out of the bank: each selector is a document's id, path or file
    name. Returns the documents removed and the new bank's summary."""
    old = bank.Bank(db_path)
    try:
        docs = old.documents()
        gone = [d for d in docs if _selected(d, selectors)]
        unknown = [s for s in selectors if not any(_selected(d, [s]) for d in docs)]
        if unknown:
            raise BuildError(f"no such document in the bank: {', '.join(unknown)}")
        keep = [d for d in docs if d not in gone]
        if not keep:
            raise BuildError("that would remove every document; build a new bank instead")
        summary = _run([], db_path, old.params(), (), (old, keep), progress, None)
        return gone, summary
    finally:
        old.close()


def is_bundled_build(stale: bank.StaleBankError) -> bool:
    """True when a bank from another schema was built from the bundled corpus with the
    default parameters: rebuilding it loses nothing the user made (curation lives in its
    sidecar and is re-applied)."""
    if stale.fingerprint is None or stale.params is None:
        return False
    try:
        params = json.loads(stale.params)
    except ValueError:
        return False
    defaults = asdict(MineParams())
    if any(params[k] != v for k, v in defaults.items() if k in params):
        return False
    try:
        shas = [textmod.read_document(p).sha1 for p in textmod.find_files([bundled_corpus()])]
    except textmod.ReadError:
        return False
    return bank.corpus_fingerprint(shas) == stale.fingerprint


def _selected(doc: DocInfo, selectors: Iterable[str]) -> bool:
    for s in selectors:
        if s == str(doc.idx) or s == doc.name or s == doc.path:
            return True
        if Path(s).exists() and Path(s).resolve() == Path(doc.path).resolve():
            return True
    return False


def _check_paths(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise BuildError(f"no such file or folder: {', '.join(missing)}")


def _run(
    paths: list[Path],
    db_path: Path,
    params: MineParams,
    tags: Iterable[str],
    prior: tuple,
    progress: Progress | None,
    warn: Callable[[str], None] | None,
    workers: int | None = None,
) -> bank.BuildSummary:
    try:
        curation = Curation.load(db_path)
    except CurationError as exc:
        raise BuildError(str(exc)) from None
    start = time.perf_counter()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    bank.clean_stale(db_path.parent, db_path.name)
    old_texts: Iterable[tuple[DocInfo, str]] = ()
    if prior:
        old, docs = prior
        old_texts = old.document_texts(docs)
    with spool(paths, warn=warn, tmp_dir=db_path.parent, tags=tags, prior=old_texts) as sp:
        where = ", ".join(map(str, paths)) or str(db_path)
        if prior and paths and len(sp.docs) == len(prior[1]):
            raise BuildError(f"nothing new to add from {where}: every document is in the bank")
        if not sp.docs:
            raise BuildError(f"no readable documents (.txt, .md, .html, .docx) in {where}")
        if not any(textmod.HAN_CHAR.search(text) for _info, text in sp.texts()):
            raise BuildError(f"no Chinese text in {where}")
        workers = workers or default_workers()
        with _no_cycle_collection():
            return _mine_and_write(sp, db_path, params, start, progress, curation, workers)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off for the build, back as it was after: mining and
    writing make millions of objects (candidates, examples, rows) and no cycles to speak
    of, and each full collection walked them all (10 s of a large build's 60 s of
    mining, at the same peak memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _mine_and_write(
    sp: Spool,
    db_path: Path,
    params: MineParams,
    start: float,
    progress: Progress | None,
    curation: Curation,
    workers: int,
) -> bank.BuildSummary:
    sounds: list[bank.Sounds] = []  # pinyin worked out from when the phrases are known
    try:
        result = mine(
            sp,
            params,
            progress,
            extra=curation.added(),
            workers=workers,
            on_phrases=lambda texts: sounds.append(bank.Sounds(texts)),
        )
        senses = functools.partial(  # made in a second process on a large bank
            sense_rows,
            [
                (i, st.text, st.words, [e.sentence for e in st.examples])
                for i, st in enumerate(result.phrases[:MAX_SENSE_PHRASES], start=1)
            ],
            tokenize=segment,
        )
        seconds = time.perf_counter() - start
        glosses = gloss_rows((i, st.text) for i, st in enumerate(result.phrases, start=1))
        meanings = functools.partial(  # made beside the sense rows
            meaning_rows, [(i, st.text) for i, st in enumerate(result.phrases, start=1)]
        )
        bank.write(
            db_path,
            result,
            sp,
            params,
            seconds=seconds,
            senses=senses,
            thesaurus=thesaurus_rows(),
            glosses=glosses,
            meanings=meanings,
            curation=curation.rows(),
            sounds=sounds[0] if sounds else None,
        )
    except BrokenProcessPool:  # a forked mining process
        raise BuildError(
            "a mining process stopped before it finished (out of memory? try --workers 1);"
            " the previous bank is left as it was"
        ) from None
    except OffloadError as exc:  # a second process, in mining or writing
        raise BuildError(f"{exc}; the previous bank is left as it was") from None
    finally:
        for job in sounds:
            job.close()
    return bank.BuildSummary(
        documents=len(sp.docs),
        characters=sp.chars,
        phrases=len(result.phrases),
        templates=len(result.templates),
        pairs=len(result.pairs),
        seconds=time.perf_counter() - start,
        skipped=len(sp.skipped),
        duplicates=len(sp.duplicates),
    )
