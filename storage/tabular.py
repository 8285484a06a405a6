"""Tables as people open them: typed columns, and writers for XLSX, CSV and
Parquet.

Analyst views and the reminder list are both "a table with named, typed
columns"; this module is where such a table becomes a file. Column names
(SQL, CSV, Parquet) are English; XLSX headers are French, because the
spreadsheets are read by the ANCT team. In XLSX, times are shown in the
campaign's time zone (Excel has no time zones) and the header says so; CSV
and Parquet keep UTC.

Text comes from senders (a subject, a display name, a file name): a cell
that a spreadsheet would read as a formula (`=HYPERLINK(...)`, `+`, `-`, `@`,
a tab or a carriage return first) is written as text, in one place per
format (`_excel_value`, `_csv_value`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

UTC = dt.UTC
KINDS = ("text", "int", "float", "bool", "date", "datetime")
#: What makes Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP "CSV injection"): these first characters.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """A text a spreadsheet would evaluate rather than show."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


@dataclass(frozen=True)
class Column:
    name: str
    #: Header shown in spreadsheets (French).
    header: str
    kind: str = "text"
    #: French labels of coded values, shown in XLSX instead of the codes.
    labels: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass
class Sheet:
    """One table to write: `name` is the file stem (CSV, Parquet), `title` the
    XLSX sheet name (at most 31 characters)."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def typed(value: Any, kind: str) -> Any:
    """A database value as the Python type of its column. Drivers differ:
    SQLite hands back strings for times and 0/1 for booleans; PostgreSQL gives
    real types. Times come back timezone-aware, in UTC."""
    if value is None:
        return None
    if kind == "datetime":
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def typed_rows(rows: Iterable[Sequence[Any]], columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    return [tuple(typed(value, column.kind) for value, column in zip(row, columns)) for row in rows]


# -- XLSX --------------------------------------------------------------------

DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"
MAX_WIDTH = 60


def write_xlsx(path: Path, sheets: Sequence[Sheet], timezone: str = "Europe/Paris") -> Path:
    """One sheet per table: bold frozen header row, filters, widths that fit
    the content, real dates and numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    zone = ZoneInfo(timezone)
    workbook = Workbook()
    workbook.remove(workbook.active)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    for sheet in sheets:
        worksheet = workbook.create_sheet(_sheet_title(sheet.title))
        worksheet.append([_header(column) for column in sheet.columns])
        for cell in worksheet[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for row in sheet.rows:
            worksheet.append([_excel_value(value, column, zone) for value, column in zip(row, sheet.columns)])
            _keep_text_as_text(worksheet[worksheet.max_row])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            number_format = {"datetime": DATETIME_FORMAT, "date": DATE_FORMAT}.get(column.kind)
            if number_format:
                for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
            worksheet.column_dimensions[letter].width = _width(sheet, index - 1)
        worksheet.freeze_panes = "A2"
        last = get_column_letter(max(len(sheet.columns), 1))
        worksheet.auto_filter.ref = f"A1:{last}{max(len(sheet.rows) + 1, 2)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _header(column: Column) -> str:
    return f"{column.header} (heure de Paris)" if column.kind == "datetime" else column.header


def _sheet_title(title: str) -> str:
    for forbidden in "[]:*?/\\":
        title = title.replace(forbidden, "-")
    return title[:31]


def _keep_text_as_text(cells: Sequence[Any]) -> None:
    """openpyxl stores a string that starts with `=` as a formula: such a
    cell (and any other formula-like text) becomes a plain string, shown as
    typed ("quote prefix", as when a person types `'=...` in Excel)."""
    for cell in cells:
        if is_formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def _excel_value(value: Any, column: Column, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if column.kind == "datetime":
        return value.astimezone(zone).replace(tzinfo=None)
    if column.labels:
        return column.labels.get(value, value)
    return value


def _width(sheet: Sheet, index: int) -> float:
    column = sheet.columns[index]
    longest = max(len(word) for word in _header(column).split()) + 2
    if column.kind == "datetime":
        longest = max(longest, 17)
    elif column.kind == "date":
        longest = max(longest, 11)
    for row in sheet.rows[:2000]:
        value = row[index]
        if value is not None and column.kind in ("text", "int", "float"):
            shown = column.labels.get(value, value) if column.labels else value
            longest = max(longest, len(str(shown)) + 2)
    return min(longest, MAX_WIDTH)


# -- CSV ---------------------------------------------------------------------


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written. French Excel opens a file by double-click
    only when it starts with a byte order mark and is separated by `;` (the
    comma is the decimal separator in French): that is the default; `rfc4180`
    (UTF-8 without BOM, commas) is for tools."""

    name: str
    encoding: str
    delimiter: str


CSV_DIALECTS = {
    "excel-fr": CsvDialect("excel-fr", "utf-8-sig", ";"),
    "rfc4180": CsvDialect("rfc4180", "utf-8", ","),
}
DEFAULT_CSV_DIALECT = "excel-fr"


def write_csv(path: Path, sheet: Sheet, dialect: str = DEFAULT_CSV_DIALECT) -> Path:
    """SQL column names; times in ISO 8601 UTC; flags 0/1 (as in the views);
    `dialect` from `CSV_DIALECTS`."""
    chosen = CSV_DIALECTS[dialect]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=chosen.encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=chosen.delimiter)
        writer.writerow([column.name for column in sheet.columns])
        for row in sheet.rows:
            writer.writerow([_csv_value(value, column) for value, column in zip(row, sheet.columns)])
    return path


def _csv_value(value: Any, column: Column) -> Any:
    if value is None:
        return ""
    if column.kind == "datetime":
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "bool":
        return 1 if value else 0
    if is_formula_like(value):
        return "'" + value  # shown as typed; a spreadsheet does not evaluate it
    return value


# -- Parquet -----------------------------------------------------------------


def write_parquet(path: Path, sheet: Sheet) -> Path:
    """Typed columns (timestamps in UTC), so that pandas, DuckDB or R read
    them without guessing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "text": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    schema = pa.schema([pa.field(column.name, types[column.kind]) for column in sheet.columns])
    arrays = [
        pa.array([row[index] for row in sheet.rows], type=types[column.kind])
        for index, column in enumerate(sheet.columns)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)
    return path
