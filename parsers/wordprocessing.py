"""Word documents: headings, lists, paragraphs and tables, in the order they
appear in the body.

DOCX is read with python-docx. Headings are paragraphs styled as headings
(or given an outline level), and also short paragraphs set entirely in bold,
which is how many people type a heading. Legacy .doc and RTF files are
converted to DOCX by LibreOffice (`libreoffice.py`) and read the same way.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from bilan.parsers.document import Block, BlockKind, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.libreoffice import convert_to_docx
from bilan.parsers.limits import Limits
from bilan.parsers.safety import open_office_zip

_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*(\d)", re.IGNORECASE)
_NESTED_LIST_STYLE = re.compile(r"^(?:list|liste)\b.*?\s([2-9])$", re.IGNORECASE)


def parse_docx(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(ParseStatus.ENCRYPTED, "document is password-protected (encrypted OOXML)")
    open_office_zip(data, limits, "document").close()
    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, AttributeError, TypeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"document cannot be read: {exc}") from exc
    result = Document()
    try:
        items = list(document.iter_inner_content())
    except (KeyError, ValueError, AttributeError, TypeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"document body cannot be read: {exc}") from exc
    styles = _Styles(document)
    for index, item in enumerate(items):
        provenance = Provenance(file=filename, paragraph=index)
        if isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                result.blocks.append(Block.table(rows, provenance))
        elif isinstance(item, Paragraph):
            for paragraph in (item, *_text_box_paragraphs(item)):
                block = _paragraph_block(paragraph, provenance, styles)
                if block is not None:
                    result.blocks.append(block)
    _level_bold_headings(result.blocks)
    return result


def parse_doc(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """Word 97-2003: refused early when encrypted, else converted by LibreOffice."""
    if _doc_is_encrypted(data):
        raise ParseError(ParseStatus.ENCRYPTED, "document is password-protected")
    return _converted(data, ".doc", filename, limits)


def parse_rtf(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    return _converted(data, ".rtf", filename, limits)


def _converted(data: bytes, suffix: str, filename: str, limits: Limits) -> Document:
    converted = convert_to_docx(data, suffix, timeout=max(limits.parse_seconds - 2, 1))
    document = parse_docx(converted, filename, limits)
    document.metadata["converted_by"] = "LibreOffice"
    return document


def _doc_is_encrypted(data: bytes) -> bool:
    """The File Information Block of a .doc says whether it is encrypted
    (flag fEncrypted, bit 8 of the word at offset 0x0A)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists("WordDocument"):
                return False
            head = ole.openstream("WordDocument").read(12)
    except (OSError, ValueError, struct.error):
        return False
    return len(head) >= 12 and bool(struct.unpack_from("<H", head, 0x0A)[0] & 0x0100)


class _Styles:
    """Paragraph style names and boldness by style id, looked up once
    (python-docx searches the style list again for every paragraph)."""

    def __init__(self, document: DocxDocument):
        self.names: dict[str | None, str] = {}
        self.bold: dict[str | None, bool] = {}
        try:
            elements = document.styles.element.findall(qn("w:style"))
        except (KeyError, ValueError, AttributeError, TypeError):
            elements = []
        for element in elements:
            if element.get(qn("w:type")) != "paragraph":
                continue
            style_id = element.get(qn("w:styleId"))
            name = element.find(qn("w:name"))
            bold = element.find(f"{qn('w:rPr')}/{qn('w:b')}")
            self.names[style_id] = (name.get(qn("w:val")) if name is not None else None) or style_id or ""
            self.bold[style_id] = bold is not None and bold.get(qn("w:val"), "true") not in ("0", "false")
            if element.get(qn("w:default")) in ("1", "true"):
                self.names[None], self.bold[None] = self.names[style_id], self.bold[style_id]

    def of(self, paragraph: Paragraph) -> tuple[str, bool]:
        style_id = paragraph._p.style
        return self.names.get(style_id, style_id or ""), self.bold.get(style_id, False)


_TEXT_BOXES = etree.XPath(
    ".//w:txbxContent[not(ancestor::mc:Fallback)]",
    namespaces={"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"},
)  # fmt: skip


def _text_box_paragraphs(paragraph: Paragraph) -> list[Paragraph]:
    """The paragraphs of the text boxes and shapes anchored in `paragraph`
    (its own text leaves them out), after it. Word writes each box twice, as
    a drawing and as a VML fallback: the fallback is skipped."""
    boxes = _TEXT_BOXES(paragraph._p)
    return [Paragraph(p, paragraph) for box in boxes for p in box.iterchildren(qn("w:p"))]


def _paragraph_block(paragraph: Paragraph, provenance: Provenance, styles: _Styles) -> Block | None:
    text = " ".join(paragraph.text.split())
    if not text:
        return None
    style, style_bold = styles.of(paragraph)
    heading = _HEADING_STYLE.match(style)
    if heading or style.lower() == "title":
        level = int(heading.group(1)) if heading else 0
        return Block(BlockKind.HEADING, provenance, text=text, level=level)
    outline = paragraph._p.find(qn("w:pPr") + "/" + qn("w:outlineLvl"))
    if outline is not None and (outline.get(qn("w:val")) or "9").isdigit() and int(outline.get(qn("w:val"))) < 9:
        return Block(BlockKind.HEADING, provenance, text=text, level=int(outline.get(qn("w:val"))) + 1)
    num_pr = paragraph._p.find(qn("w:pPr") + "/" + qn("w:numPr"))
    if num_pr is not None or style.lower().startswith(("list", "liste")):
        level = 1
        if num_pr is not None:
            ilvl = num_pr.find(qn("w:ilvl"))
            if ilvl is not None and (ilvl.get(qn("w:val"), "0") or "0").isdigit():
                level = int(ilvl.get(qn("w:val"), "0")) + 1
        nested_style = _NESTED_LIST_STYLE.search(style)
        if level == 1 and nested_style:  # "List Bullet 2": the style carries the nesting
            level = int(nested_style.group(1))
        return Block(BlockKind.LIST_ITEM, provenance, text=text, level=level)
    if _typed_heading(paragraph, text, style_bold):
        return Block(BlockKind.HEADING, provenance, text=text, level=0, attributes={"bold_heading": True})
    return Block(BlockKind.PARAGRAPH, provenance, text=text)


def _typed_heading(paragraph: Paragraph, text: str, style_bold: bool) -> bool:
    """A short paragraph entirely in bold that does not end like a sentence."""
    if len(text) > 150 or text.endswith((".", ",", ";", "!", "?")):
        return False
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold or (run.bold is None and style_bold) for run in runs)


def _level_bold_headings(blocks: list[Block]) -> None:
    """Headings typed in bold rank just below the document's styled headings."""
    styled = [b.level for b in blocks if b.kind is BlockKind.HEADING and not b.attributes.get("bold_heading")]
    level = max(styled, default=0) + 1
    for block in blocks:
        if block.attributes.pop("bold_heading", False):
            block.level = level


def _table_rows(table: Table) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for row in table.rows:
        # python-docx repeats a horizontally merged cell once per grid column,
        # which is what we want: every column keeps its header.
        try:
            cells = row.cells
        except (ValueError, IndexError):  # spans that do not fit the grid: the cells as written
            cells = [_Cell(tc, table) for tc in row._tr.tc_lst]
        rows.append([_cell_text(cell) for cell in cells])
    width = max((len(row) for row in rows), default=0)
    return [row + [None] * (width - len(row)) for row in rows]


def _cell_text(cell) -> str | None:
    """A cell's paragraphs and the text of any table nested in it (python-docx's
    `cell.text` leaves nested tables out)."""
    parts: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                seen: set[int] = set()
                for inner in row.cells:
                    if id(inner._tc) not in seen:  # a merged cell is repeated per grid column
                        seen.add(id(inner._tc))
                        parts.append(_cell_text(inner) or "")
        else:
            parts.append(item.text)
    return " ".join(" ".join(parts).split()) or None
