"""The original bytes of a message's file, found again in the raw archive.

A download names an attachment by its id only: the warehouse gives its
message's sha256 and the chain of containers it sits in (a file inside a
ZIP inside an attached message), the archive gives the message's bytes,
and the file is found in them by its own sha256, level by level, opening
only the containers on its chain. No part of a request ever becomes a path.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

from bilan.parsers.document import ParseError
from bilan.parsers.header_block import bound_header_block
from bilan.parsers.headers import LENIENT
from bilan.parsers.limits import Limits
from bilan.parsers.message import split_message
from bilan.parsers.registry import CONTAINER_FORMATS, parse_file

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredFile:
    """A file of the chain: its sha256, name and format as the warehouse has them."""

    sha256: str
    filename: str
    format: str


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value or ""))


def original_file(raw: bytes, chain: list[StoredFile], limits: Limits = Limits()) -> bytes | None:
    """The bytes of the last file of `chain` (from the message's top-level
    file down to it), or None when the message no longer holds it."""
    raw, _ = bound_header_block(raw, limits)
    message = email.message_from_bytes(raw, policy=LENIENT)
    _, files = split_message(message, limits=limits)
    for depth, wanted in enumerate(chain):
        found = next((f for f in files if hashlib.sha256(f.data).hexdigest() == wanted.sha256), None)
        if found is None:
            return None
        if depth == len(chain) - 1:
            return found.data
        if wanted.format not in CONTAINER_FORMATS:
            return None
        try:
            files = parse_file(found.data, found.filename, wanted.format, limits).files
        except ParseError:
            return None
    return None


def header_fields(raw: bytes, limits: Limits = Limits()) -> list[tuple[str, str]]:
    """The message's top-level headers as written (decoded), in order."""
    raw, _ = bound_header_block(raw, limits)
    end = re.search(rb"\r?\n\r?\n", raw)
    message = email.message_from_bytes(raw[: end.start()] if end else raw, policy=LENIENT)
    return [(name, str(value)) for name, value in message.items()]


def content_disposition(filename: str) -> str:
    """`attachment` with the name in RFC 6266 form (and a plain ASCII fallback)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "fichier"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
