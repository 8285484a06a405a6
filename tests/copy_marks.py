"""A file's bytes changed without changing what can be read from it: a mark
in the place each format keeps for things no reader shows (a comment, a
metadata chunk, the archive comment). `tests/replicas.py` marks the files of
copy k with it, so that the copies of a message are distinct files (their
own sha256, parsed again) whose extracted text is that of the original.

Formats without such a place (plain text, legacy formats other than the OLE
container) are left as they are: `marked` returns None."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def marked(data: bytes, mark: bytes) -> bytes | None:
    """`data` with `mark` (ASCII, no newline) where no reader shows it, or None."""
    if data.startswith(b"%PDF"):
        return _pdf(data, mark)
    if data.startswith(b"PK\x03\x04"):
        return _zip(data, mark)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data, mark)
    if data.startswith(b"\xff\xd8"):
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(mark) + 2) + mark + data[2:]  # JPEG COM segment
    if data.startswith(OLE):
        return _ole(data, mark)
    return None


def marked_html(data: bytes, mark: bytes) -> bytes:
    """An HTML body with the mark in a comment at its end (text extraction drops comments)."""
    return data + b"\n<!-- " + mark + b" -->\n"


def _pdf(data: bytes, mark: bytes) -> bytes:
    """A comment line after the last %%EOF: readers look for the last
    cross-reference table near the end, and a comment is not an object."""
    return data + (b"" if data.endswith((b"\n", b"\r")) else b"\n") + b"%" + mark + b"\n"


def _zip(data: bytes, mark: bytes) -> bytes:
    """The archive comment (OOXML, ODF, plain zip): the members, their order
    and their bytes stay as they were; only the end record changes."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = mark
    return buffer.getvalue()


def _png(data: bytes, mark: bytes) -> bytes:
    """A tEXt chunk just after the header chunk (IHDR is 8 + 25 bytes in)."""
    body = b"Comment\x00" + mark
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return data[:33] + chunk + data[33:]


def _ole(data: bytes, mark: bytes) -> bytes | None:
    """A sector no allocation table points to, appended (legacy .xls/.doc):
    readers follow the tables, never read it. Only for files made of whole
    sectors, as the format wants them."""
    sector = 1 << struct.unpack_from("<H", data, 30)[0]  # the header's sector shift: 512 or 4096
    if len(data) % sector or len(mark) > sector:
        return None
    return data + mark.ljust(sector, b"\x00")
