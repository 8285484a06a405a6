"""The application: what it holds (`Site`) and how it is put together
(`create_app`), the one place where a refused request becomes a page.

Pages read the warehouse at every request, through a read-only connection
(SQLite `mode=ro`, PostgreSQL read-only transactions), so a message that
`bilan watch` ingests shows at the next reload, without a restart. Writes
(corrections, accounts) go through a writer opened on first use.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from bilan.settings import Settings
from bilan.storage.warehouse import Warehouse
from bilan.web.auth import LoginLimiter, NotAllowed, NotLoggedIn
from bilan.web.rendering import environment, page
from bilan.web.security import CsrfRefused, SecurityHeaders

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "bilan_session"


@dataclass
class Site:
    """What every request of the application needs: the settings, the
    warehouse to read (and, on first write, to write), the templates and
    the login limiter."""

    settings: Settings
    reader: Warehouse
    templates: jinja2.Environment
    limiter: LoginLimiter
    _writer: Warehouse | None = None
    _writer_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def writer(self) -> Warehouse:
        with self._writer_lock:
            if self._writer is None:
                self._writer = Warehouse.open(self.settings)
            return self._writer

    def is_trusted_proxy(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:
            return False
        for entry in self.settings.web_trusted_proxies.split(","):
            entry = entry.strip()
            if entry and peer in ipaddress.ip_network(entry, strict=False):
                return True
        return False


def session_secret(settings: Settings) -> str:
    secret = settings.web_secret_key.get_secret_value()
    if secret:
        return secret
    log.warning("BILAN_WEB_SECRET_KEY is not set: sessions are signed with a key made for this run "
                "(everyone is logged out when the server restarts)")  # fmt: skip
    return secrets.token_urlsafe(48)


def create_app(settings: Settings) -> FastAPI:
    """The web application on the warehouse of `settings` (which must exist:
    `bilan migrate` creates it)."""
    from bilan.web import (
        accounts,
        campaign,
        corrections,
        departments,
        login,
        messages,
        review,
        search,
    )

    reader = Warehouse.open(settings, read_only=True)
    site = Site(
        settings=settings, reader=reader, templates=environment(reader.campaign.timezone),
        limiter=LoginLimiter(settings.web_login_attempts, settings.web_login_window_seconds),
    )  # fmt: skip
    app = FastAPI(title="bilan", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.site = site
    # Added last, runs first: the session is there for everything else.
    app.add_middleware(SecurityHeaders, secure=settings.web_secure_cookies)
    app.add_middleware(
        SessionMiddleware, secret_key=session_secret(settings), session_cookie=SESSION_COOKIE,
        max_age=int(settings.web_session_hours * 3600), same_site="lax", https_only=settings.web_secure_cookies,
    )  # fmt: skip
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (login, campaign, departments, messages, review, search, corrections, accounts):
        app.include_router(module.router)
    _handle_refusals(app)
    return app


def _handle_refusals(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _exc) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/connexion?suite={quote(target)}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, _exc) -> HTMLResponse:
        return page(request, "refus.html", status_code=403,
                    reason="Votre compte n'a pas le rôle qu'il faut pour cette page ou cette action.")

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc) -> HTMLResponse:
        return page(request, "refus.html", status_code=403,
                    reason="Formulaire refusé : il ne porte pas le jeton de sécurité de votre session "
                    "(page trop ancienne, ou formulaire venu d'ailleurs). Rechargez la page et recommencez.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        reasons = {404: "Cette page n'existe pas.", 405: "Méthode non permise."}
        return page(request, "refus.html", status_code=exc.status_code,
                    reason=reasons.get(exc.status_code, str(exc.detail)))
