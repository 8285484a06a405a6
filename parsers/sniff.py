"""Tell a file's format from its bytes.

Senders rename files, mail clients mislabel them, and an `.xls` is sometimes
an `.xlsx`. The extension and declared MIME type are used only to break ties
between formats that the bytes cannot tell apart (CSV and plain text).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

import olefile

from bilan.parsers.charset import wide_encoding

#: The BOF record that opens a BIFF2, BIFF3 or BIFF4 worksheet or workbook.
_BIFF_BOF = re.compile(rb"^\x09[\x00\x02\x04]\x04\x00|^\x09[\x02\x04]\x06\x00")
#: Excel 2003's XML format (SpreadsheetML): a workbook that is plain XML.
_SPREADSHEET_ML = b"urn:schemas-microsoft-com:office:spreadsheet"
_EMAIL_HEADER = re.compile(
    rb"^(Received|Return-Path|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|X-[\w-]+):",
    re.IGNORECASE | re.MULTILINE,
)


#: Sizes of the header that follows a Windows bitmap's "BM" file header (OS/2 12 bytes to V5 124).
_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def sniff_format(data: bytes, filename: str = "", content_type: str = "") -> str:
    """Return a short format name: pdf, docx, xlsx, xlsm, xlsb, pptx, odt, ods, xls,
    spreadsheetml, doc, msg, zip, png, jpg, gif, tiff, bmp, rtf, tnef, eml, html, csv, txt,
    `empty` (no content at all, whatever its name says) or `unknown`."""
    head = data[:2048]
    ext = PurePosixPath(filename.lower()).suffix.lstrip(".")
    if not data.strip(b" \t\r\n\x00"):
        return "empty"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data, ext)
    if b"%PDF-" in head[:1024]:  # some generators put junk before the signature
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(data, ext)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"BM") and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return "tnef"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if _BIFF_BOF.match(head):
        return "xls"  # Excel 2.x-4.0: a bare BIFF stream, without the OLE2 wrapper
    return _sniff_text(head, ext, content_type)


def _sniff_zip(data: bytes, ext: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if not names:
                return "empty"  # an empty archive, whatever its extension promises
            if "mimetype" in names:
                mimetype = zf.read("mimetype")[:100].decode("ascii", "replace")
                if "opendocument.text" in mimetype:
                    return "odt"
                if "opendocument.spreadsheet" in mimetype:
                    return "ods"
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if "xl/workbook.bin" in names:
                    return "xlsb"
                if any(n.startswith("xl/") for n in names):
                    return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
                if any(n.startswith("ppt/") for n in names):
                    return "pptx"
    except Exception:  # damaged in any way (sniffing must never fail)
        # A truncated Office file still starts like a ZIP; trust its extension
        # so that it is reported as a corrupt document of that kind.
        if ext in {"docx", "xlsx", "xlsm", "odt", "ods"}:
            return ext
    return "zip"


def _sniff_ole(data: bytes, ext: str) -> str:
    """OLE2 compound files: legacy Office, Outlook .msg, or an encrypted OOXML file."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        try:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
        finally:
            ole.close()
    except Exception:  # damaged in any way (sniffing must never fail)
        return ext if ext in {"xls", "doc", "msg", "xlsx", "docx"} else "unknown"
    if "EncryptedPackage" in streams:
        # A password-protected .docx/.xlsx is wrapped in an OLE container.
        return ext if ext in {"docx", "xlsx", "xlsm", "pptx"} else "ooxml-encrypted"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    if "WordDocument" in streams:
        return "doc"
    if any(s.startswith("__substg1.0_") for s in streams):
        return "msg"
    return "unknown"


def _sniff_text(head: bytes, ext: str, content_type: str) -> str:
    if b"\x00" in head:
        head = _wide_text(head)
        if head is None:
            return "unknown"
    lowered = head.lower().lstrip()
    if lowered.startswith(b"<?xml") and _SPREADSHEET_ML in lowered:
        return "spreadsheetml"
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    if len(_EMAIL_HEADER.findall(head)) >= 2:
        return "eml"
    if ext == "csv" or content_type == "text/csv":
        return "csv"
    if ext in {"htm", "html"} or content_type == "text/html":
        return "html"
    return "txt"


def _wide_text(head: bytes) -> bytes | None:
    """The start of a UTF-16 or UTF-32 text file, as UTF-8 so that it can be
    sniffed like any text; None for binary data."""
    encoding = wide_encoding(head)
    if encoding is None:
        return None
    width = 4 if "32" in encoding else 2
    text = head[: len(head) // width * width].decode(encoding, "replace").lstrip("\ufeff")
    if any(ord(c) < 9 for c in text):
        return None
    return text.encode("utf-8", "replace")
