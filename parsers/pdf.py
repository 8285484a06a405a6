"""PDF: text in reading order, tables as tables, scans through OCR.

Two engines, each where it is best (see bench/parse.py for the figures):
- PDFium (pypdfium2) reads the text layer of every page, about a hundred
  times faster than pdfminer, and in the order the text was written, which
  keeps the columns of a two-column page apart (pdfplumber's line-by-line
  order interleaves them);
- pdfplumber finds and extracts tables, only on the pages whose drawing has
  enough rulings to hold one.
Lines become blocks in `layout` (headings, paragraphs, list items); running
headers and footers are removed. A page with no text but images is a scan:
it is read by OCR and its blocks are marked `ocr=True`; a PDF made only of
such pages gets the status `scanned` even when OCR reads it.
"""

from __future__ import annotations

import ctypes
import io
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bilan.parsers.document import Block, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.layout import Line, Page, pages_to_blocks, remove_running_lines
from bilan.parsers.limits import Limits
from bilan.parsers.ocr import ocr_available, ocr_lines

#: A PDF ends with this marker within its last bytes; a file without it was cut.
_EOF_MARKER = b"%%EOF"
_TAIL_BYTES = 4096
#: Path segments on a page from which pdfplumber is asked to look for tables
#: (a ruled table of 2 x 2 cells already has more).
_RULING_SEGMENTS = 8
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
#: Resolution of a scanned page for OCR: the scan's own, within these bounds.
_OCR_DPI = (100, 300)
_OCR_MAX_PIXELS = 5000


def parse_pdf(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    if _EOF_MARKER not in data[-_TAIL_BYTES:]:
        raise ParseError(ParseStatus.CORRUPT, "PDF is truncated: its end-of-file marker is missing")
    pdf = _open(data)
    try:
        return _read(pdf, data, filename, limits)
    finally:
        pdf.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ParseError(ParseStatus.ENCRYPTED, "PDF is password-protected") from exc
        raise ParseError(ParseStatus.CORRUPT, f"PDF is damaged: {exc}") from exc


def _read(pdf: pdfium.PdfDocument, data: bytes, filename: str, limits: Limits) -> Document:
    total = len(pdf)
    document = Document(metadata={"pages": total})
    if total > limits.max_pages:
        document.metadata["pages_not_read"] = total - limits.max_pages
    text_pages: list[Page] = []
    scans: list[tuple[int, float]] = []  # (page number, OCR resolution)
    ruled: list[int] = []
    for number in range(1, min(total, limits.max_pages) + 1):
        page = pdf[number - 1]
        try:
            lines = _text_lines(page)
            if lines:
                text_pages.append(Page(number, page.get_height(), lines))
                if _has_rulings(page):
                    ruled.append(number)
            else:
                dpi = _scan_resolution(page)
                if dpi is not None:
                    scans.append((number, dpi))
        finally:
            page.close()

    tables = _mark_tables(data, ruled, text_pages, filename, document)
    document.metadata["running_lines_removed"] = remove_running_lines(text_pages)
    blocks = pages_to_blocks(
        text_pages,
        lambda page, index: Provenance(file=filename, page=page, paragraph=index),
        lambda page, index: tables[(page, index)],
    )
    if scans:
        blocks = _merge_by_page(blocks, _ocr_pages(pdf, scans, filename, limits, document))
    document.blocks = blocks
    if not text_pages:
        if not scans:
            raise ParseError(ParseStatus.CORRUPT, "PDF has no readable content (no text, no images)")
        if not ocr_available():
            raise ParseError(ParseStatus.SCANNED, "PDF has no text layer, only images (a scan), and OCR is not installed")
        document.status = ParseStatus.SCANNED
        document.reason = "PDF has no text layer, only images (a scan); its text was read by OCR"
    return document


def _text_lines(page: pdfium.PdfPage) -> list[Line]:
    """The page's lines in the order PDFium reads them (the content's order)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range()
        height = page.get_height()
        aligned = len(text) == count  # one index per character: positions can be asked
        lines: list[Line] = []
        for match in re.finditer(r"[^\r\n]+", text):
            raw = _CONTROL.sub("", match.group().replace("\x02", "-"))
            if not raw.strip():
                continue
            first = match.start() + (len(match.group()) - len(match.group().lstrip()))
            last = match.end() - 1 - (len(match.group()) - len(match.group().rstrip()))
            if aligned:
                lines.append(_positioned(textpage, raw.strip(), first, last, height))
            else:
                top = float(len(lines) * 12)
                lines.append(Line(text=raw.strip(), x0=0, x1=0, top=top, bottom=top + 10, size=10))
        return lines
    finally:
        textpage.close()


def _positioned(textpage: pdfium.PdfTextPage, text: str, first: int, last: int, height: float) -> Line:
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage.raw, first, x, y)
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, first) or 10.0
    left, _, _, _ = textpage.get_charbox(first)
    _, _, right, _ = textpage.get_charbox(last)
    baseline = height - y.value
    return Line(
        text=text,
        x0=left,
        x1=right,
        top=baseline - 0.8 * size,
        bottom=baseline + 0.2 * size,
        size=size,
        bold=_is_bold(textpage, first) and _is_bold(textpage, last),
    )


def _is_bold(textpage: pdfium.PdfTextPage, index: int) -> bool:
    if pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= 600:
        return True
    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, len(buffer), flags)
    return bool(_BOLD_NAME.search(buffer.value.decode("latin-1")))


def _has_rulings(page: pdfium.PdfPage) -> bool:
    segments = 0
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        segments += max(pdfium_c.FPDFPath_CountSegments(item.raw), 0)
        if segments >= _RULING_SEGMENTS:
            return True
    return False


def _scan_resolution(page: pdfium.PdfPage) -> float | None:
    """None for a blank page; else the resolution to render it at for OCR:
    that of its largest image, so that the scan is neither blurred nor blown up."""
    best: float | None = None
    best_area = 0.0
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        try:
            left, bottom, right, top = item.get_pos()
            pixels_wide, _ = item.get_px_size()
        except (pdfium.PdfiumError, AttributeError, ValueError):
            best = best or 200.0
            continue
        area = (right - left) * (top - bottom)
        if area > best_area and right > left:
            best_area = area
            best = pixels_wide / ((right - left) / 72)
    if best is None:
        return None
    return min(max(best, _OCR_DPI[0]), _OCR_DPI[1])


def _mark_tables(
    data: bytes, ruled: list[int], pages: list[Page], filename: str, document: Document
) -> dict[tuple[int, int], Block]:
    """Ask pdfplumber for the tables of the ruled pages; mark the lines they
    cover so that the table block replaces them; return the table blocks."""
    blocks: dict[tuple[int, int], Block] = {}
    if not ruled:
        return blocks
    import pdfplumber

    by_number = {page.number: page for page in pages}
    try:
        plumber = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer is stricter than PDFium: keep the text
        document.metadata["tables_not_read"] = f"{type(exc).__name__}: {exc}"
        return blocks
    with plumber:
        for number in ruled:
            try:
                found = plumber.pages[number - 1].find_tables()
                extracted = [(table.bbox, table.extract()) for table in found]
            except Exception as exc:
                document.metadata.setdefault("tables_not_read_pages", []).append(number)
                document.metadata["tables_not_read"] = f"{type(exc).__name__}: {exc}"
                continue
            page = by_number[number]
            index = 0
            for (x0, top, x1, bottom), raw_rows in extracted:
                rows = [[_clean(cell) for cell in row] for row in raw_rows]
                rows = [row for row in rows if any(cell is not None for cell in row)]
                if not rows:
                    continue
                covered = [
                    line for line in page.lines
                    if x0 - 1 <= (line.x0 + line.x1) / 2 <= x1 + 1 and top - 1 <= (line.top + line.bottom) / 2 <= bottom + 1
                ]
                for line in covered:
                    line.table = index
                page.tables += 1
                blocks[(number, index)] = Block.table(rows, Provenance(file=filename, page=number))
                index += 1
    return blocks


def _ocr_pages(
    pdf: pdfium.PdfDocument, scans: list[tuple[int, float]], filename: str, limits: Limits, document: Document
) -> list[Block]:
    if not ocr_available():
        document.metadata["ocr"] = "not installed"
        return []
    pages: list[Page] = []
    confidences: list[float] = []
    for number, dpi in scans[: limits.max_ocr_pages]:
        page = pdf[number - 1]
        try:
            scale = dpi / 72
            width, height = page.get_size()
            scale = min(scale, _OCR_MAX_PIXELS / max(width, height, 1))
            image = page.render(scale=scale, grayscale=True).to_pil()
        finally:
            page.close()
        lines, confidence = ocr_lines(image)
        confidences.append(confidence)
        for line in lines:  # back to page units, like the text layer
            line.x0, line.x1, line.top, line.bottom, line.size = (
                value / scale for value in (line.x0, line.x1, line.top, line.bottom, line.size)
            )
        pages.append(Page(number, height, lines))
    document.metadata["ocr_pages"] = [page.number for page in pages]
    if len(scans) > limits.max_ocr_pages:
        document.metadata["ocr_pages_skipped"] = [number for number, _ in scans[limits.max_ocr_pages :]]
    if confidences:
        document.metadata["ocr_confidence"] = round(sum(confidences) / len(confidences), 1)
    return pages_to_blocks(pages, lambda page, index: Provenance(file=filename, page=page, paragraph=index, ocr=True))


def _merge_by_page(first: list[Block], second: list[Block]) -> list[Block]:
    return sorted(first + second, key=lambda block: block.provenance.page or 0)


def _clean(cell: str | None) -> str | None:
    if cell is None:
        return None
    cell = " ".join(_CONTROL.sub("", cell).split())
    return cell or None
