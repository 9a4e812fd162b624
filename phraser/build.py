"""The build pipeline: files → spool → mine → bank, atomically, with progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from . import bank
from . import text as textmod
from .corpus import bundled_corpus, spool
from .curation import Curation, CurationError
from .lexicon import gloss_rows, meaning_rows, sense_rows, thesaurus_rows
from .mine import MineParams, Progress, mine, tokenizer

#: Sense bags go to the best-scored phrases only, which bounds the table on big corpora.
MAX_SENSE_PHRASES = 20000


class BuildError(Exception):
    """A build that cannot start or finish; the previous bank is left as it was."""


def build(
    paths: Iterable[Path] | None,
    db_path: Path,
    params: MineParams | None = None,
    *,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> bank.BuildSummary:
    """Mine `paths` (default: the bundled corpus) into a new bank at `db_path`.

    The bank's curation (its sidecar file) is re-applied: added phrases are mined
    whatever their statistics, and pins, bans and notes are copied into the new bank."""
    params = params or MineParams()
    paths = list(paths or []) or [bundled_corpus()]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise BuildError(f"no such file or folder: {', '.join(missing)}")
    try:
        curation = Curation.load(db_path)
    except CurationError as exc:
        raise BuildError(str(exc)) from None
    start = time.perf_counter()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    bank.clean_stale(db_path.parent, db_path.name)
    with spool(paths, warn=warn, tmp_dir=db_path.parent) as sp:
        where = ", ".join(map(str, paths))
        if not sp.docs:
            raise BuildError(f"no readable documents (.txt, .md, .docx) in {where}")
        if not any(textmod.HAN_CHAR.search(text) for _info, text in sp.texts()):
            raise BuildError(f"no Chinese text in {where}")
        result = mine(sp, params, progress, extra=curation.added())
        senses = sense_rows(
            (
                (i, st.text, st.words, [e.sentence for e in st.examples])
                for i, st in enumerate(result.phrases[:MAX_SENSE_PHRASES], start=1)
            ),
            tokenize=lambda text: tokenizer().lcut(text, HMM=False),
        )
        seconds = time.perf_counter() - start
        glosses = gloss_rows((i, st.text) for i, st in enumerate(result.phrases, start=1))
        meanings, meaning_idf = meaning_rows(
            (i, st.text) for i, st in enumerate(result.phrases, start=1)
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
            meaning_idf=meaning_idf,
            curation=curation.rows(),
        )
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
