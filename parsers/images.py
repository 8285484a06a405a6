"""Images sent as attachments: read by OCR when they may show a document.

Signature logos and pictures placed in the body (inline, referenced by the
HTML through their Content-ID) are not documents: `message.py` does not send
them here. What comes here is measured first: a small picture (an icon, a
logo) is recorded, not read; a larger one goes through OCR, and when OCR finds
text, the image is a scan of a document, with the status `scanned` (its text
exists only through OCR) and its blocks marked `ocr=True`. A photo where OCR
finds nothing stays `ok`, with no blocks. Without OCR installed, a large
picture is `scanned`: it may show a document that nothing can read.
"""

from __future__ import annotations

import io
import re
import warnings

from bilan.parsers.document import Block, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.layout import Page, pages_to_blocks
from bilan.parsers.limits import Limits

#: At most this many pixels on either side and in all, an image is a logo or
#: an icon (signature logos are typically 180 x 70).
SMALL_SIDE = 400
SMALL_AREA = 100_000
#: OCR must find at least this many words, read with this mean confidence,
#: for an image to count as a document.
_MIN_WORDS = 8
_MIN_CONFIDENCE = 50


def image_facts(data: bytes) -> dict:
    """Format and size of an image without decoding its pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return {"image": (image.format or "").lower(), "width": image.width, "height": image.height,
                        "frames": getattr(image, "n_frames", 1)}
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels[1]) / 1e6:,.0f} million pixels" if pixels else "too many pixels"
        raise ParseError(ParseStatus.TOO_LARGE, f"image of {size}: not decoded") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"image cannot be read: {exc}") from exc


def _over(limits: Limits) -> str:
    return f": over the limit of {limits.max_page_pixels / 1e6:,.0f} million, not decoded"


def is_small(facts: dict) -> bool:
    return max(facts["width"], facts["height"]) <= SMALL_SIDE and facts["width"] * facts["height"] <= SMALL_AREA


def parse_image(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    from PIL import Image, ImageSequence

    try:
        facts = image_facts(data)
    except ParseError as exc:
        if exc.status is ParseStatus.TOO_LARGE:  # said with our limit, as below
            raise ParseError(exc.status, exc.reason.replace(": not decoded", _over(limits))) from exc
        raise
    document = Document(metadata=dict(facts))
    # Refused before it is decoded: a decompression bomb can declare a gigapixel canvas in a few bytes.
    pixels = facts["width"] * facts["height"]  # of each frame (OCR decodes one at a time)
    if pixels > limits.max_page_pixels:
        raise ParseError(ParseStatus.TOO_LARGE, f"image of {pixels / 1e6:,.0f} million pixels{_over(limits)}")
    if is_small(facts):
        document.metadata["small"] = True  # a logo or an icon: nothing to read
        return document
    # Here, not at the top: the main process reads images' facts, never OCR (numpy, Tesseract's binding).
    from bilan.parsers.ocr import ocr_available, ocr_page

    if not ocr_available():
        raise ParseError(ParseStatus.SCANNED, "an image that may show a document, and OCR is not installed to read it")
    pages: list[Page] = []
    tables: dict[tuple[int, int], list[list[str | None]]] = {}
    confidences: list[float] = []
    words = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                    if number > limits.max_ocr_pages:
                        document.metadata["ocr_pages_skipped"] = facts["frames"] - limits.max_ocr_pages
                        break
                    frame.load()
                    read = ocr_page(frame)
                    confidences.append(read.confidence)
                    words += sum(len(line.text.split()) for line in read.lines)
                    pages.append(Page(number, frame.height, read.lines, tables=len(read.tables)))
                    tables.update(((number, index), rows) for index, rows in enumerate(read.tables))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"image cannot be decoded: {exc}") from exc
    confidence = sum(confidences) / len(confidences) if confidences else 0.0
    document.metadata["ocr_confidence"] = round(confidence, 1)
    if words < _MIN_WORDS or confidence < _MIN_CONFIDENCE:
        document.metadata["ocr_text"] = False  # a photo, a drawing: no text to speak of
        return document
    page_of = (lambda page: page) if len(pages) > 1 else (lambda page: None)
    document.blocks = pages_to_blocks(
        pages,
        lambda page, index: Provenance(file=filename, page=page_of(page), paragraph=index, ocr=True),
        lambda page, index: Block.table(tables[(page, index)], Provenance(file=filename, page=page_of(page), ocr=True)),
    )
    document.status = ParseStatus.SCANNED
    document.reason = "image of a document: its text was read by OCR"
    return document
