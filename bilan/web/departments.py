"""The department page: its status and why, then every message it sent or
that speaks for it, in order of receipt, with versions (which message
supersedes or completes which), its annex rows, recommendations with their
themes, strengths and weaknesses, members' answers and reminders sent."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from bilan.outgoing.letters import french_date, french_datetime
from bilan.storage.accounts import AccountRow
from bilan.storage.models import Annexe1Row, Annexe2Row
from bilan.storage.status import (
    EXEMPT,
    LATE,
    MISSING,
    ON_TIME,
    DepartmentStatus,
    closes_at,
    department_statuses,
)
from bilan.web.auth import EDITOR, VIEWER, require
from bilan.web.corrections import department_corrections
from bilan.web.rendering import page
from bilan.web.sql import BOOLEAN_FIELDS, fetch

router = APIRouter()

MESSAGES = """
    SELECT m.id, m.sha256, m.received_at, m.sender, m.sender_name, m.subject, m.kind, m.pii, m.modality,
           m.needs_review, m.review_reason, m.process_error, m.processed_at, m.supersedes_id, m.complements_id,
           m.follow_up, md.confidence AS department_confidence, md.evidence,
           (SELECT count(*) FROM attachment a WHERE a.message_id = m.id AND NOT a.inline) AS files,
           (SELECT count(*) FROM attachment a WHERE a.message_id = m.id AND a.parse_status <> 'ok') AS unreadable
    FROM effective_message m JOIN effective_message_department md ON md.message_id = m.id
    WHERE md.department_code = :code
    ORDER BY m.received_at, m.id
"""


def annex_rows(connection, view: str, model, code: str) -> list[dict]:
    """The rows of an annex view (current contributions, as corrected) for a
    department's messages, with the row's position in its message and its
    cells' confidences."""
    table = model.__tablename__
    return fetch(connection, f"""
        SELECT v.*, r.position, r.cell_confidence, r.attachment_position, m.sha256
        FROM {view} v JOIN {table} r ON r.id = v.row_id JOIN message m ON m.id = v.message_id
        WHERE v.message_id IN (SELECT message_id FROM effective_message_department WHERE department_code = :code)
        ORDER BY v.received_at, v.message_id, r.position
    """, {"code": code})  # fmt: skip


@router.get("/departements/{code}", response_class=HTMLResponse)
def department_page(request: Request, code: str, account: AccountRow = Depends(require(VIEWER))):
    site = request.app.state.site
    campaign = site.reader.campaign
    status = next((s for s in department_statuses(site.reader.engine, campaign) if s.code == code.upper()), None)
    if status is None:
        raise HTTPException(404)
    code = status.code
    editor = account.can(EDITOR)
    with site.reader.engine.connect() as connection:
        messages = fetch(connection, MESSAGES, {"code": code})
        codes_of: dict[int, list[str]] = {}
        for row in fetch(connection, """
            SELECT message_id, department_code FROM effective_message_department WHERE message_id IN
                (SELECT message_id FROM effective_message_department WHERE department_code = :code)
            ORDER BY department_code
        """, {"code": code}):  # fmt: skip
            codes_of.setdefault(row["message_id"], []).append(row["department_code"])
        for message in messages:
            message["other_codes"] = " ".join(c for c in codes_of.get(message["id"], []) if c != code)
        superseding = {m["supersedes_id"]: m["id"] for m in messages if m["supersedes_id"]}
        for message in messages:
            message["superseded_by"] = superseding.get(message["id"])
        annexe1 = annex_rows(connection, "annexe1", Annexe1Row, code)
        annexe2 = annex_rows(connection, "annexe2", Annexe2Row, code)
        recommendations = fetch(connection, """
            SELECT v.*, r.theme_source, r.origin, r.cell_range, r.status, m.sha256
            FROM recommendations v JOIN effective_recommendation r ON r.id = v.recommendation_id
            JOIN message m ON m.id = v.message_id
            WHERE v.department_code = :code ORDER BY v.received_at, v.message_id, v.position
        """, {"code": code})  # fmt: skip
        findings = fetch(connection, """
            SELECT * FROM strengths_weaknesses WHERE department_code = :code
            ORDER BY nature, received_at, message_id, position
        """, {"code": code})  # fmt: skip
        reminders = fetch(connection, """
            SELECT day, reason, recipients, subject, status, sent_at, error FROM reminder
            WHERE department_code = :code AND campaign_id = :campaign ORDER BY day
        """, {"code": code, "campaign": campaign.id})  # fmt: skip
        if editor:
            answers = fetch(connection, """
                SELECT s.message_id, s.conseil_citoyen, a.number, a.topic, a.question, a.answer, a.pii
                FROM survey_answer a JOIN survey_response s ON s.id = a.response_id
                WHERE s.department_code = :code ORDER BY s.message_id, s.position, a.number
            """, {"code": code})  # fmt: skip
        else:
            answers = fetch(connection, """
                SELECT message_id, conseil_citoyen, number, topic, question, answer, 0 AS pii
                FROM survey_answer_public WHERE department_code = :code ORDER BY message_id, number
            """, {"code": code})  # fmt: skip
    return page(
        request, "departement.html", status=status, why=status_reasons(status, messages, campaign),
        messages=messages, annexe1=annexe1, annexe2=annexe2,
        annexe1_fields=Annexe1Row.cell_fields(), annexe2_fields=Annexe2Row.cell_fields(),
        boolean_fields=BOOLEAN_FIELDS,
        recommendations=recommendations, strengths=[f for f in findings if f["nature"] == "strength"],
        weaknesses=[f for f in findings if f["nature"] == "weakness"], answers=answers, reminders=reminders,
        required=site.settings.required_annex_numbers, editor=editor,
        corrections=department_corrections(site, code),
    )  # fmt: skip


def status_reasons(status: DepartmentStatus, messages: list[dict], campaign) -> list[str]:
    """Why the department has its status, in sentences."""
    deadline = french_date(campaign.deadline)
    contributions = [m for m in messages if m["kind"] == "contribution"]
    reasons = []
    if status.status == ON_TIME:
        reasons.append(
            f"À l'heure : première contribution reçue le "
            f"{french_datetime(status.first_contribution_at, campaign.timezone)}, avant la fin du {deadline} "
            "(heure de Paris)."
        )
    elif status.status == LATE:
        days = (status.first_contribution_at - closes_at(campaign)).days + 1
        reasons.append(
            f"En retard : première contribution reçue le "
            f"{french_datetime(status.first_contribution_at, campaign.timezone)}, {days} jour(s) après la "
            f"date limite du {deadline}."
        )
    elif status.status == MISSING:
        others = len(messages) - len(contributions)
        reasons.append(
            "Sans réponse : aucune contribution reçue"
            + (f" ; {others} autre(s) message(s) (questions, réponses automatiques, questionnaires…) ne "
               "comptent pas comme réponse." if others else ".")
        )
    elif status.status == EXEMPT:
        reasons.append("Dispensé : une correction l'a excusé de répondre ; il n'est ni relancé, ni compté en retard "
                       "ou sans réponse.")
    else:
        reasons.append(f"Statut « {status.status} ».")
    if status.exempt and status.status != EXEMPT:
        reasons.append("Marqué dispensé, mais il a répondu à l'heure : sa réponse compte.")
    if status.status in (ON_TIME, LATE):
        annexes = sorted(status.annexes)
        reasons.append(
            "Annexes reçues dans un fichier lisible : " + (", ".join(str(n) for n in annexes) or "aucune") + "."
        )
    if status.flagged_for_review:
        reasons.append(f"{status.flagged_for_review} message(s) à vérifier.")
    if status.doubtful_senders:
        reasons.append(f"{status.doubtful_senders} contribution(s) d'un expéditeur douteux.")
    return reasons
