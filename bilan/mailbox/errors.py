"""What can go wrong with a mailbox, each told in words a user can act on
(never with a secret in it). The command line prints these on one line;
the watcher and the flows read their type to decide whether a retry can help."""

from __future__ import annotations

import ssl

from imapclient.exceptions import IMAPClientError


class ImapError(RuntimeError):
    """A mailbox problem told in words a user can act on (never with a secret in it)."""


class ImapUnavailable(ImapError):
    """The server cannot be reached or dropped the connection: worth retrying later."""


class InsecureConnectionRefused(ImapError):
    """Plain IMAP to a host that is not on loopback, without explicit consent."""


class TlsVerificationFailed(ImapError):
    """The server's certificate is not trusted (wrong CA, wrong host name, expired)."""


class ImapLoginFailed(ImapError):
    """The server refused the credentials."""


class IdleRefused(ImapError):
    """The server answered IDLE with NO or BAD: polling is the way left."""


class SourceError(ValueError):
    """A path that is not a mailbox we can read."""


#: The errors that mean "the connection is gone": the watcher reconnects,
#: the flow's IMAP task retries.
CONNECTION_ERRORS = (ImapUnavailable, OSError, IMAPClientError, ssl.SSLError)

#: Errors a retry cannot fix (configuration): stop with their message.
FATAL_ERRORS = (TlsVerificationFailed, InsecureConnectionRefused)
