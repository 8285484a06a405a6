"""A message as a source delivers it, before anything is read from it: what
every source (IMAP, local mailboxes) yields and the pipeline archives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RawMessage:
    raw: bytes
    #: Where it was read, as a URL: `imap://user@host/INBOX;UIDVALIDITY=1/;UID=5` or `file:///...`.
    source: str
    #: The receiving server's time when the source knows it (IMAP INTERNALDATE).
    received_at: dt.datetime | None = None
    uid: int | None = None
