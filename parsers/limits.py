"""Safety limits applied while walking a message and its containers.

Every limit, when hit, gives the file a parse status and a sentence saying
which limit it was; nothing is skipped silently and nothing stops the run.
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

    def fingerprint(self) -> str:
        """A short stable text naming the limits that shape a parsed document,
        part of the parse cache key: a result obtained under other limits is
        not reused. (Limits that only lead to an error status are left out:
        such statuses are not cached.)"""
        shaping = (self.max_zip_ratio, self.max_pages, self.max_ocr_pages, self.max_table_rows, self.max_table_columns)
        return "-".join(str(value) for value in shaping)
