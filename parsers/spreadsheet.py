"""Spreadsheets (XLSX/XLSM with openpyxl): one table block per visible sheet.

Formulas give their cached value (`data_only=True`); macros are never run
(openpyxl cannot run them). Merged cells take the value of their top-left cell
so that a merged header still names every column under it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
from openpyxl.utils import get_column_letter

from bilan.parsers.document import Block, Cell, Document, ParseError, ParseStatus, Provenance


def parse_xlsx(data: bytes, filename: str) -> Document:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(ParseStatus.ENCRYPTED, "workbook is password-protected (encrypted OOXML)")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook cannot be read: {exc}") from exc
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            document.metadata["hidden_sheets"].append(sheet.title)
            continue
        document.metadata["sheets"] += 1
        rows = _sheet_rows(sheet)
        if rows:
            last_col = get_column_letter(max(len(r) for r in rows))
            cell_range = f"A1:{last_col}{len(rows)}"
            document.blocks.append(
                Block.table(rows, Provenance(file=filename, sheet=sheet.title, cell_range=cell_range))
            )
    return document


def _sheet_rows(sheet) -> list[list[Cell]]:
    merged: dict[tuple[int, int], object] = {}
    for cell_range in sheet.merged_cells.ranges:
        value = sheet.cell(cell_range.min_row, cell_range.min_col).value
        for row in range(cell_range.min_row, cell_range.max_row + 1):
            for col in range(cell_range.min_col, cell_range.max_col + 1):
                merged[(row, col)] = value
    rows: list[list[Cell]] = []
    for r, row in enumerate(sheet.iter_rows(), start=1):
        values = [_cell_value(merged.get((r, c), cell.value)) for c, cell in enumerate(row, start=1)]
        rows.append(values)
    return _trim(rows)


def _cell_value(value: object) -> Cell:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Drop empty trailing rows and columns (sheets often carry formatting far below the data)."""
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    return [r[:width] + [None] * (width - len(r[:width])) for r in rows]
