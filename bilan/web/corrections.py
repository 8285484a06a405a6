"""Corrections from the pages (editors): each form names a subject (what
kind of value), a target (which one), the new value and a reason; the
warehouse records it as a row and applies it on top of extraction
(`Warehouse.apply_correction`, `storage/corrections.py`), so that it holds
in every view, export and status and survives `bilan reprocess`. Undoing
is one more click.

This module only turns a form's text into the value a subject takes, and
refuses what cannot be one, before the warehouse sees it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bilan.errors import BadInput
from bilan.reference import departments
from bilan.storage.accounts import AccountRow
from bilan.storage.corrections import REVIEW_VALUES, CorrectionError, CorrectionRequest
from bilan.storage.models import Annexe1Row, Annexe2Row
from bilan.storage.views import KIND_LABELS, THEME_LABELS
from bilan.web import french
from bilan.web.auth import EDITOR, require
from bilan.web.files import is_sha256
from bilan.web.rendering import flash
from bilan.web.security import check_csrf, local_path

router = APIRouter()

SUBJECTS = (
    "message_departments", "message_kind", "message_modality", "message_supersedes", "message_complements",
    "annex_cell", "annex_row", "recommendation", "department_exempt", "message_review",
)  # fmt: skip
RECOMMENDATION_STATUSES = ("accepted", "rejected")
_ANNEX_TARGET = re.compile(r"^([0-9a-f]{64})/(annexe1|annexe2)/(\d+)$")
_RECOMMENDATION_TARGET = re.compile(r"^([0-9a-f]{64})/recommendation/(\d+)$")
_TRUE, _FALSE = {"oui", "o", "vrai", "true", "1", "x"}, {"non", "n", "faux", "false", "0"}


class Refused(BadInput):
    """A form whose value cannot be what its subject takes (said in French)."""


def department_codes(text: str) -> list[str]:
    known = {d.code for d in departments()}
    codes = []
    for part in re.split(r"[\s,;]+", text.strip()):
        if not part:
            continue
        code = part.upper().zfill(2) if part.isdigit() and len(part) < 2 else part.upper()
        if code not in known:
            raise Refused(f"« {part} » n'est pas un code de département (01, 2A, 75, 974…)")
        if code not in codes:
            codes.append(code)
    return codes


def cell_value(model, field: str, text: str):
    """A cell's new value, of its column's type (empty: no value)."""
    if field not in model.cell_fields():
        raise Refused(f"« {field} » n'est pas une colonne de cette annexe")
    text = text.strip()
    if not text:
        return None
    kind = model.__table__.columns[field].type.python_type
    try:
        if kind is bool:
            if text.casefold() in _TRUE:
                return True
            if text.casefold() in _FALSE:
                return False
            raise ValueError(text)
        if kind is int:
            return int(text.replace(" ", "").replace("\u202f", ""))
        if kind is float:
            return float(text.replace(" ", "").replace("\u202f", "").replace("€", "").replace(",", "."))
    except ValueError:
        expected = {bool: "oui ou non", int: "un nombre entier", float: "un nombre"}[kind]
        raise Refused(f"« {text} » n'est pas une valeur de « {french.field(field)} » : {expected} attendu") from None
    return text


def requested_value(subject: str, target: str, field: str | None, value: str):
    """The value a subject takes, from a form's text; `Refused` when it cannot be."""
    value = value or ""
    if subject == "message_departments":
        return department_codes(value)
    if subject == "message_kind":
        if value not in KIND_LABELS:
            raise Refused(f"« {value} » n'est pas une nature de message")
        return value
    if subject == "message_modality":
        if not value.strip():
            return None
        if value.strip() not in ("1", "2", "3"):
            raise Refused("la modalité est 1, 2 ou 3")
        return int(value)
    if subject in ("message_supersedes", "message_complements"):
        if not value.strip():
            return None
        if not is_sha256(value.strip()):
            raise Refused("choisissez un message de la liste")
        return value.strip()
    if subject == "annex_cell":
        found = _ANNEX_TARGET.match(target)
        if not found or not field:
            raise Refused("cellule d'annexe inconnue")
        return cell_value(Annexe1Row if found.group(2) == "annexe1" else Annexe2Row, field, value)
    if subject == "annex_row":
        if not _ANNEX_TARGET.match(target):
            raise Refused("ligne d'annexe inconnue")
        return {"rejected": value != "restored"}
    if subject == "recommendation":
        if not _RECOMMENDATION_TARGET.match(target):
            raise Refused("préconisation inconnue")
        if field == "status" and value in RECOMMENDATION_STATUSES:
            return value
        if field == "theme" and value in THEME_LABELS:
            return value
        if field == "text" and value.strip():
            return value.strip()
        raise Refused("valeur de préconisation non reconnue")
    if subject == "department_exempt":
        return value.strip().casefold() in _TRUE
    if subject == "message_review":
        if value.strip() not in REVIEW_VALUES:
            raise Refused("un message se marque seulement comme vérifié")
        return value.strip()
    raise Refused(f"« {subject} » n'est pas une correction connue")


def _target_checked(subject: str, target: str) -> str:
    target = target.strip()
    if subject.startswith("message_") and not is_sha256(target):
        raise Refused("message inconnu")
    if subject == "department_exempt":
        department_codes(target)
    return target


@router.post("/corrections", dependencies=[Depends(check_csrf)])
def correct(
    request: Request, account: AccountRow = Depends(require(EDITOR)), subject: str = Form(...),
    target: str = Form(...), value: str = Form(""), field: str = Form(""), reason: str = Form(""),
    suite: str = Form("/"),
):
    back = local_path(suite)
    try:
        target = _target_checked(subject, target)
        new_value = requested_value(subject, target, field or None, value)
        request.app.state.site.writer.apply_correction(CorrectionRequest(
            subject, target, new_value, account.name, reason=reason.strip()[:2000], field=field or None,
        ))  # fmt: skip
    except Refused as error:
        flash(request, f"Correction refusée : {error}", "error")
        return RedirectResponse(back, status_code=303)
    except CorrectionError as error:
        flash(request, f"Correction refusée : {french.refusal(str(error))}", "error")
        return RedirectResponse(back, status_code=303)
    flash(request, "Message marqué comme vérifié." if subject == "message_review" else "Correction enregistrée.")
    return RedirectResponse(back, status_code=303)


@router.post("/corrections/{correction_id}/annuler", dependencies=[Depends(check_csrf)])
def undo(request: Request, correction_id: int, account: AccountRow = Depends(require(EDITOR)),
         suite: str = Form("/")):
    back = local_path(suite)
    try:
        request.app.state.site.writer.undo_correction(correction_id, account.name)
    except CorrectionError as error:
        flash(request, f"Annulation refusée : {french.refusal(str(error))}", "error")
        return RedirectResponse(back, status_code=303)
    flash(request, "Correction annulée.")
    return RedirectResponse(back, status_code=303)


def message_corrections(site, sha256: str) -> list:
    """The corrections not undone of a message and of its rows (annex rows,
    recommendations), in the order they were made."""
    return site.reader.list_corrections(message=sha256)


def department_corrections(site, code: str) -> list:
    return site.reader.list_corrections(target=code)
