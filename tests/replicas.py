"""Copies of real messages that the warehouse takes for new ones: to build a
large warehouse from a small corpus (bench/reprocess.py), or several
follow-ups per department from the samples (tests).

Copy k of a message gets fresh Message-IDs: every Message-ID of the set
found in it between angle brackets is rewritten, so In-Reply-To, References
and the headers a bounce quotes stay coherent within the copy. A first
header names the copy, so that even a message without a Message-ID gets its
own sha256."""

from __future__ import annotations

import email
import email.policy
import re


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


def replicated(messages: list[bytes], count: int) -> list[bytes]:
    """`count` messages: copy 0 of every message, then copy 1, and so on."""
    ids = message_ids(messages)
    # Longest first: no id is rewritten inside a longer one.
    pattern = re.compile(b"<(" + b"|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + b")>")
    return [replicate(messages[i % len(messages)], i // len(messages), pattern) for i in range(count)]
