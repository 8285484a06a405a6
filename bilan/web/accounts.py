"""The accounts page (admins): who may log in, with which role; add an
account, change a role or a password, remove an account."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bilan.errors import BadInput
from bilan.storage.accounts import (
    ADMIN,
    ROLES,
    AccountRow,
    list_accounts,
    remove_account,
    save_account,
    set_password_hash,
    set_role,
)
from bilan.web.auth import hash_password, require
from bilan.web.rendering import flash, page
from bilan.web.security import check_csrf

router = APIRouter()


@router.get("/comptes", response_class=HTMLResponse)
def accounts_page(request: Request, account: AccountRow = Depends(require(ADMIN))):
    site = request.app.state.site
    with site.reader.engine.connect() as connection:
        accounts = list_accounts(connection)
    return page(request, "comptes.html", accounts=accounts, roles=ROLES)


@router.post("/comptes", dependencies=[Depends(check_csrf)])
def change_account(
    request: Request, account: AccountRow = Depends(require(ADMIN)), action: str = Form(...), name: str = Form(...),
    role: str = Form(""), password: str = Form(""),
):
    engine = request.app.state.site.writer.engine
    try:
        if action in ("add", "password") and password and len(password) < 8:
            raise BadInput("le mot de passe doit compter au moins 8 caractères")
        if action == "add":
            save_account(engine, name, role, hash_password(password) if password else None)
            flash(request, f"Compte « {name} » enregistré.")
        elif action == "role":
            if name == account.name and role != ADMIN:
                raise BadInput("vous ne pouvez pas retirer votre propre rôle d'administration")
            set_role(engine, name, role)
            flash(request, f"Rôle de « {name} » changé.")
        elif action == "password":
            set_password_hash(engine, name, hash_password(password))
            flash(request, f"Mot de passe de « {name} » changé.")
        elif action == "remove":
            if name == account.name:
                raise BadInput("vous ne pouvez pas supprimer votre propre compte")
            remove_account(engine, name)
            flash(request, f"Compte « {name} » supprimé.")
    except BadInput as error:
        flash(request, f"Refusé : {error}", "error")
    return RedirectResponse("/comptes", status_code=303)
