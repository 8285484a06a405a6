"""Safety limits applied while walking a message and its containers.

Every limit, when hit, gives the file a parse status and a sentence saying
which limit it was; nothing is skipped silently and nothing stops the run.
A limit is checked before the costly step it protects (the header parser,
BeautifulSoup, openpyxl, the PDF renderer), from what is cheap to count,
and the same way in the main process as in the parser workers: the workers
also have a time and a memory limit, the main process has only these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    #: A file above this size is recorded but not parsed (status too_large).
    max_file_bytes: int = 5 * 1024 * 1024
    #: Sum of all files of one message, containers unpacked included.
    max_total_bytes: int = 200 * 1024 * 1024
    #: Files per message, nested ones included.
    max_parts: int = 500
    #: Containers inside containers (ZIP in a forwarded message in a ZIP...).
    max_depth: int = 5
    #: A ZIP member may not expand more than this many times its compressed size.
    max_zip_ratio: int = 100
    #: Wall-clock seconds one file may take to parse (OCR and conversions
    #: included) before its worker process is killed (status timeout).
    parse_seconds: float = 60.0
    #: Address space of a parser worker process; a file that needs more is
    #: refused (status too_large) instead of taking the machine down.
    worker_memory_bytes: int = 3 * 1024 * 1024 * 1024
    #: Pages of one PDF that are read; pages beyond are reported in metadata.
    max_pages: int = 300
    #: Pages or images of one file that go through OCR (about 1 s each).
    max_ocr_pages: int = 20
    #: Rows kept per table (a sheet formatted down to row 1,048,576 is cut here).
    max_table_rows: int = 20_000
    #: Columns kept per table.
    max_table_columns: int = 500
    #: A spreadsheet (or CSV) with a sheet holding more filled rows, or more
    #: filled cells, than this is not read (status too_large): for XLSX they
    #: are counted in the sheet's XML before the workbook is loaded. An annex
    #: has a few hundred rows; reading 5,000 of them takes about 10 s.
    max_sheet_rows: int = 5_000
    max_sheet_cells: int = 100_000
    #: Bytes of one header field (a folded To of some hundred addresses fits);
    #: a longer one is cut there, before the e-mail parser reads it.
    max_header_bytes: int = 16 * 1024
    #: Header fields of one message read; beyond, only the fields the
    #: envelope reads are kept (a mail loop leaves thousands of Received).
    max_header_fields: int = 300
    #: HTML longer than this (its first characters only), or whose containers
    #: (table, div, blockquote, list) nest deeper, is read as plain text,
    #: without BeautifulSoup (its cost grows with the nesting faster than
    #: with the size).
    max_html_chars: int = 2_000_000
    max_html_depth: int = 40
    #: Characters of a message's body kept for reading (about 60 pages).
    max_body_chars: int = 200_000
    #: Pixels of the images of one PDF page, or of one image file, decoded
    #: for OCR; above, the page or image is not decoded.
    max_page_pixels: int = 60_000_000

    def fingerprint(self) -> str:
        """A short stable text naming the limits that shape a parsed document,
        part of the parse cache key: a result obtained under other limits is
        not reused. (Limits that only lead to an error status are left out:
        such statuses are not cached.)"""
        shaping = (
            self.max_zip_ratio, self.max_pages, self.max_ocr_pages, self.max_table_rows, self.max_table_columns,
            self.max_html_chars, self.max_html_depth, self.max_page_pixels,
        )  # fmt: skip
        return "-".join(str(value) for value in shaping)
