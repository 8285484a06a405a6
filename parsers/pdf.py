"""PDF: text in reading order, tables as tables, scans through OCR.

PDFium (pypdfium2) reads every page: about thirty times faster than
pdfminer (pdfplumber's engine), and in the order the text was written, which
keeps the columns of a two-column page apart (pdfplumber's line-by-line
order interleaves them). Tables are found by pdfplumber's table finder
(rulings -> intersections -> cells -> tables), fed with the rulings PDFium
reads from the page's paths, and their cells are filled with PDFium's text:
the same tables as pdfplumber on every page of the dev corpus, 25 times
faster (see bench/parse.py). Only pages with enough rulings are searched.
Lines become blocks in `layout` (headings, paragraphs, list items); running
headers and footers are removed. A page with no text but images is a scan:
it is read by OCR and its blocks are marked `ocr=True`; a PDF made only of
such pages gets the status `scanned` even when OCR reads it.

PDFium loses the text of a CJK font that the file names without embedding it
when each string holds one character, as the OCR layers of Chinese and
Japanese scanners write them: such a page has more text objects than PDFium
reads characters, and is read again by pdfminer, whose text is kept when it
holds more.
"""

from __future__ import annotations

import ctypes
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from bilan.parsers.document import Block, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.hyphenation import is_hyphenation
from bilan.parsers.layout import Line, Page, pages_to_blocks, remove_running_lines
from bilan.parsers.limits import Limits
from bilan.parsers.ocr import ocr_available, ocr_page

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
    """A PDF without its end-of-file marker is still read when PDFium can (it
    rebuilds a lost cross-reference table, as viewers do); the missing marker
    is noted. Only a PDF that PDFium cannot open is corrupt."""
    unterminated = _EOF_MARKER not in data[-_TAIL_BYTES:]
    try:
        pdf = _open(data)
    except ParseError as exc:
        if unterminated and exc.status is ParseStatus.CORRUPT:
            raise ParseError(ParseStatus.CORRUPT, f"PDF is truncated (no end-of-file marker): {exc.reason}") from exc
        raise
    try:
        document = _read(pdf, filename, limits, data)
    finally:
        pdf.close()
    if unterminated:
        document.metadata["eof_marker_missing"] = True
    return document


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ParseError(ParseStatus.ENCRYPTED, "PDF is password-protected") from exc
        raise ParseError(ParseStatus.CORRUPT, f"PDF is damaged: {exc}") from exc


def _read(pdf: pdfium.PdfDocument, filename: str, limits: Limits, data: bytes) -> Document:
    total = len(pdf)
    document = Document(metadata={"pages": total})
    if total > limits.max_pages:
        document.metadata["pages_not_read"] = total - limits.max_pages
        document.reason = f"truncated: only the first {limits.max_pages} of {total} pages were read (limit)"
    text_pages: list[Page] = []
    scans: list[tuple[int, float]] = []  # (page number, OCR resolution)
    too_large: list[str] = []  # pages over the pixel limit, not rendered
    ruled: list[int] = []
    with _Pdfminer(data) as second_reader:
        for number in range(1, min(total, limits.max_pages) + 1):
            page = pdf[number - 1]
            try:
                lines = _text_lines(page)
                if _text_objects_lost(page, lines) and second_reader.reads_more(number, lines):
                    document.metadata.setdefault("pages_read_by_pdfminer", []).append(number)
                    text_pages.append(Page(number, page.get_height(), second_reader.lines(number)))
                elif lines:
                    text_pages.append(Page(number, page.get_height(), lines))
                    if has_rulings(page):
                        ruled.append(number)
                else:
                    dpi = _scan_resolution(page)
                    pixels = _image_pixels(page) if dpi is not None else 0
                    if pixels > limits.max_page_pixels:  # decoding it to render the page would cost that much memory
                        too_large.append(f"page {number} holds images of {pixels / 1e6:,.0f} million pixels")
                    elif dpi is not None:
                        scans.append((number, dpi))
            finally:
                page.close()

    tables = _mark_tables(pdf, ruled, text_pages, filename, document)
    document.metadata["running_lines_removed"] = remove_running_lines(text_pages)
    blocks = pages_to_blocks(
        text_pages,
        lambda page, index: Provenance(file=filename, page=page, paragraph=index),
        lambda page, index: tables[(page, index)],
    )
    if scans:
        blocks = _merge_by_page(blocks, _ocr_pages(pdf, scans, filename, limits, document))
    document.blocks = blocks
    if too_large:
        _pixel_limit_hit(document, too_large, limits, read_something=bool(text_pages or scans))
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
        words = _words(text)
        lines: list[Line] = []
        for match in re.finditer(r"[^\r\n]+", text):
            raw = _CONTROL.sub("", _line_end_hyphens(match.group().replace("\x02", "-"), words))
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


def _text_objects_lost(page: pdfium.PdfPage, lines: list[Line]) -> bool:
    """More text objects on the page than characters read: PDFium dropped
    strings (see the module's docstring). Text objects are counted only on
    pages with more objects of any kind than characters, so that the pages
    of ordinary text cost one call."""
    characters = sum(len(line.text) for line in lines)
    total = pdfium_c.FPDFPage_CountObjects(page.raw)
    if total <= characters:
        return False
    texts = 0
    for index in range(total):
        if pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, index)) == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts += 1
    return texts > characters


class _Pdfminer:
    """pdfminer (through pdfplumber) as a second reader of the pages PDFium
    reads in part; the file is opened by it only when a page needs it."""

    def __init__(self, data: bytes):
        self.data = data
        self._pdf = None
        self._lines: dict[int, list[Line]] = {}

    def __enter__(self) -> _Pdfminer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pdf is not None:
            self._pdf.close()

    def lines(self, number: int) -> list[Line]:
        if number not in self._lines:
            import io

            import pdfplumber

            if self._pdf is None:
                self._pdf = pdfplumber.open(io.BytesIO(self.data))
            page = self._pdf.pages[number - 1].dedupe_chars()
            self._lines[number] = [
                Line(text=text, x0=found["x0"], x1=found["x1"], top=found["top"], bottom=found["bottom"],
                     size=max(found["bottom"] - found["top"], 1.0))
                for found in page.extract_text_lines(return_chars=False)
                if (text := " ".join(_CONTROL.sub("", _UNMAPPED_GLYPH.sub("", found["text"])).split()))
            ]  # fmt: skip
        return self._lines[number]

    def reads_more(self, number: int, lines: list[Line]) -> bool:
        """pdfminer's text of the page has clearly more letters than PDFium's."""
        try:
            theirs = sum(_letters(line.text) for line in self.lines(number))
        except Exception:  # pdfminer cannot read the page: PDFium's text stays
            return False
        ours = sum(_letters(line.text) for line in lines)
        return theirs >= ours + 10 and theirs >= 1.2 * ours


#: pdfminer's spelling of a glyph it has no character for.
_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")


def _letters(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


#: PDFium joins a word broken at a line end and marks the hyphen it removed with U+FFFE.
_BROKEN_WORD = re.compile(r"(\w+)\ufffe(\w+)")


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.replace("\ufffe", " ").lower()))


def _line_end_hyphens(text: str, words: set[str]) -> str:
    """A hyphen at a line end, which PDFium marks, stays (French compounds
    break at their hyphen: porte-parole, Saint-Denis) unless it cut a word:
    see `hyphenation`; a word the page writes whole elsewhere settles it."""

    def restored(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        return left + right if is_hyphenation(left, right, words) else f"{left}-{right}"

    return _BROKEN_WORD.sub(restored, text).replace("\ufffe", "-")


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


def has_rulings(page: pdfium.PdfPage) -> bool:
    """Whether the page draws lines, without which it has no ruled table to find."""
    segments = 0
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        segments += max(pdfium_c.FPDFPath_CountSegments(item.raw), 0)
        if segments >= _RULING_SEGMENTS:
            return True
    return False


def _image_pixels(page: pdfium.PdfPage) -> int:
    """Pixels of the images of a page, from their declared sizes (nothing is decoded)."""
    total = 0
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        try:
            width, height = item.get_px_size()
        except (pdfium.PdfiumError, AttributeError, ValueError):
            continue
        total += max(width, 0) * max(height, 0)
    return total


def _pixel_limit_hit(document: Document, pages: list[str], limits: Limits, read_something: bool) -> None:
    """Say which pages were not rendered for OCR; with nothing else read, the
    whole file is too large."""
    reason = f"{'; '.join(pages[:3])}: over the limit of {limits.max_page_pixels / 1e6:,.0f} million; not read"
    if not read_something:
        raise ParseError(ParseStatus.TOO_LARGE, reason)
    document.metadata["pages_over_pixel_limit"] = len(pages)
    document.reason = reason


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
    pdf: pdfium.PdfDocument, ruled: list[int], pages: list[Page], filename: str, document: Document
) -> dict[tuple[int, int], Block]:
    """Find the tables of the ruled pages; mark the lines they cover so that
    the table block replaces them; return the table blocks."""
    blocks: dict[tuple[int, int], Block] = {}
    by_number = {page.number: page for page in pages}
    for number in ruled:
        page = pdf[number - 1]
        try:
            found = page_tables(page)
        except Exception as exc:  # a strange drawing must not cost the text
            document.metadata.setdefault("tables_not_read_pages", []).append(number)
            document.metadata["tables_not_read"] = f"{type(exc).__name__}: {exc}"
            continue
        finally:
            page.close()
        text_page = by_number[number]
        index = 0
        for (x0, top, x1, bottom), rows in found:
            rows = [row for row in rows if any(cell is not None for cell in row)]
            if not rows:
                continue
            for line in text_page.lines:
                if x0 - 1 <= (line.x0 + line.x1) / 2 <= x1 + 1 and top - 1 <= (line.top + line.bottom) / 2 <= bottom + 1:
                    line.table = index
            text_page.tables += 1
            blocks[(number, index)] = Block.table(rows, Provenance(file=filename, page=number))
            index += 1
    return blocks


class _Rulings:
    """What pdfplumber's TableFinder reads of a page: its edges and box."""

    def __init__(self, edges: list[dict], bbox: tuple[float, float, float, float]):
        self.edges = edges
        self.bbox = bbox


def page_tables(page: pdfium.PdfPage) -> list[tuple[tuple[float, float, float, float], list[list[str | None]]]]:
    """The ruled tables of a page (their box and cells), found by pdfplumber's
    table finder on the lines pdfium reads (`bench/parse.py` compares them
    with pdfplumber's own)."""
    from pdfplumber.table import TableFinder

    width, height = page.get_size()
    finder = TableFinder(_Rulings(_edges(page, height), (0, 0, width, height)), {})
    textpage = page.get_textpage()
    try:
        chars = _page_chars(textpage, height)
        tables = []
        for table in finder.tables:
            rows = []
            for row in table.rows:
                cells = []
                for cell in row.cells:
                    if cell is None:
                        cells.append(None)  # covered by a merged cell
                        continue
                    cells.append(_cell_text(chars, cell))
                rows.append(cells)
            tables.append((table.bbox, rows))
        return tables
    finally:
        textpage.close()


#: One character of a page: its index in the page's text, the character, and
#: the centre of its box in pdfplumber's coordinates (y from the top).
_Char = tuple[int, str, float, float]


def _page_chars(textpage: pdfium.PdfTextPage, height: float) -> list[_Char]:
    """The page's characters as its text reads them (`get_text_range` maps
    symbol fonts that the per-character call leaves as raw codes)."""
    chars: list[_Char] = []
    count = textpage.count_chars()
    text = textpage.get_text_range()
    aligned = len(text) == count
    for index in range(count):
        code = ord(text[index]) if aligned else pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        if code in (0x0A, 0x0D) or code == 0 or 0x80 <= code <= 0x9F:
            continue  # line ends, and C1 codes: a symbol font's raw glyph codes, no text
        if code in (0x02, 0xFFFE):  # a hyphen at a line end: kept, as in the text (see _line_end_hyphens)
            code = 0x2D
        left, bottom, right, top = textpage.get_charbox(index)
        chars.append((index, chr(code), (left + right) / 2, height - (top + bottom) / 2))
    return chars


def _cell_text(chars: list[_Char], box: tuple[float, float, float, float]) -> str | None:
    """The text of a table cell from the characters whose centre it holds, in
    the page's text order. Characters that do not follow each other in that
    order (a line break inside the cell, a neighbouring cell in between) are
    separated by a space, so that two lines of a cell never glue into one word."""
    x0, top, x1, bottom = box
    inside = [(index, char) for index, char, x, y in chars if x0 <= x <= x1 and top <= y <= bottom]
    text: list[str] = []
    for position, (index, char) in enumerate(inside):
        if position and index != inside[position - 1][0] + 1 and not _goes_on_a_word(text, inside, position):
            text.append(" ")
        text.append(char)
    return clean_cell("".join(text))


def _goes_on_a_word(text: list[str], inside: list[tuple[int, str]], position: int) -> bool:
    """At a line break inside a cell: a word cut at its hyphen goes on with no
    space ("Saint-Germain-" / "du-Val", or the hyphen carried to the next
    line: "Saint-Germain" / "-du-Val"); a dash standing between spaces
    ("Chaoué -" / "Perrières") keeps them."""
    before = "".join(text[-2:])
    if before.endswith("-"):
        return len(before) == 2 and before[0].isalnum()
    following = "".join(char for _, char in inside[position : position + 2])
    return bool(text) and text[-1].isalnum() and len(following) == 2 and following[0] == "-" and following[1].isalnum()


def _edges(page: pdfium.PdfPage, height: float) -> list[dict]:
    """Horizontal and vertical straight segments of the page's paths, in
    pdfplumber's coordinates (y from the top)."""
    edges: list[dict] = []
    matrix = pdfium_c.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        if not pdfium_c.FPDFPageObj_GetMatrix(item.raw, matrix):
            continue
        a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
        start = previous = None
        for i in range(pdfium_c.FPDFPath_CountSegments(item.raw)):
            segment = pdfium_c.FPDFPath_GetPathSegment(item.raw, i)
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = previous = point
                continue
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and previous is not None:
                _add_edge(edges, previous, point, height)
            previous = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                _add_edge(edges, point, start, height)
                previous = start
    return edges


def _add_edge(edges: list[dict], p: tuple[float, float], q: tuple[float, float], height: float) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < 0.5 and abs(x0 - x1) >= 1:
        left, right = sorted((x0, x1))
        top = height - y0
        edges.append({"x0": left, "x1": right, "top": top, "bottom": top, "width": right - left, "height": 0,
                      "orientation": "h", "object_type": "line"})
    elif abs(x0 - x1) < 0.5 and abs(y0 - y1) >= 1:
        low, high = sorted((y0, y1))
        edges.append({"x0": x0, "x1": x0, "top": height - high, "bottom": height - low, "width": 0,
                      "height": high - low, "orientation": "v", "object_type": "line"})


def _ocr_pages(
    pdf: pdfium.PdfDocument, scans: list[tuple[int, float]], filename: str, limits: Limits, document: Document
) -> list[Block]:
    if not ocr_available():
        document.metadata["ocr"] = "not installed"
        return []
    pages: list[Page] = []
    tables: dict[tuple[int, int], list[list[str | None]]] = {}
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
        read = ocr_page(image)
        confidences.append(read.confidence)
        for line in read.lines:  # back to page units, like the text layer
            line.x0, line.x1, line.top, line.bottom, line.size = (
                value / scale for value in (line.x0, line.x1, line.top, line.bottom, line.size)
            )
        pages.append(Page(number, height, read.lines, tables=len(read.tables)))
        tables.update(((number, index), rows) for index, rows in enumerate(read.tables))
    document.metadata["ocr_pages"] = [page.number for page in pages]
    if len(scans) > limits.max_ocr_pages:
        document.metadata["ocr_pages_skipped"] = [number for number, _ in scans[limits.max_ocr_pages :]]
    if confidences:
        document.metadata["ocr_confidence"] = round(sum(confidences) / len(confidences), 1)
    return pages_to_blocks(
        pages,
        lambda page, index: Provenance(file=filename, page=page, paragraph=index, ocr=True),
        lambda page, index: Block.table(tables[(page, index)], Provenance(file=filename, page=page, ocr=True)),
    )


def _merge_by_page(first: list[Block], second: list[Block]) -> list[Block]:
    return sorted(first + second, key=lambda block: block.provenance.page or 0)


def clean_cell(cell: str | None) -> str | None:
    """A cell's text without control characters and with its spaces collapsed; None when empty."""
    if cell is None:
        return None
    cell = " ".join(_CONTROL.sub("", cell).split())
    return cell or None
