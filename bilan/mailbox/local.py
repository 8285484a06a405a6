"""Where raw messages come from, besides IMAP (see `bilan/mailbox/imap.py`): a
folder of `.eml` files, one `.eml` file, an mbox file (a Thunderbird export)
or a Maildir. `open_local_source(path)` tells which.

A source yields `RawMessage`s and knows nothing of what happens to them.

Files are given in the form an IMAP server delivers a message: CRLF line
ends, without the status headers a mail program adds to its local copy
(`X-Mozilla-Status`, `Status`, ...), and for mbox with the `>From ` quoting
undone. The same message imported from a Thunderbird export and later
fetched by IMAP then has one sha256, hence one row.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
import mailbox
import re
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path

from bilan.mailbox.errors import SourceError
from bilan.mailbox.raw import RawMessage

log = logging.getLogger(__name__)


#: Headers a mail program writes into its own copy of a message (Thunderbird,
#: mutt, Dovecot's mbox storage): local state, not part of what was received.
LOCAL_STATE_HEADERS = frozenset(
    {"x-mozilla-status", "x-mozilla-status2", "x-mozilla-keys", "status", "x-status", "x-keywords", "x-uid",
     "content-length"}
)  # fmt: skip
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")


def canonical_form(raw: bytes) -> bytes:
    """The message as an IMAP server would deliver it: CRLF line ends and no
    local-state headers."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    head, separator, body = raw.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):  # continuation of the previous header
            if not dropping:
                kept.append(line)
            continue
        match = _HEADER_NAME.match(line)
        dropping = bool(match) and match.group(1).decode("ascii").lower() in LOCAL_STATE_HEADERS
        if not dropping:
            kept.append(line)
    return b"\r\n".join(kept) + separator + body


def _unquote_mbox(raw: bytes) -> bytes:
    """mboxrd: a body line `>From ` (or `>>From `...) was written for `From `."""
    return re.sub(rb"(?m)^>(>*From )", rb"\1", raw)


def _has_received_header(raw: bytes) -> bool:
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw, headersonly=True)
    return headers.get("Received") is not None


class DirectorySource:
    """A folder of `.eml` files (at any depth), read in name order. The
    receipt time comes from each message's topmost Received header."""

    kind = "folder of .eml files"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.paths = sorted(self.folder.rglob("*.eml"))

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[RawMessage]:
        for path in self.paths:
            yield RawMessage(raw=canonical_form(path.read_bytes()), source=path.resolve().as_uri())


class EmlFileSource(DirectorySource):
    """One `.eml` file."""

    kind = ".eml file"

    def __init__(self, path: Path):
        self.folder = Path(path).parent
        self.paths = [Path(path)]


class MboxSource:
    """An mbox file, as Thunderbird exports a folder ("From " lines between
    messages). The receipt time comes from the topmost Received header, else
    from the date on the "From " line (read as UTC)."""

    kind = "mbox file"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.box = mailbox.mbox(self.path, create=False)
        self.keys = list(self.box.iterkeys())

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[RawMessage]:
        uri = self.path.resolve().as_uri()
        try:
            for position, key in enumerate(self.keys, start=1):
                raw = canonical_form(_unquote_mbox(self.box.get_bytes(key)))
                received_at = None
                if not _has_received_header(raw):
                    received_at = _from_line_date(self.box.get_message(key).get_from())
                yield RawMessage(raw=raw, source=f"{uri}#{position}", received_at=received_at)
        finally:
            self.box.close()


_ASCTIME = re.compile(r"(\w{3}\s+\w{3}\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}\s+\d{4})\s*$")


def _from_line_date(from_line: str) -> dt.datetime | None:
    match = _ASCTIME.search(from_line or "")
    if not match:
        return None
    try:
        when = dt.datetime.strptime(" ".join(match.group(1).split()), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC)


class MaildirSource:
    """A Maildir (`cur/`, `new/`, `tmp/`), in delivery order. The receipt time
    comes from the topmost Received header, else from the file's delivery
    time (its modification time, as the Maildir convention has it)."""

    kind = "Maildir"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.box = mailbox.Maildir(self.path, factory=None, create=False)
        # Unique names start with the delivery time: name order is delivery order.
        self.keys = sorted(self.box.iterkeys())

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[RawMessage]:
        uri = self.path.resolve().as_uri()
        for key in self.keys:
            raw = canonical_form(self.box.get_bytes(key))
            received_at = None
            if not _has_received_header(raw):
                received_at = dt.datetime.fromtimestamp(self.box.get_message(key).get_date(), dt.UTC)
            yield RawMessage(raw=raw, source=f"{uri}#{key}", received_at=received_at)


LocalSource = DirectorySource | EmlFileSource | MboxSource | MaildirSource


def open_local_source(path: Path) -> LocalSource:
    """Tell the format by looking: a Maildir has `cur/` and `new/`, any other
    folder is read for `.eml` files, a file starting with "From " is an mbox,
    an `.eml` file is one message (accepted as a folder import accepts it),
    any other file is one message when it starts like one."""
    path = Path(path)
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return MaildirSource(path)
        source = DirectorySource(path)
        if not len(source):
            raise SourceError(f"{path}: no .eml file in this folder (for an mbox file, give the file itself)")
        return source
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    with path.open("rb") as handle:
        start = handle.read(4096)
    if start.startswith(b"From "):
        return MboxSource(path)
    if path.suffix.lower() == ".eml":
        return EmlFileSource(path)  # as in a folder: an .eml is a message, however odd
    if not start.strip():
        raise SourceError(f"{path}: empty file")
    if not _HEADER_NAME.match(start.lstrip()):
        raise SourceError(f"{path}: neither an e-mail (.eml), an mbox file nor a Maildir")
    return EmlFileSource(path)
