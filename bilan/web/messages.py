"""The message page: headers, body, files (the original to download, how
it was read and the text read from it), and every value extracted from it
with where it was found and how sure extraction is; and the download of an
original file, by attachment id."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from bilan.reference import departments
from bilan.storage.accounts import AccountRow
from bilan.storage.models import Annexe1Row, Annexe2Row
from bilan.web.auth import EDITOR, VIEWER, require
from bilan.web.corrections import message_corrections
from bilan.web.files import StoredFile, content_disposition, header_fields, is_sha256, original_file
from bilan.web.rendering import page
from bilan.web.sql import BOOLEAN_FIELDS, fetch, fetch_one

router = APIRouter()

#: Contributions offered as what a message replaces or completes: the latest of its departments.
CANDIDATES = 100


def _placeholders(values: list) -> str:
    return ", ".join(f":v{i}" for i in range(len(values)))


def _named(values: list) -> dict:
    return {f"v{i}": value for i, value in enumerate(values)}


def shown_message(connection, message_id: int) -> dict:
    """The message's values as corrected (`effective_message`), with what
    extraction found beside them (`extracted_*`) where a correction changed it,
    and who marked it checked, when (`review`, None when nobody did)."""
    message = fetch_one(connection, "SELECT * FROM effective_message WHERE id = :id", {"id": message_id})
    if message is None:
        raise HTTPException(404)
    extracted = fetch_one(connection, "SELECT kind, modality, supersedes_id, complements_id, needs_review FROM message "
                          "WHERE id = :id", {"id": message_id})  # fmt: skip
    for name, value in extracted.items():
        message[f"extracted_{name}"] = value
    message["review"] = fetch_one(connection, "SELECT id, author, made_at FROM active_correction "
                                  "WHERE subject = 'message_review' AND target = :sha", {"sha": message["sha256"]})  # fmt: skip
    return message


@router.get("/messages/{message_id}", response_class=HTMLResponse)
def message_page(request: Request, message_id: int, account: AccountRow = Depends(require(VIEWER))):
    site = request.app.state.site
    editor = account.can(EDITOR)
    with site.reader.engine.connect() as connection:
        message = shown_message(connection, message_id)
        hidden = bool(message["pii"]) and not editor
        attributed = fetch(connection, """
            SELECT md.department_code, d.name, md.confidence, md.evidence
            FROM effective_message_department md JOIN department d ON d.code = md.department_code
            WHERE md.message_id = :id ORDER BY md.department_code
        """, {"id": message_id})  # fmt: skip
        attachments = fetch(connection, """
            SELECT a.id, a.position, a.parent_id, a.filename, a.content_type, a.format, a.size, a.sha256, a.inline,
                   a.role, a.parse_status, a.parse_error, p.filename AS inside
            FROM attachment a LEFT JOIN attachment p ON p.id = a.parent_id
            WHERE a.message_id = :id ORDER BY a.position
        """, {"id": message_id})  # fmt: skip
        texts = {row["position"]: row for row in fetch(
            connection, "SELECT position, text, blocks, tables FROM extracted_text WHERE message_id = :id",
            {"id": message_id},
        )}  # fmt: skip
        annexe1 = fetch(connection, "SELECT * FROM effective_annexe1_row WHERE message_id = :id ORDER BY position",
                        {"id": message_id})  # fmt: skip
        annexe2 = fetch(connection, "SELECT * FROM effective_annexe2_row WHERE message_id = :id ORDER BY position",
                        {"id": message_id})  # fmt: skip
        recommendations = fetch(connection, "SELECT * FROM effective_recommendation WHERE message_id = :id "
                                "ORDER BY position", {"id": message_id})  # fmt: skip
        strengths = fetch(connection, "SELECT * FROM strength WHERE message_id = :id ORDER BY position",
                          {"id": message_id})  # fmt: skip
        weaknesses = fetch(connection, "SELECT * FROM weakness WHERE message_id = :id ORDER BY position",
                           {"id": message_id})  # fmt: skip
        answers = fetch(connection, """
            SELECT s.position AS response, s.conseil_citoyen, s.source_file, a.number, a.topic, a.question,
                   a.answer, a.pii
            FROM survey_answer a JOIN survey_response s ON s.id = a.response_id
            WHERE s.message_id = :id ORDER BY s.position, a.number
        """, {"id": message_id})  # fmt: skip
        links = fetch(connection, """
            SELECT id, subject, received_at, kind, pii, supersedes_id, complements_id, original_id
            FROM effective_message WHERE id IN (:supersedes, :complements, :original)
               OR supersedes_id = :id OR complements_id = :id OR original_id = :id
            ORDER BY received_at, id
        """, {"id": message_id, "supersedes": message["supersedes_id"] or -1,
              "complements": message["complements_id"] or -1, "original": message["original_id"] or -1})  # fmt: skip
        codes = [d["department_code"] for d in attributed]
        candidates = fetch(connection, f"""
            SELECT m.id, m.sha256, m.subject, m.received_at, m.kind, m.pii FROM effective_message m
            WHERE m.kind = 'contribution' AND m.id <> :id AND m.id IN (
                SELECT message_id FROM effective_message_department WHERE department_code IN ({_placeholders(codes)})
            )
            ORDER BY m.received_at DESC, m.id DESC LIMIT :limit
        """, {"id": message_id, "limit": CANDIDATES, **_named(codes)}) if editor and codes else []  # fmt: skip
    if hidden:
        answers = [a for a in answers if not a["pii"] and a["topic"] not in ("name", "phone", "email", "address")]
        texts = {}
    headers = []
    if not hidden and is_sha256(message["sha256"]) and message["sha256"] in site.reader.archive:
        headers = header_fields(site.reader.archive.load(message["sha256"]))
    return page(
        request, "message.html", message=message, hidden=hidden, editor=editor, attributed=attributed,
        attachments=attachments, texts=texts, body=texts.get(-1), annexe1=annexe1, annexe2=annexe2,
        annexe1_fields=Annexe1Row.cell_fields(), annexe2_fields=Annexe2Row.cell_fields(),
        boolean_fields=BOOLEAN_FIELDS,
        recommendations=recommendations, strengths=strengths, weaknesses=weaknesses, answers=answers,
        links=links, candidates=candidates, headers=headers, all_departments=departments(),
        corrections=message_corrections(site, message["sha256"]) if editor else [],
    )  # fmt: skip


@router.get("/pieces-jointes/{attachment_id}")
def download(request: Request, attachment_id: int, account: AccountRow = Depends(require(EDITOR))):
    """The original file, as the sender sent it: always as a download
    (`application/octet-stream`, never shown by the browser in this site)."""
    site = request.app.state.site
    with site.reader.engine.connect() as connection:
        wanted = fetch_one(connection, """
            SELECT a.id, a.parent_id, a.sha256, a.filename, a.format, m.sha256 AS message_sha256
            FROM attachment a JOIN message m ON m.id = a.message_id WHERE a.id = :id
        """, {"id": attachment_id})  # fmt: skip
        if wanted is None:
            raise HTTPException(404)
        chain = [wanted]
        while chain[0]["parent_id"] is not None and len(chain) < 32:
            chain.insert(0, fetch_one(connection, "SELECT id, parent_id, sha256, filename, format FROM attachment "
                                      "WHERE id = :id", {"id": chain[0]["parent_id"]}))  # fmt: skip
    sha256 = wanted["message_sha256"]
    if not is_sha256(sha256) or sha256 not in site.reader.archive:
        raise HTTPException(404, "Le message d'origine n'est plus dans l'archive.")
    data = original_file(
        site.reader.archive.load(sha256), [StoredFile(c["sha256"], c["filename"], c["format"]) for c in chain],
        site.settings.parse_limits(),
    )  # fmt: skip
    if data is None:
        raise HTTPException(404, "Ce fichier n'a pas pu être retrouvé dans le message archivé.")
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": content_disposition(wanted["filename"])})
