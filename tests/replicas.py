"""Copies of real messages that the warehouse takes for new ones: to build a
large warehouse from a small corpus (bench/reprocess.py), or several
follow-ups per department from the samples (tests).

Copy k of a message gets fresh Message-IDs: every Message-ID of the set
found in it between angle brackets is rewritten, so In-Reply-To, References
and the headers a bounce quotes stay coherent within the copy. A first
header names the copy, so that even a message without a Message-ID gets its
own sha256.

Two kinds of copies: `shared` (the default) changes only headers, so the
copies of a message carry the same files (one sha256 each: the parse cache
and the memos serve every copy after the first); `distinct` also marks every
file of copy k and its HTML body where no reader looks (`tests/copy_marks.py`),
so that each copy's files are files of their own, parsed again, with the
same text as the original's. Plain-text bodies stay as they are: any change
to them would be a change of the text.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
from typing import Literal

from tests.copy_marks import marked, marked_html

Kind = Literal["shared", "distinct"]


def message_ids(messages: list[bytes]) -> list[bytes]:
    """The Message-IDs of the messages (without angle brackets)."""
    ids = set()
    for raw in messages:
        value = email.message_from_bytes(raw, policy=email.policy.compat32).get("Message-ID")
        if value and (found := re.search(r"<([^<>\s]+)>", str(value))):
            ids.add(found.group(1).encode())
    return sorted(ids)


def replicate(raw: bytes, copy: int, ids: re.Pattern[bytes]) -> bytes:
    """Copy `copy` of a message: `<id>` becomes `<cK.id>` for every id that
    `ids` matches, and a first header names the copy."""
    rewritten = ids.sub(lambda m: b"<c%d." % copy + m.group(1) + b">", raw)
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    return b"X-Bilan-Replica: %d" % copy + newline + rewritten


def with_marked_files(raw: bytes, copy: int) -> bytes:
    """The message with each file and HTML body marked for copy `copy`,
    in place: the encoded text of each such part is replaced in the raw
    bytes, so that nothing else of the message moves."""
    mark = b"bilan-replica-%d" % copy
    for part in email.message_from_bytes(raw, policy=email.policy.compat32).walk():
        if part.is_multipart():
            continue
        encoded = part.get_payload()
        if not isinstance(encoded, str) or not encoded.strip():
            continue
        try:
            old = encoded.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # not the bytes of the message: left as it is
            continue
        new = _marked_payload(part, old, mark)
        if new is not None and new != old:
            raw = raw.replace(old, new)
    return raw


def _marked_payload(part: email.message.Message, old: bytes, mark: bytes) -> bytes | None:
    """The part's encoded text once its content is marked, in the part's
    own transfer encoding and line endings; None for a part left as it is."""
    encoding = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    html = part.get_content_type() == "text/html"
    if encoding != "base64":
        return old + b"\n<!-- " + mark + b" -->" if html else None  # an ASCII comment is valid in any of them
    content = part.get_payload(decode=True) or b""
    changed = marked_html(content, mark) if html else marked(content, mark)
    if changed is None:
        return None
    newline = b"\r\n" if b"\r\n" in old else b"\n"
    new = base64.encodebytes(changed).replace(b"\n", newline)
    return new if old.endswith((b"\n", b"\r")) else new.rstrip(b"\r\n")


def replicated(messages: list[bytes], count: int, kind: Kind = "shared") -> list[bytes]:
    """`count` messages: copy 0 of every message, then copy 1, and so on
    (each copy `shared` or `distinct`, see above)."""
    ids = message_ids(messages)
    # Longest first: no id is rewritten inside a longer one.
    pattern = re.compile(b"<(" + b"|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + b")>")
    copies = []
    for position in range(count):
        raw, copy = messages[position % len(messages)], position // len(messages)
        if kind == "distinct":
            raw = with_marked_files(raw, copy)
        copies.append(replicate(raw, copy, pattern))
    return copies
