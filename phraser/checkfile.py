"""Drafts in and out for `check`: read a file with its positions, write a corrected copy.

A draft is read as written: decoded but not normalised, so a finding's line and column
are the file's and a fix changes nothing but the wrong characters. A corrected copy keeps
the input's encoding (a GBK draft stays GBK) and, for .docx, its formatting: only the text
of the runs that hold a wrong character is changed. Every write goes to a temporary file
renamed over the target, so an interrupted fix never leaves half a draft.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import text as textmod
from .check import Finding, apply_fixes

#: Byte-order marks written back in front of a UTF-16 draft.
_BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


class FixError(Exception):
    """A corrected copy that cannot be written; the message says why."""


@dataclass(frozen=True)
class Draft:
    """A draft to check: its text as written, and how to write it back."""

    name: str
    text: str
    encoding: str  # a Python codec, or "docx"
    path: Path | None = None  # None for standard input


def read_draft(path: Path) -> Draft:
    """Read a .txt/.md (UTF-8, GBK/GB18030, UTF-16) or .docx draft; ReadError says why not."""
    if path.is_dir():
        raise textmod.ReadError("is a directory")
    if path.suffix.lower() in textmod.DOCX_SUFFIXES:
        document = textmod.open_docx(path)
        text = "\n".join(p.text for p in textmod.docx_paragraphs(document))
        return Draft(str(path), text, "docx", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise textmod.ReadError(exc.strerror or str(exc)) from None
    return draft_from_bytes(data, str(path), path)


def draft_from_bytes(data: bytes, name: str, path: Path | None = None) -> Draft:
    """A draft from raw bytes (a file's, or standard input's)."""
    text, encoding = textmod.decode(data)
    if encoding == "utf-16":
        encoding = "utf-16-be" if data.startswith(_BOMS["utf-16-be"]) else "utf-16-le"
    return Draft(name, text, encoding, path)


def fixed_path(path: Path) -> Path:
    """Where the corrected copy goes: draft.txt → draft.fixed.txt, beside the input."""
    return path.with_name(f"{path.stem}.fixed{path.suffix}")


def backup_path(path: Path) -> Path:
    """A backup name that overwrites nothing: draft.txt.bak, else draft.txt.bak.1, …"""
    candidate = path.with_name(path.name + ".bak")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    return candidate


def encoded(draft: Draft, text: str) -> bytes:
    """`text` in the draft's own encoding; FixError when a fix cannot be written in it."""
    try:
        return _BOMS.get(draft.encoding, b"") + text.encode(draft.encoding)
    except UnicodeEncodeError as exc:
        raise FixError(
            f"the fix {exc.object[exc.start : exc.end]!r} cannot be written in {draft.encoding}"
        ) from None


def write_fixed(draft: Draft, findings: list[Finding], target: Path) -> int:
    """Write the draft with its typos fixed to `target`; return how many were applied."""
    if draft.path is None:
        raise FixError("standard input has no file to fix")
    if draft.encoding == "docx":
        document = textmod.open_docx(draft.path)
        applied = _fix_docx(document, findings)
        _atomic(target, document.save)
        return applied
    fixed = apply_fixes(draft.text, findings)
    data = encoded(draft, fixed)
    _atomic(target, lambda tmp: Path(tmp).write_bytes(data))
    return len(_applied(draft.text, findings))


def fix_in_place(draft: Draft, findings: list[Finding]) -> tuple[int, Path]:
    """Fix the draft's own file after copying it to a backup; return (fixes, backup)."""
    if draft.path is None:
        raise FixError("standard input has no file to fix")
    backup = backup_path(draft.path)
    shutil.copy2(draft.path, backup)
    return write_fixed(draft, findings, draft.path), backup


def _applied(text: str, findings: list[Finding]) -> list[Finding]:
    return [
        f for f in findings if f.level == "typo" and text[f.offset : f.offset + f.length] == f.wrong
    ]


def _atomic(target: Path, write) -> None:
    """Call write(tmp) on a temporary file beside `target`, then rename it over `target`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        if target.exists():
            shutil.copymode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fix_docx(document, findings: list[Finding]) -> int:
    """Apply the typo fixes inside the runs' text elements, so that every run keeps its
    formatting and nothing else in the paragraph (tabs, breaks, drawings) is touched."""
    typos = [f for f in findings if f.level == "typo"]
    applied, start = 0, 0
    for paragraph in textmod.docx_paragraphs(document):
        text = paragraph.text
        end = start + len(text)
        mine = [f for f in typos if start <= f.offset and f.offset + f.length <= end]
        if mine:
            pieces = _pieces(paragraph._p)
            if "".join(p for p, _ in pieces) == text:
                for f in sorted(mine, key=lambda f: -f.offset):
                    applied += _replace(pieces, f.offset - start, f.wrong, f.right)
        start = end + 1
    return applied


def _pieces(p) -> list[tuple[str, object]]:
    """The paragraph's text as python-docx reads it, piece by piece: (text, the w:t element
    holding it, or None for a tab or a break, which a fix never touches)."""
    from docx.oxml.ns import qn

    out = []
    for child in p.xpath("w:r | w:hyperlink/w:r"):
        for e in child.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab"):
            out.append((str(e), e if e.tag == qn("w:t") else None))
    return out


def _replace(pieces: list[tuple[str, object]], offset: int, wrong: str, right: str) -> int:
    """Replace `wrong` at `offset` by `right` across the text elements it spans; the last
    element touched takes any difference in length. Returns 1 if done, 0 if not possible."""
    spans, at = [], 0
    for i, (piece, element) in enumerate(pieces):
        lo, hi = max(offset, at), min(offset + len(wrong), at + len(piece))
        if lo < hi:
            if element is None:
                return 0
            spans.append((i, lo - at, hi - at, lo - offset))
        at += len(piece)
    if "".join(pieces[i][0][a:b] for i, a, b, _ in spans) != wrong:
        return 0
    for k, (i, a, b, rel) in enumerate(spans):
        piece, element = pieces[i]
        new = right[rel : rel + (b - a)] if k < len(spans) - 1 else right[rel:]
        element.text = piece[:a] + new + piece[b:]
        pieces[i] = (element.text, element)
    return 1
