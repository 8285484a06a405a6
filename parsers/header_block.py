"""The header block of a message, cut to its limits before any parser reads it.

Python's e-mail header parser costs far more than the bytes it reads: a
210 KB `Subject` takes seconds and a gigabyte to parse, and each lookup of a
header scans every field, so that 10,000 fields make reading the envelope
quadratic. Both are bounded here, on the raw bytes, in one linear pass:

- a field longer than `Limits.max_header_bytes` is cut there (at a line
  break when there is one in the last KB, so that the rest stays well
  formed);
- beyond `Limits.max_header_fields` fields, only those the envelope reads
  are kept (From, Subject, Content-Type...): a mail loop's thousands of
  `Received` do not push the sender out.

Each cut is said in a sentence, kept on the message. The archive keeps the
original bytes; only what is parsed is bounded.
"""

from __future__ import annotations

import re

from bilan.parsers.charset import message_in_8bit
from bilan.parsers.limits import Limits

#: Fields read by the envelope, the MIME structure or the extraction: kept
#: whatever their number (each still cut to the size limit).
ENVELOPE_FIELDS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition", "content-id",
    "auto-submitted", "precedence", "x-auto-response-suppress", "authentication-results",
    "arc-authentication-results", "dkim-signature", "received-spf", "return-path",
})  # fmt: skip

_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")
_FIELD_START = re.compile(rb"^(?=[^ \t\r\n])", re.MULTILINE)


def bound_header_block(raw: bytes, limits: Limits) -> tuple[bytes, list[str]]:
    """`raw` with its top-level header block within the limits, and one
    sentence per limit hit (none: `raw` itself comes back). A message file
    written in UTF-16 or UTF-32 is first made the 8-bit message it holds
    (`message_in_8bit`): every reader of a raw message comes through here."""
    raw = message_in_8bit(raw)
    end = _END_OF_HEADERS.search(raw)
    split = end.start() if end else len(raw)
    block, rest = raw[:split], raw[split:]
    if len(block) <= limits.max_header_bytes and block.count(b"\n") < limits.max_header_fields:
        return raw, []  # nothing to cut: the common case costs one search
    fields = _fields(block)
    notes: list[str] = []
    kept, dropped = _select(fields, limits)
    if dropped:
        notes.append(
            f"{len(fields):,} header fields: over the limit of {limits.max_header_fields:,}, "
            f"{dropped:,} not read (those of the envelope kept)"
        )
    cut: list[str] = []
    bounded: list[bytes] = []
    for field in kept:
        if len(field) > limits.max_header_bytes:
            cut.append(f"{_name(field).decode('ascii', 'replace') or '?'} ({len(field):,} bytes)")
            field = _cut(field, limits.max_header_bytes)
        bounded.append(field)
    if cut:
        notes.append(f"header fields cut to the limit of {limits.max_header_bytes:,} bytes: " + ", ".join(cut[:5])
                     + (f" and {len(cut) - 5} more" if len(cut) > 5 else ""))  # fmt: skip
    if not notes:
        return raw, []
    return b"".join(bounded).rstrip(b"\r\n") + rest, notes


def _fields(block: bytes) -> list[bytes]:
    """The fields of a header block, each with its continuation lines and line end."""
    starts = [match.start() for match in _FIELD_START.finditer(block)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = starts[1:] + [len(block)]
    fields = [block[start:end] for start, end in zip(starts, ends)]
    if fields and not fields[-1].endswith(b"\n"):
        fields[-1] += b"\r\n" if b"\r\n" in block[:1000] else b"\n"
    return fields


def _name(field: bytes) -> bytes:
    return field.split(b":", 1)[0].strip().lower() if b":" in field[:200] else b""


def _select(fields: list[bytes], limits: Limits) -> tuple[list[bytes], int]:
    """The fields kept, and how many were not: the first `max_header_fields`,
    then the first of each field the envelope reads (and the topmost
    Received: the receiving server's time)."""
    kept: list[bytes] = []
    names: set[str] = set()
    dropped = 0
    for field in fields:
        name = _name(field).decode("ascii", "replace")
        wanted = (name in ENVELOPE_FIELDS or name == "received") and name not in names
        if len(kept) < limits.max_header_fields or wanted:
            kept.append(field)
            names.add(name)
        else:
            dropped += 1
    return kept, dropped


def _cut(field: bytes, size: int) -> bytes:
    """The field cut to `size` bytes, at a line break in its last KB when there is one."""
    head = field[:size]
    fold = head.rfind(b"\n", max(size - 1024, 0))
    if fold > 0:
        head = head[:fold]
    line_end = b"\r\n" if field.endswith(b"\r\n") else b"\n"
    return head.rstrip(b"\r\n") + line_end
