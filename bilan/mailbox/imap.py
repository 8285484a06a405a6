"""The IMAP mailbox: a safe connection, and one folder read by UID.

Security first: TLS with certificate verification is the default (IMAPS,
port 993), STARTTLS on the plain port is the alternative, and plain IMAP is
refused unless the server is on loopback or `BILAN_IMAP_ALLOW_PLAINTEXT` says
so. Servers cannot be trusted to insist: Dovecot with `ssl = required` still
accepts a cleartext LOGIN from 127.0.0.1, so the client enforces the policy.

Secrets (password or XOAUTH2 token) are read at each login, from the
environment or from a Prefect Secret block, so that a token refreshed in the
block is used at the next reconnection; they never appear in a repr, a log
line or an error message (imapclient itself redacts LOGIN and AUTHENTICATE in
its protocol log).

The folder is shared with people: messages are read with BODY.PEEK[] (never
marked \\Seen), marked with a keyword once their rows are committed, moved
only if asked and only with the server's MOVE, and never deleted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from bilan.mailbox.errors import (
    IdleRefused,
    ImapError,
    ImapLoginFailed,
    ImapUnavailable,
    InsecureConnectionRefused,
    TlsVerificationFailed,
)
from bilan.mailbox.raw import RawMessage

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "plain"]


@dataclass(frozen=True)
class Credential:
    """A secret read when needed: from a Prefect Secret block when one is
    named, else the value given (from the environment)."""

    value: str = field(default="", repr=False)
    block: str | None = None

    def get(self) -> str:
        if self.block:
            from prefect.blocks.system import Secret

            secret = Secret.load(self.block).get()
            return secret if isinstance(secret, str) else str(secret)
        return self.value


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    credential: Credential = field(default_factory=Credential, repr=False)
    folder: str = "INBOX"
    security: Security = "ssl"
    ca_file: Path | None = None
    allow_plaintext: bool = False
    auth: Literal["password", "xoauth2"] = "password"

    @property
    def name(self) -> str:
        """Identifies the account in progress records (never includes a secret)."""
        return f"{self.user}@{self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"ImapAccount({self.name}, folder={self.folder!r}, security={self.security})"


def is_loopback(host: str) -> bool:
    """Only literal loopback addresses and `localhost` count: a name is not
    resolved, since DNS could point it anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(account: ImapAccount) -> ssl.SSLContext:
    """Verification on (certificate chain and host name), TLS 1.2 at least."""
    context = ssl.create_default_context(cafile=str(account.ca_file) if account.ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(account: ImapAccount, timeout: float = 60.0) -> IMAPClient:
    """A logged-in client, or an `ImapError` that says what to change."""
    where = f"{account.host}:{account.port}"
    if account.security == "plain" and not (account.allow_plaintext or is_loopback(account.host)):
        raise InsecureConnectionRefused(
            f"refusing plain IMAP to {where}: the password would cross the network in clear. "
            "Use IMAPS (BILAN_IMAP_SSL=true) or STARTTLS (BILAN_IMAP_STARTTLS=true), or set "
            "BILAN_IMAP_ALLOW_PLAINTEXT=true if this network is trusted."
        )
    context = tls_context(account) if account.security != "plain" else None
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            account.host, port=account.port, ssl=account.security == "ssl", ssl_context=context, timeout=timeout
        )
        if account.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise ImapError(f"{where} does not offer STARTTLS; use IMAPS (BILAN_IMAP_SSL=true)")
            client.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        _close(client)
        hint = "set BILAN_IMAP_CA_FILE to the CA that signed it" if not account.ca_file else (
            f"it is not signed by the CA in {account.ca_file}"
        )
        raise TlsVerificationFailed(
            f"TLS certificate of {where} could not be verified ({exc.verify_message}): {hint}"
        ) from None
    except ssl.SSLError as exc:
        _close(client)
        hint = _tls_hint(exc, account)
        raise ImapUnavailable(f"TLS handshake with {where} failed: {exc.reason or exc}{hint}") from None
    except ImapError:
        _close(client)
        raise
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise ImapUnavailable(f"cannot connect to {where}: {exc or type(exc).__name__}") from None
    try:
        _login(client, account)
    except LoginError as exc:
        _close(client)
        raise ImapLoginFailed(f"{where} refused the login of {account.user!r}: {_server_words(exc)}") from None
    except (OSError, IMAPClientError) as exc:
        _close(client)
        raise ImapUnavailable(f"connection to {where} lost during login: {type(exc).__name__}") from None
    return client


def _login(client: IMAPClient, account: ImapAccount) -> None:
    secret = account.credential.get()
    if account.auth == "xoauth2":
        client.oauth2_login(account.user, secret)
    else:
        client.login(account.user, secret)


def _tls_hint(exc: ssl.SSLError, account: ImapAccount) -> str:
    """What to change when the other end does not speak TLS at once: a
    plain port (143) reached with IMAPS, the commonest mistake."""
    if exc.reason not in ("WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING", "RECORD_LAYER_FAILURE"):
        return ""
    if account.security == "ssl":
        return (
            f" — port {account.port} does not speak TLS from the start: use the IMAPS port (993), or set "
            "BILAN_IMAP_SSL=false and BILAN_IMAP_STARTTLS=true for the plain port (143)"
        )
    return " — the server may not support STARTTLS on this port: check BILAN_IMAP_PORT"


def _server_words(exc: Exception) -> str:
    """The server's answer to a failed login (which never echoes the secret),
    as text: imaplib hands it over as bytes."""
    words = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in exc.args]
    text = " ".join(w.strip() for w in words if w.strip())
    if text.startswith(("b'", 'b"')):  # IMAPClient's LoginError carries the repr of the bytes
        text = text[2:-1]
    return text or "no reason given"


def _close(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.shutdown()
    except Exception:  # already gone; nothing to save
        log.debug("IMAP shutdown failed", exc_info=True)


class ImapSource:
    """One IMAP folder, read by UID.

    Opened read-only unless it must mark or move what it ingested (a
    read-write SELECT changes nothing by itself; fetching uses BODY.PEEK[]).
    """

    def __init__(self, account: ImapAccount, batch_size: int = 20, readonly: bool = True):
        self.account = account
        self.batch_size = batch_size
        self.readonly = readonly
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.permanent_flags: tuple[bytes, ...] = ()

    def __enter__(self) -> ImapSource:
        self.client = connect(self.account)
        try:
            status = self.client.select_folder(self.account.folder, readonly=self.readonly)
        except IMAPClientError as exc:
            _close(self.client)
            self.client = None
            raise ImapError(f"cannot open folder {self.account.folder!r} of {self.account.name}: {exc}") from None
        self.uidvalidity = int(status[b"UIDVALIDITY"])
        self.permanent_flags = tuple(status.get(b"PERMANENTFLAGS", ()))
        return self

    def __exit__(self, *exc_info) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # the connection may already be gone; nothing to save
                log.debug("IMAP logout failed", exc_info=True)
                _close(self.client)
            self.client = None

    # -- reading --

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

    # -- leaving a trace on the server --

    def can_mark(self, keyword: str) -> bool:
        """A keyword sticks only in a read-write folder whose PERMANENTFLAGS
        allow new keywords (`\\*`) or list this one."""
        if self.readonly or not keyword:
            return False
        return b"\\*" in self.permanent_flags or keyword.encode() in self.permanent_flags

    def mark(self, uids: list[int], keyword: str) -> None:
        assert self.client is not None
        if uids:
            self.client.add_flags(uids, [keyword.encode()], silent=True)

    def can_move(self) -> bool:
        assert self.client is not None
        return not self.readonly and self.client.has_capability("MOVE")

    def ensure_folder(self, folder: str) -> None:
        assert self.client is not None
        if not self.client.folder_exists(folder):
            self.client.create_folder(folder)
            log.info("created folder %r for ingested messages", folder)

    def move(self, uids: list[int], folder: str) -> None:
        assert self.client is not None
        if uids:
            self.client.move(uids, folder)

    # -- push --

    @property
    def can_idle(self) -> bool:
        assert self.client is not None
        return self.client.has_capability("IDLE")

    def wait_for_new_mail(
        self, timeout: float, should_stop: Callable[[], bool] = lambda: False, slice_seconds: float = 1.0
    ) -> bool:
        """IDLE until the server announces a new message (True), `timeout`
        passes, or `should_stop()` says so (False). The caller re-issues it,
        so that no IDLE lasts longer than the server tolerates.

        Raises `ImapUnavailable` when the server says BYE or the connection
        drops meanwhile."""
        assert self.client is not None
        client = self.client
        if self._announced_meanwhile():
            return True
        try:
            client.idle()
        except IMAPClientError as exc:
            if "BYE" in str(exc):
                raise ImapUnavailable(f"{self.account.host}:{self.account.port} closed the connection") from None
            raise IdleRefused(f"{self.account.name} refused IDLE: {exc}") from None
        news = False
        if self._buffered():
            # The server answered IDLE and announced the message in one go:
            # the announcement already sits in the client's read buffer,
            # where waiting on the socket would never see it.
            _, responses = client.idle_done()
            return _announces_mail(responses, self.account)
        deadline = time.monotonic() + timeout
        while not news and not should_stop():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wait = min(slice_seconds, left)
            started = time.monotonic()
            responses = client.idle_check(timeout=wait)
            news = _announces_mail(responses, self.account)
            if not responses and time.monotonic() - started < wait / 2:
                # The socket woke up with nothing to read: the server hung up.
                # DONE below fails with the real error.
                break
        _, responses = client.idle_done()
        return _announces_mail(responses, self.account) or news

    def _buffered(self) -> bool:
        """Whether the server sent something that imaplib has read from the
        socket but not handed over yet (it reads the socket by blocks, so a
        response that followed the IDLE continuation in the same block is
        there). Looked at without blocking."""
        assert self.client is not None
        sock = self.client.socket()
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        sock.setblocking(False)
        try:
            return bool(self.client._imap.file.peek(1))
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return False
        finally:
            self.client._set_read_timeout()

    def _announced_meanwhile(self) -> bool:
        """Whether the server announced a message while we were busy with
        other commands (it says so once, with whatever response comes next,
        and not again when IDLE starts). imaplib keeps such unsolicited
        responses aside; imapclient does not look at EXISTS there."""
        assert self.client is not None
        pending = self.client._imap.untagged_responses
        announced = bool(pending.pop("EXISTS", None))
        pending.pop("RECENT", None)
        return announced


def _announces_mail(responses: list, account: ImapAccount) -> bool:
    news = False
    for response in responses:
        if response and response[0] == b"BYE":
            raise ImapUnavailable(f"{account.host}:{account.port} closed the connection: {response[1:]}")
        if len(response) >= 2 and response[1] == b"EXISTS":
            news = True
    return news


def _aware(value: dt.datetime) -> dt.datetime:
    """imapclient returns INTERNALDATE as local naive time unless told otherwise."""
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(dt.UTC)
