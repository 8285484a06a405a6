"""The login and logout pages."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bilan.storage.accounts import find_account
from bilan.web.auth import (
    client_address,
    close_session,
    current_account,
    open_session,
    password_matches,
)
from bilan.web.rendering import page
from bilan.web.security import check_csrf, local_path

router = APIRouter()


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, suite: str = "/"):
    if current_account(request) is not None:
        return RedirectResponse(local_path(suite), status_code=303)
    return page(request, "connexion.html", suite=local_path(suite), error=None, name="")


@router.post("/connexion", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def login(request: Request, name: str = Form(""), password: str = Form(""), suite: str = Form("/")):
    site = request.app.state.site
    address = client_address(request)
    name = name.strip()[:64]
    wait = site.limiter.blocked_for(name, address)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        return page(request, "connexion.html", status_code=429, suite=local_path(suite), name=name,
                    error=f"Trop de tentatives de connexion échouées : réessayez dans {minutes} minute(s).")
    with site.reader.engine.connect() as connection:
        account = find_account(connection, name) if name else None
    if not password_matches(account.password_hash if account else None, password):
        site.limiter.failed(name, address)
        return page(request, "connexion.html", status_code=401, suite=local_path(suite), name=name,
                    error="Identifiant ou mot de passe incorrect.")
    open_session(request, account)
    return RedirectResponse(local_path(suite), status_code=303)


@router.post("/deconnexion", dependencies=[Depends(check_csrf)])
def logout(request: Request):
    close_session(request)
    return RedirectResponse("/connexion", status_code=303)
