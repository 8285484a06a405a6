"""What every response and every form carries: security headers (a
Content-Security-Policy that allows no script, no frame, no request to
another site), and a CSRF token in every form, checked on every POST.

The token is the session's own (a random value kept in the signed session
cookie), compared in constant time; a POST without it, or with another,
is refused with 403 before anything is done. Session cookies are
SameSite=Lax as well, but a token does not depend on the browser."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp

#: No script, no plugin, no frame, no font or image from elsewhere; forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders(BaseHTTPMiddleware):
    """The headers above on every response; pages are never cached (they
    may show personal data to an editor), and HSTS when cookies are secure."""

    def __init__(self, app: ASGIApp, secure: bool):
        super().__init__(app)
        self.secure = secure

    async def dispatch(self, request, call_next):
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if self.secure and request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The session's token (made on first use: the login form has one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


class CsrfRefused(Exception):
    """A form came without the session's token."""


async def check_csrf(request: Request) -> None:
    """A FastAPI dependency of every POST: the form's `csrf` field must be the session's token."""
    form = await request.form()
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise CsrfRefused()


def local_path(target: str | None, default: str = "/") -> str:
    """A path of this site to go back to after a form (never another site:
    no scheme, no host, no `//`, no backslash)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
