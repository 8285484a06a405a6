"""PowerPoint decks (.pptx), read with python-pptx: one document, slide by slide.

A deck is a ZIP, but its pictures and XML parts are not files the sender
attached: it is read as one document (the slide number is the page of each
block), never unpacked as an archive.
"""

from __future__ import annotations

import io
import zipfile

from bilan.parsers.document import Block, BlockKind, Document, ParseError, ParseStatus, Provenance
from bilan.parsers.limits import Limits
from bilan.parsers.safety import open_office_zip


def parse_pptx(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParseError(ParseStatus.ENCRYPTED, "presentation is password-protected (encrypted OOXML)")
    open_office_zip(data, limits, "presentation").close()
    try:
        from pptx import Presentation
    except ImportError as exc:  # python-pptx is a declared dependency; say so if absent
        raise ParseError(ParseStatus.UNSUPPORTED, "PowerPoint decks need python-pptx") from exc
    try:
        deck = Presentation(io.BytesIO(data))
        slides = list(deck.slides)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, AttributeError, TypeError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"presentation cannot be read: {exc}") from exc
    document = Document(metadata={"slides": len(slides)})
    for number, slide in enumerate(slides[: limits.max_pages], start=1):
        document.blocks.extend(_slide_blocks(slide, filename, number))
    if len(slides) > limits.max_pages:
        document.metadata["pages_not_read"] = len(slides) - limits.max_pages
        document.reason = f"only the first {limits.max_pages} of {len(slides)} slides were read (limit)"
    return document


def _slide_blocks(slide, filename: str, number: int) -> list[Block]:
    blocks: list[Block] = []
    title = slide.shapes.title
    for shape in _shapes(slide.shapes):
        provenance = Provenance(file=filename, page=number, paragraph=len(blocks))
        if getattr(shape, "has_table", False) and shape.has_table:
            rows = [[" ".join(cell.text.split()) or None for cell in row.cells] for row in shape.table.rows]
            if any(any(cell is not None for cell in row) for row in rows):
                blocks.append(Block.table(rows, provenance))
            continue
        if not getattr(shape, "has_text_frame", False) or not shape.has_text_frame:
            continue
        is_title = title is not None and shape.shape_id == title.shape_id
        for paragraph in shape.text_frame.paragraphs:
            text = " ".join(paragraph.text.split())
            if not text:
                continue
            provenance = Provenance(file=filename, page=number, paragraph=len(blocks))
            if is_title:
                blocks.append(Block(BlockKind.HEADING, provenance, text=text, level=1))
            elif paragraph.level > 0:
                blocks.append(Block(BlockKind.LIST_ITEM, provenance, text=text, level=paragraph.level))
            else:
                blocks.append(Block(BlockKind.PARAGRAPH, provenance, text=text))
    return blocks


def _shapes(shapes):
    """Every shape of a slide, those inside groups included, in order."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape
