"""Which message a delivery or read report is about.

Reports (RFC 6522 `multipart/report`) carry the original message's identity
in a machine-readable part: a read receipt (RFC 8098) has an
`Original-Message-ID` field in its `message/disposition-notification` part;
a delivery failure (RFC 3464) returns the original's headers in a
`text/rfc822-headers` part, or the whole original as `message/rfc822`.
"""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def normalise_message_id(value: str | None) -> str | None:
    """`<id@host>` whatever the spacing or folding around it; None if absent."""
    if not value:
        return None
    match = _MESSAGE_ID.search(value)
    if match:
        return match.group(0)
    value = value.strip()
    return f"<{value}>" if value and " " not in value else None


def reported_message_id(message: EmailMessage) -> str | None:
    """The Message-ID of the message a report is about, or None when this is
    not a report or the report does not say."""
    if message.get_content_type() != "multipart/report":
        return None
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/disposition-notification":
            found = normalise_message_id(_fields(part).get("Original-Message-ID"))
        elif content_type == "text/rfc822-headers":
            found = normalise_message_id(_fields(part).get("Message-ID"))
        elif content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            found = normalise_message_id(str(inner.get("Message-ID", ""))) if hasattr(inner, "get") else None
        else:
            continue
        if found:
            return found
    return None


def _fields(part: EmailMessage):
    """The header-like fields of a report part, whatever shape the email
    package gave its payload (text, bytes, or a list of header blocks)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/delivery-status style: blocks of fields
        data = b"\n\n".join(block.as_bytes() if hasattr(block, "as_bytes") else bytes(block) for block in payload)
    else:
        data = part.get_payload(decode=True) or (payload.encode("utf-8", "replace") if isinstance(payload, str) else b"")
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)
