"""Which parser reads which format."""

from __future__ import annotations

from collections.abc import Callable

from bilan.parsers.document import Document, ParseError, ParseStatus
from bilan.parsers.limits import Limits

#: Images are files in their own right (signature logos, photos); they hold no
#: text to read unless OCR is added for scans.
IMAGE_FORMATS = {"png", "jpg", "gif", "tiff"}


def _parsers() -> dict[str, Callable[..., Document]]:
    # Imported here so that importing the registry stays cheap and cycle-free.
    from bilan.parsers.archive import parse_zip
    from bilan.parsers.message import parse_attached_message
    from bilan.parsers.pdf import parse_pdf
    from bilan.parsers.spreadsheet import parse_xlsx
    from bilan.parsers.text import parse_html, parse_text
    from bilan.parsers.wordprocessing import parse_docx

    return {
        "pdf": parse_pdf,
        "xlsx": parse_xlsx,
        "xlsm": parse_xlsx,
        "docx": parse_docx,
        "html": parse_html,
        "txt": parse_text,
        "csv": parse_text,
        "eml": parse_attached_message,
        "zip": parse_zip,
    }


def parse_file(data: bytes, filename: str, fmt: str, limits: Limits = Limits()) -> Document:
    """Parse one file whose format is already known; raise ParseError with a status."""
    if fmt in IMAGE_FORMATS:
        return Document(metadata={"image": fmt})
    parser = _parsers().get(fmt)
    if parser is None:
        raise ParseError(ParseStatus.UNSUPPORTED, f"no parser for format {fmt!r} yet")
    if fmt == "zip":
        return parser(data, filename, limits)
    return parser(data, filename)
