"""Reading headers that Python's e-mail parser cannot read.

The structured header parser of the standard library (`email.policy.default`)
raises on some malformed headers instead of reporting a defect: a lone quote
in an address list (`IndexError`), comments nested a thousand deep
(`RecursionError`), an unterminated domain literal (`AttributeError`), an
unbalanced bracket in a Message-ID (`IndexError`, `UnboundLocalError`). Such
a header would make the whole message unreadable, and an IMAP folder stuck
behind it.

`LENIENT` is the default policy, except that a header the parser cannot read
comes back as an `UnreadableHeader`: the value as written (encoded words
decoded when possible), with a defect saying so. The rest of the message is
read as usual, and the header can still be written back (an attached message
is serialised again).
"""

from __future__ import annotations

import email.header
import logging
from email.errors import HeaderParseError, InvalidHeaderDefect
from email.headerregistry import BaseHeader
from email.policy import EmailPolicy
from functools import lru_cache

log = logging.getLogger(__name__)


class UnreadableHeader(BaseHeader):
    """A header kept as written because the structured parser failed on it.
    It is a `str` like every header object; `defects` says why."""

    max_count = None

    @classmethod
    def parse(cls, value: str, kwds: dict) -> None:
        kwds["decoded"] = _decoded_words(value)
        kwds["raw"] = value
        kwds["defects"].append(InvalidHeaderDefect("header unreadable by the e-mail parser; kept as written"))

    def init(self, name: str, *, raw: str, defects: list) -> None:
        self._name = name
        self._raw = raw
        self._defects = tuple(defects)
        self._parse_tree = None

    def fold(self, *, policy) -> str:
        """The header as it came, its lines joined by the policy's line end."""
        lines = self._raw.splitlines() or [""]
        return f"{self.name}: " + policy.linesep.join(lines) + policy.linesep


def _decoded_words(value: str) -> str:
    """RFC 2047 encoded words decoded when they can be; else the text as is."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return value


class LenientPolicy(EmailPolicy):
    """`email.policy.default` that never raises on a header's value (see
    the module docstring)."""

    def header_fetch_parse(self, name: str, value: str):
        if hasattr(value, "name"):  # already a header object
            return value
        if len(value) <= MAX_REMEMBERED_LENGTH:
            return _remembered_header(self, name, value)
        return _parsed_header(self, name, value)

    def fold(self, name: str, value: str) -> str:
        try:
            return super().fold(name, value)
        except Exception:
            return UnreadableHeader(name, value).fold(policy=self)

    def fold_binary(self, name: str, value: str) -> bytes:
        try:
            return super().fold_binary(name, value)
        except Exception:
            folded = UnreadableHeader(name, value).fold(policy=self)
            return folded.encode("ascii" if self.cte_type == "7bit" else "utf-8", "surrogateescape")


#: Header values up to this length are parsed once and the header object
#: kept: every read of a header parses it again (`get`, `get_all`), and the
#: envelope of a message is read at archiving and again at parsing.
MAX_REMEMBERED_LENGTH = 2048


def _parsed_header(policy: EmailPolicy, name: str, value: str):
    try:
        return EmailPolicy.header_fetch_parse(policy, name, value)
    except Exception as exc:  # IndexError, RecursionError, AttributeError...: parser bugs, not ours
        log.debug("header %s kept as written: %s: %s", name, type(exc).__name__, exc)
        return UnreadableHeader(name, value)


#: Header objects are immutable strings, so one can serve every reader.
_remembered_header = lru_cache(maxsize=4096)(_parsed_header)


#: What every reader of a message uses.
LENIENT = LenientPolicy()
#: For writing a message back (an attached message): CRLF line ends.
LENIENT_SMTP = LENIENT.clone(linesep="\r\n")


def unreadable_headers(message) -> list[str]:
    """Names (lower case) of the headers of `message` kept as written."""
    names: list[str] = []
    for name in dict.fromkeys(k.lower() for k in message.keys()):
        if any(isinstance(v, UnreadableHeader) for v in message.get_all(name, [])):
            names.append(name)
    return names
