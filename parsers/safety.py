"""Checks run before a ZIP-based file is expanded: ZIP archives, and the
office formats that are ZIP archives of XML parts (DOCX, XLSX, ODT, ODS).

Two attacks are refused here, cheaply and before any large allocation:
- a ZIP bomb: members whose declared size is huge, or that expand far more
  than ordinary files do; reading is then also capped at the declared size
  (Python's `zipfile` never returns more than it), so a lying header does
  not help either;
- an XML bomb: entity declarations that expand to gigabytes ("billion
  laughs"). Office formats never declare a DTD, so any XML part that does is
  refused, from the bytes of its prolog alone.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from bilan.parsers.document import ParseError, ParseStatus
from bilan.parsers.limits import Limits

#: Below this expanded size a member is never suspected of being a bomb,
#: whatever its ratio (a few hundred KB of blank spreadsheet cells compress
#: very well and are harmless).
_RATIO_FLOOR_BYTES = 2 * 1024 * 1024

_XML_SUFFIXES = (".xml", ".rels", ".vml")


def check_zip(archive: zipfile.ZipFile, limits: Limits, what: str = "ZIP") -> None:
    """Refuse an archive whose members would expand beyond the limits."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > limits.max_parts:
        raise ParseError(ParseStatus.TOO_LARGE, f"{what} holds {len(members)} files (limit {limits.max_parts})")
    total = 0
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_zip_ratio:
            raise ParseError(
                ParseStatus.TOO_LARGE,
                f"{what} member {info.filename!r} expands {ratio:.0f} times (limit {limits.max_zip_ratio}): a ZIP bomb?",
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ParseError(
                ParseStatus.TOO_LARGE,
                f"{what} expands to more than {limits.max_total_bytes / 1e6:.0f} MB: a ZIP bomb?",
            )


def check_xml_parts(archive: zipfile.ZipFile) -> None:
    """Refuse an office file any of whose XML parts declares a DTD.

    A DTD can only stand in the prolog, before the root element, so only the
    first bytes of each part are read (a few microseconds, where parsing each
    part with defusedxml would cost more than reading the document itself).
    The parts are then read by the format's parser: defusedxml (ODF,
    openpyxl) or lxml with entities off (python-docx), a second line."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        try:
            with archive.open(info) as stream:
                head = stream.read(_PROLOG_BYTES)
        except Exception:
            # A damaged member is left to the format's own parser, which
            # reports it as corrupt with its own words.
            continue
        if _declares_dtd(head):
            raise ParseError(
                ParseStatus.CORRUPT,
                f"XML part {info.filename!r} declares a DTD or entities, which office files never do "
                "(an XML bomb?): refused",
            )


#: How far into a part its root element must have started.
_PROLOG_BYTES = 65536
_ROOT_START = re.compile(rb"<[A-Za-z_:]")


def _declares_dtd(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "replace").encode("utf-8", "replace")
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    # No root element within the first 64 KB: a prolog that long is itself an attack.
    return b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog or (root is None and len(head) >= _PROLOG_BYTES)


#: In a worksheet's XML: the start of a row, or a cell's value (`<v>`,
#: inline text `<is>`), namespace prefix or not: what is counted before a
#: workbook is loaded.
_SHEET_TOKEN = re.compile(rb"<(?:\w+:)?(row\b)|<(?:\w+:)?(?:v|is)[ >]")
_CHUNK = 1 << 20


def check_sheet_sizes(archive: zipfile.ZipFile, limits: Limits, sheet_names: dict[str, str] | None = None) -> None:
    """Refuse a workbook with a sheet of more filled rows or cells than the
    limits, counted in the worksheet XML as it streams out of the ZIP, a MB
    at a time: loading it would cost a gigabyte first. Rows formatted but
    empty are not counted, so a sheet formatted down to its last row is
    still read."""
    for info in archive.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        count = _count_sheet(archive, info, limits)
        name = (sheet_names or {}).get(info.filename, info.filename.rsplit("/", 1)[-1])
        if count.filled_rows > limits.max_sheet_rows:
            raise ParseError(ParseStatus.TOO_LARGE, f"sheet {name!r} has {count.rows:,} rows, more than "
                             f"{limits.max_sheet_rows:,} of them filled: over the limit of {limits.max_sheet_rows:,} "
                             "filled rows; workbook not read")  # fmt: skip
        if count.cells > limits.max_sheet_cells:
            raise ParseError(ParseStatus.TOO_LARGE, f"sheet {name!r} has {count.cells:,} filled cells: over the "
                             f"limit of {limits.max_sheet_cells:,}; workbook not read")  # fmt: skip


@dataclass
class _SheetCount:
    #: Row elements, filled or not.
    rows: int = 0
    #: Rows holding at least one value: counted exactly up to one past the limit only.
    filled_rows: int = 0
    #: Values (`<v>`, `<is>`).
    cells: int = 0


def _count_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> _SheetCount:
    """Count one worksheet. Filled rows need a token-by-token walk (slow in
    Python), done only until their limit is passed; rows and values are
    then counted at C speed (`bytes.count`) to the end."""
    count = _SheetCount()
    row = counted_row = 0
    tail = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                data = tail + chunk
                # A token may straddle two chunks: what follows the last "<" waits for the next one.
                cut = data.rfind(b"<") if len(chunk) == _CHUNK else -1
                cut = len(data) if cut <= 0 else cut
                if count.filled_rows > limits.max_sheet_rows:
                    count.rows += data.count(b"<row", 0, cut)
                    count.cells += sum(data.count(token, 0, cut) for token in (b"<v>", b"<v ", b"<is>"))
                else:
                    for match in _SHEET_TOKEN.finditer(data, 0, cut):
                        if match.group(1) is not None:
                            row += 1
                            continue
                        count.cells += 1
                        if counted_row != row:
                            count.filled_rows += 1
                            counted_row = row
                    count.rows = row
                tail = data[cut:]
    except Exception:
        return _SheetCount()  # damage is for the workbook's own parser to report
    return count


def open_office_zip(data: bytes, limits: Limits, what: str) -> zipfile.ZipFile:
    """Open a ZIP-based office file after both checks; damage means corrupt."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"{what} cannot be read (not a complete ZIP package): {exc}") from exc
    check_zip(archive, limits, what)
    check_xml_parts(archive)
    return archive
