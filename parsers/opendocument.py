"""OpenDocument text (ODT) and spreadsheets (ODS), as LibreOffice writes them.

Both are ZIP packages whose `content.xml` holds the whole body. It is read
with defusedxml's ElementTree rather than odfpy's loader: only that one part
is needed, and defusedxml refuses entity tricks (XML bombs) on its own, on top
of the package checks of `safety`. (odfpy remains what the tests use to
write such files.)

Repeated rows and cells (`number-rows-repeated`, how a sheet says "the next
million rows are empty") are expanded only when data follows them.
"""

from __future__ import annotations

import zipfile
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bilan.parsers.document import (
    Block,
    BlockKind,
    Cell,
    Document,
    ParseError,
    ParseStatus,
    Provenance,
)
from bilan.parsers.limits import Limits
from bilan.parsers.safety import open_office_zip
from bilan.parsers.spreadsheet import cell_value, check_table_size, sheet_table, trim

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
}


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


_H, _P, _LIST, _LIST_ITEM, _LIST_HEADER = _q("text:h"), _q("text:p"), _q("text:list"), _q("text:list-item"), _q("text:list-header")
_TABLE, _ROW, _CELL, _COVERED = _q("table:table"), _q("table:table-row"), _q("table:table-cell"), _q("table:covered-table-cell")
_COLUMN = _q("table:table-column")
_SPACE, _TAB, _BREAK = _q("text:s"), _q("text:tab"), _q("text:line-break")
#: Inline elements whose text is not part of the sentence around them.
_SKIPPED = {_q("text:note"), _q("office:annotation"), _q("text:bookmark-ref"), _q("draw:frame")}


def parse_odt(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    body = _body(data, limits, "document", "office:text")
    reader = _TextReader(filename, limits)
    reader.walk(body)
    return Document(blocks=reader.blocks)


def parse_ods(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    root, body = _content(data, limits, "workbook", "office:spreadsheet")
    hidden_styles = {
        style.get(_q("style:name"))
        for style in root.iter(_q("style:style"))
        if any(p.get(_q("table:display")) == "false" for p in style.iter(_q("style:table-properties")))
    }
    document = Document(metadata={"sheets": 0, "hidden_sheets": []})
    for table in body.iter(_TABLE):
        name = table.get(_q("table:name")) or f"Sheet{document.metadata['sheets'] + 1}"
        if table.get(_q("table:style-name")) in hidden_styles:
            document.metadata["hidden_sheets"].append(name)
            continue
        document.metadata["sheets"] += 1
        rows, hidden_rows, hidden_columns = _table_rows(table, limits)
        check_table_size(rows, name, limits)
        if rows:
            attributes = {"hidden_rows": [r for r in hidden_rows if r <= len(rows)], "hidden_columns": hidden_columns}
            document.blocks.append(sheet_table(rows, filename, name, attributes))
    return document


def _body(data: bytes, limits: Limits, what: str, kind: str) -> Element:
    return _content(data, limits, what, kind)[1]


def _content(data: bytes, limits: Limits, what: str, kind: str) -> tuple[Element, Element]:
    with open_office_zip(data, limits, what) as package:
        names = set(package.namelist())
        if "META-INF/manifest.xml" in names and b"encryption-data" in package.read("META-INF/manifest.xml"):
            raise ParseError(ParseStatus.ENCRYPTED, f"{what} is password-protected")
        if "content.xml" not in names:
            raise ParseError(ParseStatus.CORRUPT, f"{what} has no content.xml part")
        try:
            content = package.read("content.xml")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ParseError(ParseStatus.CORRUPT, f"{what} is damaged: {exc}") from exc
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ParseError(ParseStatus.CORRUPT, f"{what} declares XML entities (an XML bomb?): refused") from exc
    except Exception as exc:  # ParseError of ElementTree, or expat's errors
        raise ParseError(ParseStatus.CORRUPT, f"{what} content is not well-formed XML: {exc}") from exc
    body = root.find(f"{_q('office:body')}/{_q(kind)}")
    if body is None:
        raise ParseError(ParseStatus.CORRUPT, f"{what} has no {kind} body")
    return root, body


class _TextReader:
    """Walks an ODT body in document order, emitting blocks."""

    def __init__(self, filename: str, limits: Limits):
        self.filename = filename
        self.limits = limits
        self.blocks: list[Block] = []

    def _provenance(self) -> Provenance:
        return Provenance(file=self.filename, paragraph=len(self.blocks))

    def walk(self, element: Element, list_level: int = 0) -> None:
        for child in element:
            tag = child.tag
            if tag == _H:
                text = _text(child)
                if text:
                    level = int(child.get(_q("text:outline-level"), "1") or 1)
                    self.blocks.append(Block(BlockKind.HEADING, self._provenance(), text=text, level=level))
            elif tag == _P:
                text = _text(child)
                if text:
                    self.blocks.append(Block(BlockKind.PARAGRAPH, self._provenance(), text=text))
            elif tag == _LIST:
                self._list(child, list_level + 1)
            elif tag == _TABLE:
                rows, _, _ = _table_rows(child, self.limits)
                if rows:
                    self.blocks.append(Block.table(rows, self._provenance()))
            elif tag not in _SKIPPED:
                self.walk(child, list_level)  # sections, frames' text boxes, index bodies...

    def _list(self, element: Element, level: int) -> None:
        for item in element:
            if item.tag not in (_LIST_ITEM, _LIST_HEADER):
                continue
            current: Block | None = None
            for child in item:
                if child.tag in (_P, _H):
                    text = _text(child)
                    if not text:
                        continue
                    if current is None:
                        current = Block(BlockKind.LIST_ITEM, self._provenance(), text=text, level=level)
                        self.blocks.append(current)
                    else:
                        current.text += " " + text  # a second paragraph of the same item
                elif child.tag == _LIST:
                    self._list(child, level + 1)
                    current = None
                else:
                    self.walk(child, level)


def _text(element: Element) -> str:
    parts: list[str] = []

    def collect(node: Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == _SPACE:
                parts.append(" " * int(child.get(_q("text:c"), "1") or 1))
            elif child.tag in (_TAB, _BREAK):
                parts.append(" ")
            elif child.tag not in _SKIPPED:
                collect(child)
            if child.tail:
                parts.append(child.tail)

    collect(element)
    return " ".join("".join(parts).split())


def _table_rows(table: Element, limits: Limits) -> tuple[list[list[Cell]], list[int], list[str]]:
    """Rows of a table (covered cells filled from the cell spanning them),
    the numbers of hidden rows, and the letters of hidden columns."""
    from openpyxl.utils import get_column_letter

    rows: list[list[Cell]] = []
    hidden_rows: list[int] = []
    pending_empty = 0
    spans: dict[tuple[int, int], Cell] = {}
    for row in _children(table, _ROW):
        repeat = max(int(row.get(_q("table:number-rows-repeated"), "1") or 1), 1)
        hidden = row.get(_q("table:visibility"), "visible") != "visible"
        values = _row_cells(row, len(rows) + pending_empty, spans, limits)
        if all(value is None for value in values) and not any(key[0] >= len(rows) + pending_empty for key in spans):
            pending_empty += repeat
            continue
        for _ in range(min(repeat, limits.max_table_rows)):
            if len(rows) + pending_empty >= limits.max_table_rows:
                break
            rows.extend([[] for _ in range(pending_empty)])
            pending_empty = 0
            index = len(rows)
            rows.append([spans.get((index, c), v) if v is None else v for c, v in enumerate(values)])
            if hidden:
                hidden_rows.append(index + 1)
        if len(rows) >= limits.max_table_rows:
            break
    hidden_columns: list[str] = []
    position = 0
    for column in _children(table, _COLUMN):
        repeat = max(int(column.get(_q("table:number-columns-repeated"), "1") or 1), 1)
        if column.get(_q("table:visibility"), "visible") != "visible":
            hidden_columns.extend(get_column_letter(c + 1) for c in range(position, min(position + repeat, limits.max_table_columns)))
        position += repeat
        if position >= limits.max_table_columns:
            break
    rows = trim(rows)
    width = len(rows[0]) if rows else 0
    return rows, hidden_rows, [c for c in hidden_columns if rows and _column_index(c) < width]


def _children(table: Element, tag: str) -> list[Element]:
    """The table's own rows or columns, through header rows and groups, but
    not those of a table nested in one of its cells."""
    found: list[Element] = []

    def collect(node: Element) -> None:
        for child in node:
            if child.tag == tag:
                found.append(child)
            elif child.tag not in (_TABLE, _CELL, _COVERED):
                collect(child)

    collect(table)
    return found


def _row_cells(row: Element, row_index: int, spans: dict[tuple[int, int], Cell], limits: Limits) -> list[Cell]:
    values: list[Cell] = []
    pending_empty = 0
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        repeat = max(int(cell.get(_q("table:number-columns-repeated"), "1") or 1), 1)
        value = None if cell.tag == _COVERED else _cell_value(cell)
        if value is None:
            pending_empty += repeat
            continue
        for _ in range(repeat):
            if len(values) + pending_empty >= limits.max_table_columns:
                break
            values.extend([None] * pending_empty)
            pending_empty = 0
            column = len(values)
            values.append(value)
            rows_spanned = int(cell.get(_q("table:number-rows-spanned"), "1") or 1)
            columns_spanned = int(cell.get(_q("table:number-columns-spanned"), "1") or 1)
            for r in range(row_index, row_index + min(rows_spanned, limits.max_table_rows)):
                for c in range(column, column + min(columns_spanned, limits.max_table_columns)):
                    if (r, c) != (row_index, column):
                        spans[(r, c)] = value
    # Covered cells to the right of the last value are filled from their span.
    width = max([len(values)] + [c + 1 for (r, c) in spans if r == row_index])
    values.extend([None] * (min(width, limits.max_table_columns) - len(values)))
    return values


def _cell_value(cell: Element) -> Cell:
    kind = cell.get(_q("office:value-type"))
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(_q("office:value"))
        try:
            return cell_value(float(raw)) if raw is not None else _cell_text(cell)
        except ValueError:
            return _cell_text(cell)
    if kind == "date":
        raw = cell.get(_q("office:date-value")) or ""
        return raw[:10] if raw.endswith("T00:00:00") or len(raw) == 10 else (raw or _cell_text(cell))
    if kind == "boolean":
        return cell.get(_q("office:boolean-value")) == "true"
    return _cell_text(cell)


def _cell_text(cell: Element) -> str | None:
    text = " ".join(t for t in (_text(p) for p in cell if p.tag in (_P, _H)) if t)
    return text or None


def _column_index(letter: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(letter) - 1
