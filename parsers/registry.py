"""Which parser reads which format, and the one function that runs a parser
without ever letting an exception out (`parse_outcome`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bilan.parsers.document import Document, ParseError, ParseStatus
from bilan.parsers.limits import Limits

#: Image formats: read by OCR when they may show a document (see images.py).
IMAGE_FORMATS = {"png", "jpg", "gif", "tiff", "bmp"}
#: Formats whose parser returns child files rather than only text.
CONTAINER_FORMATS = {"zip", "eml", "msg", "tnef"}

Parser = Callable[[bytes, str, Limits], Document]


def parsers_by_format() -> dict[str, Parser]:
    """Every parser by the format it reads (a parser worker calls it once
    at start, so that its libraries are loaded before the first file)."""
    # Imported here so that importing the registry stays cheap and cycle-free.
    from bilan.parsers.images import parse_image
    from bilan.parsers.message import parse_attached_message
    from bilan.parsers.opendocument import parse_ods, parse_odt
    from bilan.parsers.outlook import parse_msg, parse_tnef
    from bilan.parsers.pdf import parse_pdf
    from bilan.parsers.presentation import parse_pptx
    from bilan.parsers.spreadsheet import (
        parse_csv,
        parse_spreadsheetml,
        parse_xls,
        parse_xlsb,
        parse_xlsx,
    )
    from bilan.parsers.text import parse_html, parse_text
    from bilan.parsers.wordprocessing import parse_doc, parse_docx, parse_rtf
    from bilan.parsers.zip import parse_zip

    return {
        "pdf": parse_pdf,
        "xlsx": parse_xlsx,
        "xlsm": parse_xlsx,
        "xls": parse_xls,
        "xlsb": parse_xlsb,
        "spreadsheetml": parse_spreadsheetml,
        "pptx": parse_pptx,
        "ods": parse_ods,
        "csv": parse_csv,
        "docx": parse_docx,
        "doc": parse_doc,
        "odt": parse_odt,
        "rtf": parse_rtf,
        "html": lambda data, filename, limits: parse_html(data, filename, limits=limits),
        "txt": lambda data, filename, limits: parse_text(data, filename),
        "eml": parse_attached_message,
        "msg": parse_msg,
        "tnef": parse_tnef,
        "zip": parse_zip,
        "ooxml-encrypted": _encrypted_office_file,
        "empty": _empty_file,
        **{fmt: parse_image for fmt in IMAGE_FORMATS},
    }


def _encrypted_office_file(data: bytes, filename: str, limits: Limits) -> Document:
    raise ParseError(ParseStatus.ENCRYPTED, "Office file is password-protected (encrypted package)")


def _empty_file(data: bytes, filename: str, limits: Limits) -> Document:
    what = "0 bytes" if not data else "no content" if data.strip(b" \t\r\n\x00") else "only blanks"
    raise ParseError(ParseStatus.EMPTY, f"file is empty ({what})")


def parse_file(data: bytes, filename: str, fmt: str, limits: Limits = Limits()) -> Document:
    """Parse one file whose format is already known; raise ParseError with a status."""
    parser = parsers_by_format().get(fmt)
    if parser is None:
        what = "format not recognised" if fmt == "unknown" else f"no parser for format {fmt!r}"
        raise ParseError(ParseStatus.UNSUPPORTED, what)
    return parser(data, filename, limits)


@dataclass
class ParseOutcome:
    """What became of one file: a status, a sentence when it is not OK, and the
    document when there is one (a scan read by OCR has both a non-OK status and
    a document). `cacheable` is false for outcomes that depend on the moment
    (a time limit hit, a crashed worker) rather than on the file."""

    status: ParseStatus
    reason: str | None = None
    document: Document | None = None
    seconds: float = 0.0
    cacheable: bool = True


def parse_outcome(data: bytes, filename: str, fmt: str, limits: Limits = Limits()) -> ParseOutcome:
    """Run the parser of `fmt`; every failure becomes a status, never an exception."""
    start = time.perf_counter()
    try:
        document = parse_file(data, filename, fmt, limits)
    except ParseError as exc:
        return ParseOutcome(exc.status, exc.reason, seconds=time.perf_counter() - start)
    except MemoryError:
        return ParseOutcome(
            ParseStatus.TOO_LARGE,
            f"parsing needed more than the worker's memory limit ({limits.worker_memory_bytes / 2**30:.1f} GiB)",
            seconds=time.perf_counter() - start,
            cacheable=False,
        )
    except RecursionError:
        return ParseOutcome(ParseStatus.CORRUPT, "file is nested too deeply to be read", seconds=time.perf_counter() - start)
    except Exception as exc:  # a library's own error on a damaged file
        return ParseOutcome(
            ParseStatus.CORRUPT, f"{type(exc).__name__} while parsing: {exc}"[:500], seconds=time.perf_counter() - start
        )
    return ParseOutcome(document.status, document.reason, document, seconds=time.perf_counter() - start)
