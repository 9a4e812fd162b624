"""The corpus as the miner sees it: documents read once, spooled to disk, replayed per pass.

Mining makes several passes (one per n-gram length, then statistics, then examples).
Reading .docx or guessing encodings each time would be slow, and keeping every document
in memory would tie memory to the corpus size, so the first read writes normalised text
to a temporary spool that later passes stream from.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import text as textmod

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def bundled_corpus() -> Path:
    """The bundled corpus folder: `PHRASER_CORPUS`, else `corpus/` beside the package."""
    env = os.environ.get("PHRASER_CORPUS")
    return Path(env) if env else BUNDLED_CORPUS


@dataclass
class DocInfo:
    """What the bank records about a document."""

    idx: int
    path: str
    name: str
    sha1: str
    encoding: str
    chars: int
    tags: tuple[str, ...] = ()


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Spool:
    """Normalised documents on disk, one JSON line each, with their metadata in memory."""

    path: Path
    docs: list[DocInfo] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(d.chars for d in self.docs)

    def texts(self) -> Iterator[tuple[DocInfo, str]]:
        with open(self.path, encoding="utf-8") as f:
            for info, line in zip(self.docs, f, strict=True):
                yield info, json.loads(line)

    def texts_of(self, indexes: list[int]) -> list[str]:
        """The texts of the documents at `indexes` (ascending), parsing no others."""
        wanted = set(indexes)
        out = []
        with open(self.path, encoding="utf-8") as f:
            for k, line in enumerate(f):
                if k in wanted:
                    out.append(json.loads(line))
                    if len(out) == len(wanted):
                        break
        return out

    def close(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spool(
    paths: Iterable[Path],
    *,
    warn: Callable[[str], None] | None = None,
    tmp_dir: Path | None = None,
    tags: Iterable[str] = (),
    prior: Iterable[tuple[DocInfo, str]] = (),
) -> Spool:
    """Read every file under `paths` once into a spool; skip unreadable ones with a warning.

    `prior` documents (already read, from a bank) come first, in their order, so adding
    documents to a bank spools exactly what a build over the old and new files would.
    Identical documents (same normalised text) are kept once; new ones carry `tags`.
    """
    fd, name = tempfile.mkstemp(prefix=".spool-", suffix=f".{os.getpid()}.tmp", dir=tmp_dir)
    result = Spool(Path(name))
    try:
        _fill(result, fd, paths, warn, tuple(tags), prior)
    except BaseException:
        result.close()
        raise
    return result


def _fill(result: Spool, fd: int, paths: Iterable[Path], warn, tags, prior) -> None:
    seen: set[str] = set()
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for info, text in prior:
            seen.add(info.sha1)
            result.docs.append(replace(info, idx=len(result.docs)))
            out.write(json.dumps(text, ensure_ascii=False) + "\n")
        for path in textmod.find_files(paths):
            try:
                doc = textmod.read_document(path)
            except textmod.ReadError as exc:
                result.skipped.append(Skipped(str(path), str(exc)))
                if warn:
                    warn(f"skipped {path}: {exc}")
                continue
            sha = doc.sha1
            if sha in seen:
                result.duplicates.append(str(path))
                continue
            seen.add(sha)
            result.docs.append(
                DocInfo(
                    len(result.docs), str(path), doc.name, sha, doc.encoding, len(doc.text), tags
                )
            )
            out.write(json.dumps(doc.text, ensure_ascii=False) + "\n")
