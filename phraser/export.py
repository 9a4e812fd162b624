"""Exporting the bank: rows from `Bank.export_rows` written as CSV, JSON, JSON Lines,
Markdown, an Excel workbook or a jieba user dictionary; and curation read back from
what was exported (`phraser import`), so a spreadsheet can be the curation tool.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

TEXT_FORMATS = ("csv", "json", "jsonl", "md", "jieba")
FORMATS = (*TEXT_FORMATS, "xlsx")
COLUMNS = (
    "text",
    "kind",
    "count",
    "documents",
    "score",
    "examples",
    "companions",
    "fillers",
    "note",
    "pinned",
    "added",
)
#: Curation columns `read_curation` takes from a file; `banned` is never exported (banned
#: entries are not), but a spreadsheet may carry it to ban what it lists.
CURATION_FIELDS = ("pinned", "banned", "added", "note")
IMPORT_SUFFIXES = (".csv", ".json", ".jsonl", ".xlsx")
#: Characters wide an xlsx column may grow to.
MAX_WIDTH = 60


class FormatError(ValueError):
    """A file that cannot be read back as curation; the message names the file and why."""


def _flat(value: object) -> str:
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return "" if value is None else str(value)


def write(
    rows: Iterable[dict],
    fmt: str,
    out: TextIO,
    *,
    idioms: frozenset[str] = frozenset(),
) -> int:
    """Write rows in a text format; returns how many were written. `jieba` tags the
    `idioms` among the phrases `i`."""
    n = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    elif fmt == "json":
        items = list(rows)
        json.dump(items, out, ensure_ascii=False, indent=1)
        out.write("\n")
        n = len(items)
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_flat(row.get(c)) for c in COLUMNS])
            n += 1
    elif fmt == "md":
        out.write("| " + " | ".join(COLUMNS) + " |\n")
        out.write("|" + "---|" * len(COLUMNS) + "\n")
        for row in rows:
            cells = [_flat(row.get(c)).replace("|", "\\|").replace("\n", " ") for c in COLUMNS]
            out.write("| " + " | ".join(cells) + " |\n")
            n += 1
    elif fmt == "jieba":
        for line in jieba_lines(rows, idioms):
            out.write(line + "\n")
            n += 1
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(TEXT_FORMATS)}")
    return n


def jieba_lines(rows: Iterable[dict], idioms: frozenset[str]) -> Iterable[str]:
    """A jieba user dictionary (`jieba.load_userdict`): `word freq tag`, one a line.

    The frequency is the least that makes jieba keep the phrase whole rather than cut
    it into its words (`suggest_freq`), or jieba's own when it knows the word already.
    Frequencies scaled up from the corpus counts were tried and rejected: on the
    government work reports they kept 4 % more phrases whole but wrongly re-cut six
    times as many neighbouring words (各级各|类, 取得新|进展, 经济增长|点); see the README.
    The tag is `i` (成语) for the idiom dictionary's entries and `l` (习用语, set
    expression) for the rest: stock phrases are fixed expressions, not the proper nouns
    `nz` stands for. Templates and pairs are not words and are left out.
    """
    from .mine import tokenizer

    tok = tokenizer()
    for row in rows:
        text = row["text"]
        if row["kind"] != "phrase" or any(c.isspace() for c in text):
            continue
        yield f"{text} {tok.suggest_freq(text)} {'i' if text in idioms else 'l'}"


def write_xlsx(rows: Iterable[dict], path: Path) -> int:
    """An Excel workbook: one sheet, a bold frozen header row, columns sized to fit."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    items = list(rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("phraser")
    ws.freeze_panes = "A2"
    for i, col in enumerate(COLUMNS, start=1):
        cells = [_flat(row.get(col)) for row in items[:500]]
        width = max([_width(col)] + [_width(c) for c in cells])
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, width + 2)
    header = []
    for col in COLUMNS:
        cell = WriteOnlyCell(ws, value=col)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in items:
        ws.append([_cell(row.get(c)) for c in COLUMNS])
    wb.save(path)
    return len(items)


def _cell(value: object) -> object:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else _flat(value)


def _width(text: str) -> int:
    """Display width: a Han character takes two columns."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


# -- reading curation back ---------------------------------------------------------------


def read_curation(path: Path) -> list[dict]:
    """Curation updates from an exported CSV, JSON, JSON Lines or xlsx file, or from a
    bank's curation sidecar: `text` and whichever of pinned, banned, added and note the
    file carries. Pairs are not curated and are skipped. Raises FormatError."""
    suffix = path.suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise FormatError(
            f"{path}: cannot import {suffix or 'a file without a suffix'}; "
            f"use {', '.join(IMPORT_SUFFIXES)}"
        )
    try:
        if suffix == ".xlsx":
            records = _xlsx_records(path)
        else:
            body = path.read_text(encoding="utf-8-sig")
            records = _text_records(body, suffix)
    except FormatError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise FormatError(f"{path}: {exc}") from None
    except Exception as exc:  # openpyxl raises its own errors for a damaged workbook
        raise FormatError(f"{path}: not a readable workbook ({exc.__class__.__name__})") from None
    updates = []
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict) or "text" not in rec:
            raise FormatError(f"{path}: entry {i} has no text (a `text` column is needed)")
        if rec.get("kind") == "pair":
            continue
        update = {"text": str(rec["text"] or "")}
        for name in CURATION_FIELDS:
            if name not in rec:
                continue
            if name == "note":
                update["note"] = "" if rec["note"] is None else str(rec["note"])
            else:
                try:
                    update[name] = _truth(rec[name])
                except ValueError as exc:
                    raise FormatError(f"{path}: entry {i} ({rec['text']}): {exc}") from None
        updates.append(update)
    return updates


def _text_records(body: str, suffix: str) -> list:
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(body, newline=""))
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise FormatError("no `text` column in the header row")
        return list(reader)
    if suffix == ".jsonl":
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    data = json.loads(body)
    if isinstance(data, dict) and "entries" in data:  # a curation sidecar
        data = data["entries"]
    if not isinstance(data, list):
        raise FormatError("expected a list of entries")
    return data


def _xlsx_records(path: Path) -> list[dict]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        if "text" not in header:
            raise FormatError("no `text` column in the header row")
        return [dict(zip(header, r, strict=False)) for r in rows if any(v is not None for v in r)]
    finally:
        wb.close()


_TRUE = {"yes", "y", "true", "1", "x", "✓", "是"}
_FALSE = {"", "no", "n", "false", "0", "否"}


def _truth(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return bool(value)
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{value!r} is not yes or no")
