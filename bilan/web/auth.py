"""Who is asking: local accounts with argon2-hashed passwords, or a
reverse proxy's trusted header; the session a login opens; the role a page
needs; and the limit on failed logins.

A session is a signed cookie (Starlette's `SessionMiddleware`, signed with
`BILAN_WEB_SECRET_KEY`) holding the account's id, a stamp of its password
hash (a changed password ends every other session), when it was opened and
the session's CSRF token. The account is read from the warehouse at every
request, so a removed account or a changed role takes effect at once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request

from bilan.storage.accounts import ADMIN, EDITOR, VIEWER, AccountRow, account_by_id, find_account

__all__ = ["ADMIN", "EDITOR", "VIEWER", "AccountRow", "LoginLimiter", "NotAllowed", "NotLoggedIn"]

_hasher = PasswordHasher()
#: A hash to verify against when the account does not exist, so that a
#: login takes as long whether the name exists or not.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    if len(password) < 8:
        from bilan.errors import BadInput

        raise BadInput("the password must have at least 8 characters")
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def stamp_of(account: AccountRow) -> str:
    """What a session remembers of the password: it changes with it."""
    return hashlib.sha256((account.password_hash or "trusted-header").encode()).hexdigest()[:16]


class NotLoggedIn(Exception):
    """No session, or one that has ended: the login page."""


class NotAllowed(Exception):
    """Logged in, without the role the page needs."""


def client_address(request: Request) -> str:
    """The address of the person: the direct peer, or, when the peer is a
    trusted proxy, the last address it added to X-Forwarded-For."""
    site = request.app.state.site
    peer = request.client.host if request.client else ""
    if site.is_trusted_proxy(peer):
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.split(",")[-1].strip() if forwarded else ""
        if last:
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
    return peer


def current_account(request: Request) -> AccountRow | None:
    """The logged-in account, or None. A request from a trusted proxy that
    names an account in the trusted header is that account; otherwise the
    session says who it is."""
    if hasattr(request.state, "account"):
        return request.state.account
    site = request.app.state.site
    account = None
    header = site.settings.web_trusted_header
    peer = request.client.host if request.client else ""
    if header and site.is_trusted_proxy(peer) and request.headers.get(header):
        with site.reader.engine.connect() as connection:
            account = find_account(connection, request.headers[header].strip())
    elif isinstance(request.session.get("account"), int):
        opened = request.session.get("opened", 0)
        if time.time() - opened <= site.settings.web_session_hours * 3600:
            with site.reader.engine.connect() as connection:
                account = account_by_id(connection, request.session["account"])
            if account is not None and request.session.get("stamp") != stamp_of(account):
                account = None
        if account is None:
            request.session.pop("account", None)
    request.state.account = account
    return account


def require(role: str):
    """A FastAPI dependency: the account, if it has `role` (or a higher one)."""

    def dependency(request: Request) -> AccountRow:
        account = current_account(request)
        if account is None:
            raise NotLoggedIn()
        if not account.can(role):
            raise NotAllowed()
        return account

    return dependency


def open_session(request: Request, account: AccountRow) -> None:
    """A fresh session for this account (nothing kept from before the
    login: no session fixation), with a new CSRF token."""
    from bilan.web.security import new_csrf_token

    request.session.clear()
    request.session.update(account=account.id, stamp=stamp_of(account), opened=int(time.time()),
                           csrf=new_csrf_token())  # fmt: skip
    request.state.account = account


def close_session(request: Request) -> None:
    request.session.clear()
    request.state.account = None


@dataclass
class LoginLimiter:
    """At most `attempts` failed logins per account name and per address
    within `window` seconds; past that, logins are refused without looking
    at the password until the oldest failure leaves the window. Kept in the
    server's memory (one process: `bilan serve` runs one)."""

    attempts: int
    window: float

    def __post_init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked_for(self, name: str, address: str) -> float:
        """Seconds to wait before trying again (0: a try is allowed)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                failures[0] + self.window - now
                for key in (("name", name.casefold()), ("address", address))
                if len(failures := self._recent(key, now)) >= self.attempts
            ]
        return max(waits, default=0.0)

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (("name", name.casefold()), ("address", address)):
                self._recent(key, now).append(now)
