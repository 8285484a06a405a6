"""Safety limits applied while walking a message and its containers."""

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
