"""The earlier message that a bounce, a read receipt or an auto-reply
answers, by its Message-ID, so that the warehouse can link the two.

Where it is quoted, best source first: the report's machine-readable part
(`Original-Message-ID` of a read receipt, the returned headers of a delivery
failure), the In-Reply-To and References headers, then a message attached to
the notice or a `Message-ID:` line quoted in its text.
"""

from __future__ import annotations

import re

from bilan.nlp.kind import Kind
from bilan.parsers.delivery_report import normalise_message_id
from bilan.parsers.message import ParsedMessage

#: Kinds that exist only because of an earlier message.
ANSWERING_KINDS = frozenset({Kind.BOUNCE, Kind.READ_RECEIPT, Kind.AUTO_REPLY})
_QUOTED_ID = re.compile(r"(?im)^[\s>]*message-id\s*:\s*(<[^<>\s]+>)")


def original_message_id(parsed: ParsedMessage, kind: Kind | str) -> str | None:
    if Kind(kind) not in ANSWERING_KINDS:
        return None
    envelope = parsed.envelope
    for candidate in (envelope.reported_message_id, envelope.in_reply_to, *reversed(envelope.references)):
        found = normalise_message_id(candidate)
        if found:
            return found
    for attachment in parsed.attachments:
        if attachment.format == "eml" and attachment.document is not None:
            found = normalise_message_id(attachment.document.metadata.get("message_id"))
            if found:
                return found
    match = _QUOTED_ID.search(parsed.body.text)
    return match.group(1) if match else None
