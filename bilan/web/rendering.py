"""How pages are drawn: Jinja2 templates in French, every value escaped
(autoescape: a subject `<script>` is shown as text), with filters for
dates in the campaign's time zone, confidences and coded values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from bilan.outgoing.letters import french_date, french_datetime
from bilan.storage.search import HIT_END, HIT_START
from bilan.storage.views import (
    ATTACHMENT_ROLE_LABELS,
    KIND_LABELS,
    PARSE_STATUS_ADVICE,
    PARSE_STATUS_LABELS,
    PROBLEM_LABELS,
    ROLE_LABELS,
    SENDER_CHECK_LABELS,
    STATUS_LABELS,
    THEME_LABELS,
)
from bilan.web import french

TEMPLATES = Path(__file__).parent / "templates"
#: Statuses the views may give beyond the three of the deadline rule.
WEB_STATUS_LABELS = {**STATUS_LABELS, "exempt": "dispensé"}
ROLE_NAMES = {"viewer": "lecture", "editor": "correction", "admin": "administration"}
#: What each kind of correction sets, as the pages name it.
SUBJECT_LABELS = {
    "message_departments": "départements du message", "message_kind": "nature du message",
    "message_modality": "modalité", "message_supersedes": "remplace", "message_complements": "complète",
    "annex_cell": "cellule d'annexe", "annex_row": "ligne d'annexe", "recommendation": "préconisation",
    "department_exempt": "dispense", "message_review": "vérification du message",
}  # fmt: skip


def environment(timezone: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["paris"] = lambda moment: french_datetime(moment, timezone) if moment else ""
    env.filters["day"] = lambda day: french_date(day) if day else ""
    env.filters["percent"] = _percent
    env.filters["size"] = _size
    env.filters["snippet"] = _snippet
    env.filters["correction_value"] = _correction_value
    env.filters["evidence"] = french.evidence
    env.filters["origin"] = french.origin
    env.filters["review_reason"] = french.review_reason
    env.filters["field"] = french.field
    env.filters["label"] = lambda value, labels: labels.get(value, value) if value is not None else ""
    env.globals.update(
        STATUS=WEB_STATUS_LABELS, KINDS=KIND_LABELS, ROLES=ROLE_LABELS, PARSE=PARSE_STATUS_LABELS,
        ADVICE=PARSE_STATUS_ADVICE, FILE_ROLES=ATTACHMENT_ROLE_LABELS, THEMES=THEME_LABELS,
        PROBLEMS=PROBLEM_LABELS, CHECKS=SENDER_CHECK_LABELS, ACCOUNT_ROLES=ROLE_NAMES, SUBJECTS=SUBJECT_LABELS,
    )  # fmt: skip
    return env


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)} %"


def _size(value: int | None) -> str:
    if value is None:
        return ""
    if value < 1024:
        return f"{value} o"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} Ko"
    return f"{value / 1024 / 1024:.1f} Mo".replace(".", ",")


def _correction_value(value) -> str:
    """A correction's old or new value as a person reads it."""
    if value is None:
        return "—"
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, dict) and "rejected" in value:
        return "rejetée" if value["rejected"] else "rétablie"
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "aucun"
    if isinstance(value, str) and len(value) == 64:
        return f"message {value[:12]}…"
    return str(value)


def _snippet(text: str) -> Markup:
    """A search snippet: escaped, then the words found in <mark>."""
    escaped = str(escape(text))
    return Markup(escaped.replace(HIT_START, "<mark>").replace(HIT_END, "</mark>"))


def page(request: Request, template: str, status_code: int = 200, **values) -> HTMLResponse:
    """A page drawn from its template, with what every page shows (the
    account, the CSRF token of its forms, a message left by the last form)."""
    from bilan.web.auth import current_account
    from bilan.web.security import csrf_token

    site = request.app.state.site
    account = current_account(request)
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    html = site.templates.get_template(template).render(
        request=request, account=account, csrf=csrf_token(request), flash=flash,
        campaign=site.reader.campaign, now=dt.datetime.now(dt.UTC), **values,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status_code)


def flash(request: Request, text: str, kind: str = "info") -> None:
    """A message for the next page (after a form's redirect)."""
    request.session["flash"] = {"text": text, "kind": kind}
