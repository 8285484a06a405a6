"""Where raw messages come from: an IMAP folder, or a folder of `.eml` files.

A source yields `RawMessage`s and knows nothing of what happens to them.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from imapclient import IMAPClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawMessage:
    raw: bytes
    #: Where it was read, as a URL: `imap://user@host/INBOX;UIDVALIDITY=1/;UID=5` or `file:///...`.
    source: str
    #: The receiving server's time when the source knows it (IMAP INTERNALDATE).
    received_at: dt.datetime | None = None
    uid: int | None = None


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    ca_file: str | None = None

    @property
    def name(self) -> str:
        """Identifies the account in progress records (never includes the password)."""
        return f"{self.user}@{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"ImapAccount({self.name}, folder={self.folder!r}, ssl={self.ssl})"


class ImapSource:
    """One IMAP folder, read by UID. Messages are fetched with BODY.PEEK[] so
    that reading them does not mark them as seen for the people who share the
    mailbox."""

    def __init__(self, account: ImapAccount, batch_size: int = 20):
        self.account = account
        self.batch_size = batch_size
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None

    def __enter__(self) -> ImapSource:
        account = self.account
        context = ssl.create_default_context(cafile=account.ca_file) if account.ssl else None
        self.client = IMAPClient(account.host, port=account.port, ssl=account.ssl, ssl_context=context, timeout=60)
        self.client.login(account.user, account.password)
        status = self.client.select_folder(account.folder, readonly=True)
        self.uidvalidity = int(status[b"UIDVALIDITY"])
        return self

    def __exit__(self, *exc_info) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # the connection may already be gone; nothing to save
                log.debug("IMAP logout failed", exc_info=True)
            self.client = None

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above the last committed one. `N:*` always returns the highest
        UID even when it is below N, hence the filter."""
        assert self.client is not None
        uids = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in uids if uid > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[RawMessage]:
        assert self.client is not None
        for start in range(0, len(uids), self.batch_size):
            batch = uids[start : start + self.batch_size]
            response = self.client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            for uid in batch:
                data = response.get(uid)
                if data is None:  # expunged meanwhile
                    continue
                yield RawMessage(
                    raw=data[b"BODY[]"],
                    source=self.url(uid),
                    received_at=_aware(data[b"INTERNALDATE"]),
                    uid=uid,
                )

    def url(self, uid: int) -> str:
        """RFC 5092 IMAP URL of a message."""
        account = self.account
        return (
            f"imap://{quote(account.user, safe='')}@{account.host}:{account.port}/"
            f"{quote(account.folder)};UIDVALIDITY={self.uidvalidity}/;UID={uid}"
        )


def _aware(value: dt.datetime) -> dt.datetime:
    """imapclient returns INTERNALDATE as local naive time unless told otherwise."""
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(dt.timezone.utc)


class DirectorySource:
    """A folder of `.eml` files, read in name order. The receipt time comes
    from each message's topmost Received header."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __iter__(self) -> Iterator[RawMessage]:
        for path in sorted(self.folder.rglob("*.eml")):
            yield RawMessage(raw=path.read_bytes(), source=path.resolve().as_uri())
