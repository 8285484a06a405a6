"""Spreadsheets: XLSX/XLSM (openpyxl), legacy XLS (xlrd) and CSV, one table
block per visible sheet.

Every sheet's table starts at its cell A1, so that row `i` of `rows` is sheet
row `i + 1` and an extracted row can be traced back to its cell range.
Formulas give their cached value (`data_only=True`); macros are never run
(neither library can run them). Merged cells take the value of their top-left
cell, so that a merged header still names every column under it. Hidden
sheets are not read (they hold lookup lists, not answers) but are listed in
the metadata; hidden rows and columns are kept and listed in the block's
attributes, for the reader to decide.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
from openpyxl.utils import get_column_letter

from bilan.parsers.charset import decode_text
from bilan.parsers.document import Block, Cell, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.limits import Limits
from bilan.parsers.safety import check_sheet_sizes, open_office_zip


def parse_xlsx(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(ParseStatus.ENCRYPTED, "workbook is password-protected (encrypted OOXML)")
    with open_office_zip(data, limits, "workbook") as archive:
        check_sheet_sizes(archive, limits, _sheet_names(archive))  # before openpyxl loads every cell
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError, IndexError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook cannot be read: {exc}") from exc
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            document.metadata["hidden_sheets"].append(sheet.title)
            continue
        document.metadata["sheets"] += 1
        rows = _xlsx_rows(sheet, limits)
        if _xlsx_cut(sheet, limits):
            _note_rows_cut(document, limits)
        if not rows:
            continue
        attributes = {
            "hidden_rows": [r for r, d in sheet.row_dimensions.items() if d.hidden and r <= len(rows)],
            "hidden_columns": _hidden_columns(sheet, len(rows[0])),
            "merged": [str(r) for r in sheet.merged_cells.ranges],
        }
        document.blocks.append(sheet_table(rows, filename, sheet.title, attributes))
    return document


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part names ("xl/worksheets/sheet1.xml") to the names their
    tabs show, for the reason of a limit; empty when the workbook is damaged
    (its own parser reports that)."""
    from defusedxml.ElementTree import fromstring

    try:
        workbook = fromstring(archive.read("xl/workbook.xml"))
        relations = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in relations}
    names: dict[str, str] = {}
    for sheet in workbook.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        relation = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        target = targets.get(relation, "").lstrip("/")
        names[target if target.startswith("xl/") else f"xl/{target}"] = sheet.get("name", "")
    return names


def _xlsx_rows(sheet, limits: Limits) -> list[list[Cell]]:
    merged: dict[tuple[int, int], object] = {}
    for cell_range in sheet.merged_cells.ranges:
        value = sheet.cell(cell_range.min_row, cell_range.min_col).value
        for row in range(cell_range.min_row, min(cell_range.max_row, limits.max_table_rows) + 1):
            for col in range(cell_range.min_col, min(cell_range.max_col, limits.max_table_columns) + 1):
                merged[(row, col)] = value
    rows: list[list[Cell]] = []
    last_row = min(sheet.max_row, limits.max_table_rows)
    last_col = min(sheet.max_column, limits.max_table_columns)
    for r, row in enumerate(sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col), start=1):
        rows.append([cell_value(merged.get((r, c), cell.value)) for c, cell in enumerate(row, start=1)])
    return trim(rows)


def _xlsx_cut(sheet, limits: Limits) -> bool:
    """True when a value lies beyond the row or column limit (formatting alone
    down to row 1,048,576 is not content)."""
    if sheet.max_row <= limits.max_table_rows and sheet.max_column <= limits.max_table_columns:
        return False
    cells = getattr(sheet, "_cells", {})
    return any(
        (row > limits.max_table_rows or column > limits.max_table_columns) and cell.value is not None
        for (row, column), cell in cells.items()
    )


def _hidden_columns(sheet, width: int) -> list[str]:
    hidden: list[str] = []
    for dimension in sheet.column_dimensions.values():
        if dimension.hidden and dimension.min:
            for col in range(dimension.min, min(dimension.max or dimension.min, width) + 1):
                hidden.append(get_column_letter(col))
    return sorted(set(hidden), key=lambda letter: (len(letter), letter))


class _Quiet:
    """xlrd writes its notes ("No CODEPAGE record...") to stdout unless given a log file."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


_QUIET = _Quiet()


def parse_xls(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """Legacy Excel 97-2003 workbooks, with xlrd (which reads nothing else since 2.0)."""
    import xlrd

    try:
        try:
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=_QUIET)
        except NotImplementedError:  # formatting not supported for this BIFF version
            book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_QUIET)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise ParseError(ParseStatus.ENCRYPTED, "workbook is password-protected") from exc
        raise ParseError(ParseStatus.CORRUPT, f"workbook cannot be read: {exc}") from exc
    except (xlrd.compdoc.CompDocError, ValueError, IndexError, KeyError, AssertionError, EOFError, OSError,
            UnicodeDecodeError, TypeError, AttributeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook cannot be read: {type(exc).__name__}: {exc}") from exc
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.visibility != 0:
                document.metadata["hidden_sheets"].append(sheet.name)
                continue
            document.metadata["sheets"] += 1
            rows = _xls_rows(book, sheet, limits)
            check_table_size(rows, sheet.name, limits)
            if sheet.nrows > limits.max_table_rows or sheet.ncols > limits.max_table_columns:
                _note_rows_cut(document, limits)
            if not rows:
                continue
            rowinfo = getattr(sheet, "rowinfo_map", {})
            colinfo = getattr(sheet, "colinfo_map", {})
            attributes = {
                "hidden_rows": sorted(r + 1 for r, info in rowinfo.items() if info.hidden and r < len(rows)),
                "hidden_columns": [get_column_letter(c + 1) for c, info in sorted(colinfo.items())
                                   if info.hidden and c < len(rows[0])],
                "merged": [_range_name(r0, r1, c0, c1) for r0, r1, c0, c1 in sheet.merged_cells],
            }
            document.blocks.append(sheet_table(rows, filename, sheet.name, attributes))
            book.unload_sheet(index)
    except (xlrd.XLRDError, ValueError, IndexError, KeyError, AssertionError, EOFError, TypeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook is damaged: {type(exc).__name__}: {exc}") from exc
    finally:
        book.release_resources()
    return document


def _xls_rows(book, sheet, limits: Limits) -> list[list[Cell]]:
    import xlrd

    nrows = min(sheet.nrows, limits.max_table_rows)
    ncols = min(sheet.ncols, limits.max_table_columns)
    rows: list[list[Cell]] = []
    for r in range(nrows):
        row: list[Cell] = []
        for c in range(min(ncols, sheet.row_len(r))):
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(_xls_date(cell.value, book.datemode))
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                row.append(bool(cell.value))
            elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                row.append(None)
            else:
                row.append(cell_value(cell.value))
        rows.append(row)
    for r0, r1, c0, c1 in sheet.merged_cells:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows))):
            rows[r].extend([None] * (c1 - len(rows[r])))
            for c in range(c0, min(c1, ncols)):
                rows[r][c] = value
    return trim(rows)


def _xls_date(serial: float, datemode: int) -> Cell:
    """A date cell as the sheet shows it: below 1 a time of day (a time
    format over day zero, which is no date), else a date or a date and time."""
    import xlrd

    try:
        when = xlrd.xldate.xldate_as_datetime(serial, datemode)
    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
        return cell_value(serial)
    return cell_value(when.time() if 0 <= serial < 1 else when)


def check_table_size(rows: list[list[Cell]], sheet: str | None, limits: Limits) -> None:
    """Refuse a sheet read by a format that cannot be counted before it is
    read (XLS, ODS, CSV: already bounded by `max_table_rows` in the parser
    worker) when it is over the sheet limits, so that the main process never
    receives more than an annex's worth of rows."""
    filled = [row for row in rows if any(value is not None for value in row)]
    cells = sum(1 for row in filled for value in row if value is not None)
    what = f"sheet {sheet!r}" if sheet else "table"
    at_least = "at least " if len(rows) >= limits.max_table_rows else ""
    if len(filled) > limits.max_sheet_rows:
        raise ParseError(ParseStatus.TOO_LARGE, f"{what} has {at_least}{len(filled):,} filled rows: over the limit "
                         f"of {limits.max_sheet_rows:,}; file not read")  # fmt: skip
    if cells > limits.max_sheet_cells:
        raise ParseError(ParseStatus.TOO_LARGE, f"{what} has {at_least}{cells:,} filled cells: over the limit "
                         f"of {limits.max_sheet_cells:,}; file not read")  # fmt: skip
def parse_xlsb(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """Excel binary workbooks (.xlsb), with pyxlsb: values only (dates stay serial numbers)."""
    from pyxlsb import Workbook

    archive = open_office_zip(data, limits, "workbook")
    try:
        book = Workbook(archive)
    except (KeyError, ValueError, OSError, TypeError, IndexError, AttributeError) as exc:
        archive.close()
        raise ParseError(ParseStatus.CORRUPT, f"workbook cannot be read: {type(exc).__name__}: {exc}") from exc
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    try:
        for name in book.sheets:
            document.metadata["sheets"] += 1
            rows: list[list[Cell]] = []
            with book.get_sheet(name) as sheet:
                for row in sheet.rows(sparse=True):
                    if not row:
                        continue
                    index = row[0].r
                    if index >= limits.max_table_rows:
                        _note_rows_cut(document, limits)
                        break
                    rows.extend([] for _ in range(index + 1 - len(rows)))
                    rows[index] = _placed((cell.c, cell_value(cell.v)) for cell in row if cell.c < limits.max_table_columns)
            rows = trim(rows)
            if rows:
                document.blocks.append(sheet_table(rows, filename, name, {}))
    except (KeyError, ValueError, OSError, TypeError, IndexError, AttributeError, EOFError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook is damaged: {type(exc).__name__}: {exc}") from exc
    finally:
        book.close()
    return document


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_X = "{urn:schemas-microsoft-com:office:excel}"


def parse_spreadsheetml(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """Excel 2003 XML workbooks (SpreadsheetML, often named .xls): plain XML, one table per sheet."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"workbook (XML) cannot be read: {exc}") from exc
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    for worksheet in root.iter(f"{_SS}Worksheet"):
        name = worksheet.get(f"{_SS}Name") or f"Sheet{document.metadata['sheets'] + 1}"
        visible = worksheet.find(f"{_X}WorksheetOptions/{_X}Visible")
        if visible is not None and (visible.text or "").strip().lower().startswith("sheethidden"):
            document.metadata["hidden_sheets"].append(name)
            continue
        document.metadata["sheets"] += 1
        rows = trim(_xml_rows(worksheet, limits, document))
        if rows:
            document.blocks.append(sheet_table(rows, filename, name, {}))
    return document


def _xml_rows(worksheet, limits: Limits, document: Document) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    table = worksheet.find(f"{_SS}Table")
    for row in table.iter(f"{_SS}Row") if table is not None else ():
        index = int(row.get(f"{_SS}Index") or len(rows) + 1) - 1
        if index >= limits.max_table_rows:
            _note_rows_cut(document, limits)
            break
        rows.extend([] for _ in range(index + 1 - len(rows)))
        cells: list[tuple[int, Cell]] = []
        next_column = 0
        for cell in row.iter(f"{_SS}Cell"):
            column = int(cell.get(f"{_SS}Index") or next_column + 1) - 1
            data = cell.find(f"{_SS}Data")
            if column < limits.max_table_columns and data is not None:
                cells.append((column, _xml_value("".join(data.itertext()), data.get(f"{_SS}Type"))))
            next_column = column + int(cell.get(f"{_SS}MergeAcross") or 0) + 1
        rows[index] = _placed(cells)
    return rows


def _xml_value(text: str, kind: str | None) -> Cell:
    if kind == "Number":
        try:
            return cell_value(float(text))
        except ValueError:
            return cell_value(text)
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    if kind == "DateTime":
        try:
            return cell_value(dt.datetime.fromisoformat(text.strip()))
        except ValueError:
            return cell_value(text)
    return cell_value(text)


def _placed(cells) -> list[Cell]:
    """A row from (column, value) pairs, empty cells filled with None."""
    row: list[Cell] = []
    for column, value in cells:
        row.extend([None] * (column + 1 - len(row)))
        row[column] = value
    return row


def _note_rows_cut(document: Document, limits: Limits) -> None:
    """A sheet longer than the row limit: said on the document (and so on the attachment)."""
    document.metadata["rows_cut_at"] = limits.max_table_rows
    document.reason = (
        f"truncated: only the first {limits.max_table_rows} rows and {limits.max_table_columns} columns"
        " of a sheet were read (limit)"
    )


def _range_name(r0: int, r1: int, c0: int, c1: int) -> str:
    return f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1)}{r1}"


def parse_csv(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """A CSV file is one table. The delimiter is guessed (French exports use `;`)."""
    text = decode_text(data).lstrip("\ufeff")
    sample = text[:16384]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows: list[list[Cell]] = []
    cut = False
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) >= limits.max_table_rows:
                cut = True
                break
            rows.append([(cell.strip() or None) for cell in row[: limits.max_table_columns]])
    except csv.Error as exc:
        raise ParseError(ParseStatus.CORRUPT, f"CSV cannot be read: {exc}") from exc
    rows = trim(rows)
    check_table_size(rows, None, limits)
    document = Document(metadata={"delimiter": delimiter})
    if cut:
        _note_rows_cut(document, limits)
    if rows:
        document.blocks.append(sheet_table(rows, filename, None, {}))
    return document


def sheet_table(rows: list[list[Cell]], filename: str, sheet: str | None, attributes: dict) -> Block:
    """A sheet as one table block, with its range from A1 (also for OpenDocument sheets)."""
    cell_range = f"A1:{get_column_letter(max(len(rows[0]), 1))}{len(rows)}"
    attributes = {key: value for key, value in attributes.items() if value}
    return Block.table(rows, Provenance(file=filename, sheet=sheet, cell_range=cell_range), **attributes)


def cell_value(value: object) -> Cell:
    """A cell as JSON can keep it: dates as ISO text, whole numbers as integers
    (spreadsheets store 12 as 12.0), text stripped, empty text as None."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value).strip()
    return text or None


def trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Drop empty trailing rows and columns (sheets often carry formatting far
    below the data) and square the table."""
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0)
    return [r[:width] + [None] * (width - len(r[:width])) for r in rows]
