"""Tables written to CSV and XLSX files, off the event loop (openpyxl and csv are blocking)."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from handlers.context import Context

Cell = str | int | float | None


def _write(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]], title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        # utf-8-sig so that Excel on a community office PC reads the Chinese correctly
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers)
            writer.writerows(rows)
        return
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        letter = column[0].column_letter
        sheet.column_dimensions[letter].width = min(60, 4 + 2 * width)
    book.save(path)


async def write_table(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str
) -> Path:
    """Write a table as .csv or .xlsx (by the path's suffix); returns the path."""
    await asyncio.to_thread(_write, path, headers, rows, title)
    return path


def export_path(ctx: Context, name: str) -> Path:
    """Where a file for the sender goes: their own folder under exports_dir, under a name
    they can read (meals-2026-11-26.xlsx); the next export of the same replaces it, so
    files do not pile up and two people's never collide."""
    return Path(ctx.settings.exports_dir) / str(ctx.sender.id) / name
