"""PDF: text in reading order, tables as tables.

pdfplumber gives both words and tables; a page with no characters at all but
with images is a scan, which we report as such rather than as an empty file.
"""

from __future__ import annotations

import io

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException

from bilan.parsers.document import Block, BlockKind, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.text import paragraphs_to_blocks


def parse_pdf(data: bytes, filename: str) -> Document:
    document = Document(metadata={"pages": 0})
    images = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            document.metadata["pages"] = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                images += len(page.images)
                document.blocks.extend(_page_blocks(page, filename, number))
    except _READ_ERRORS as exc:
        raise _classify(exc) from exc
    if not document.blocks:
        if images:
            raise ParseError(ParseStatus.SCANNED, "PDF has no text layer, only images (a scan)")
        raise ParseError(ParseStatus.CORRUPT, "PDF has no readable content")
    return document


_READ_ERRORS = (
    PDFPasswordIncorrect, PDFEncryptionError, PDFSyntaxError, PSException, PdfminerException,
    ValueError, KeyError, TypeError, AssertionError, IndexError,
)


def _classify(exc: Exception) -> ParseError:
    """pdfplumber wraps pdfminer's errors; look at the cause to tell encryption from damage."""
    cause = exc.__cause__ or exc.__context__ or exc
    if isinstance(exc, (PDFPasswordIncorrect, PDFEncryptionError)) or isinstance(
        cause, (PDFPasswordIncorrect, PDFEncryptionError)
    ):
        return ParseError(ParseStatus.ENCRYPTED, "PDF is password-protected")
    return ParseError(ParseStatus.CORRUPT, f"PDF is damaged: {exc or type(exc).__name__}")


def _page_blocks(page, filename: str, number: int) -> list[Block]:
    provenance = Provenance(file=filename, page=number)
    tables = page.find_tables()
    blocks: list[Block] = []
    outside = page
    for table in tables:
        # Text inside a table's box belongs to the table block, not to the paragraphs.
        outside = outside.outside_bbox(table.bbox)
    text = outside.extract_text(layout=False) or ""
    blocks.extend(paragraphs_to_blocks(text, provenance))
    for table in tables:
        rows = [[_clean(cell) for cell in row] for row in table.extract()]
        if rows:
            blocks.append(Block.table(rows, provenance))
    return blocks


def _clean(cell: str | None) -> str | None:
    if cell is None:
        return None
    cell = " ".join(cell.split())
    return cell or None


__all__ = ["parse_pdf", "BlockKind"]
