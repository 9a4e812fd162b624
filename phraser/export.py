"""Exporting the bank: rows from `Bank.export_rows` written as CSV, JSON, JSON Lines or Markdown."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

FORMATS = ("csv", "json", "jsonl", "md")
COLUMNS = ("text", "kind", "count", "documents", "score", "examples", "companions", "fillers")


def _flat(value: object) -> str:
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return "" if value is None else str(value)


def write(rows: Iterable[dict], fmt: str, out: TextIO) -> int:
    """Write rows in `fmt`; returns how many were written."""
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
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return n
