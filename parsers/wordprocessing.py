"""Word documents (DOCX with python-docx): headings, lists, paragraphs and
tables, in the order they appear in the body."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from bilan.parsers.document import Block, BlockKind, Document, ParseError, ParseStatus, Provenance

_HEADING_STYLE = re.compile(r"^(?:heading|titre)\s*(\d)", re.IGNORECASE)


def parse_docx(data: bytes, filename: str) -> Document:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(ParseStatus.ENCRYPTED, "document is password-protected (encrypted OOXML)")
    try:
        document: DocxDocument = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"document cannot be read: {exc}") from exc
    result = Document()
    for index, item in enumerate(document.iter_inner_content()):
        provenance = Provenance(file=filename, paragraph=index)
        if isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                result.blocks.append(Block.table(rows, provenance))
        elif isinstance(item, Paragraph):
            block = _paragraph_block(item, provenance)
            if block is not None:
                result.blocks.append(block)
    return result


def _paragraph_block(paragraph: Paragraph, provenance: Provenance) -> Block | None:
    text = " ".join(paragraph.text.split())
    if not text:
        return None
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = _HEADING_STYLE.match(style)
    if heading or style.lower() == "title":
        level = int(heading.group(1)) if heading else 0
        return Block(BlockKind.HEADING, provenance, text=text, level=level)
    num_pr = paragraph._p.find(qn("w:pPr") + "/" + qn("w:numPr"))
    if num_pr is not None or style.lower().startswith(("list", "liste")):
        level = 1
        if num_pr is not None:
            ilvl = num_pr.find(qn("w:ilvl"))
            if ilvl is not None:
                level = int(ilvl.get(qn("w:val"), "0")) + 1
        return Block(BlockKind.LIST_ITEM, provenance, text=text, level=level)
    return Block(BlockKind.PARAGRAPH, provenance, text=text)


def _table_rows(table: Table) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for row in table.rows:
        # python-docx repeats a horizontally merged cell once per grid column,
        # which is what we want: every column keeps its header.
        rows.append([(" ".join(cell.text.split()) or None) for cell in row.cells])
    return rows
