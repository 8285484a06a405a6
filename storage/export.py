"""The export contract: one JSON object with `messages` (the fields of the
labelled corpus's truth files) and `departments` (status per department).

What is not extracted yet is exported as null or an empty list, never left
out, so that consumers can rely on the shape.

Each message also has a `confidence` object, outside the truth schema (which
`bilan evaluate` reads field by field, so it ignores it): how sure extraction
was of the kind, sender role and modality (null: not judged), of each
department, of each annex row and cell, and of each recommendation and its
theme, in the same order as the values.

Values are exported as corrected (`storage/corrections.py`): a message's
kind, modality, version links and departments, annex cells, annex rows and
recommendations are read from the `effective_*` views, which lay the
corrections in force over extraction; a rejected annex row or
recommendation is left out, and a value a person set is sure (confidence 1).

The fields come from the tables' declarations, not from a list kept here:
a message's extracted values are the columns of `message` declared
`extracted_column(..., exported=True)` (a `<field>_confidence` one goes in
`confidence`), an annex row's cells the columns of its table
(`Annexe1Row.cell_fields()`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from bilan.storage.corrections import (
    ANCHORS,
    MESSAGE_KIND,
    MESSAGE_MODALITY,
    ROW_TABLES,
    typed_cell,
)
from bilan.storage.models import (
    Annexe1Row,
    Annexe2Row,
    Attachment,
    Message,
    Strength,
    Weakness,
)
from bilan.storage.records import extracted_columns
from bilan.storage.status import department_statuses
from bilan.storage.warehouse import Warehouse


def iso_utc(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_contract(warehouse: Warehouse) -> dict[str, Any]:
    with Session(warehouse.engine) as session:
        messages = session.scalars(
            select(Message)
            .where(Message.processed_at.is_not(None))
            .options(selectinload(Message.attachments))
            .order_by(Message.received_at, Message.id)
        ).all()
        message_ids = {m.id: m.message_id for m in messages}
        corrected = _corrected_messages(session)
        departments = _departments(session)
        exported = [_message(m, message_ids, corrected, departments.get(m.id, {})) for m in messages]
        _add_annex_rows(session, messages, exported)
        _add_findings(session, [m.id for m in messages], exported)
        by_department: dict[str, list[str]] = {}
        for code, message_id in session.execute(text(
            "SELECT md.department_code, m.message_id FROM effective_message_department md "
            "JOIN message m ON m.id = md.message_id ORDER BY m.received_at, m.id"
        )):
            by_department.setdefault(code, []).append(message_id)
    departments = {
        status.code: {
            "status": status.status,
            "first_contribution_at": iso_utc(status.first_contribution_at),
            "messages": by_department.get(status.code, []),
        }
        for status in department_statuses(warehouse.engine, warehouse.campaign)
    }
    return {"messages": exported, "departments": departments}


@dataclass(frozen=True)
class _Corrected:
    """A message's values as corrected (`effective_message`), and which of
    them a person set."""

    kind: str | None
    modality: int | None
    supersedes_id: int | None
    complements_id: int | None
    set_by_person: frozenset[str]


def _corrected_messages(session: Session) -> dict[int, _Corrected]:
    people = {
        (target, subject.removeprefix("message_"))
        for target, subject in session.execute(text(
            "SELECT target, subject FROM active_correction WHERE subject IN (:kind, :modality)"
        ), {"kind": MESSAGE_KIND, "modality": MESSAGE_MODALITY})
    }
    return {
        row.id: _Corrected(
            row.kind, row.modality, row.supersedes_id, row.complements_id,
            frozenset(name for name in ("kind", "modality") if (row.sha256, name) in people),
        )
        for row in session.execute(text(
            "SELECT id, sha256, kind, modality, supersedes_id, complements_id FROM effective_message"
        ))
    }


def _departments(session: Session) -> dict[int, dict[str, float]]:
    """Each message's departments as corrected, with how sure each is."""
    departments: dict[int, dict[str, float]] = {}
    for message_pk, code, confidence in session.execute(text(
        "SELECT message_id, department_code, confidence FROM effective_message_department "
        "ORDER BY message_id, department_code"
    )):
        departments.setdefault(message_pk, {})[code] = float(confidence) if confidence is not None else None
    return departments


def _message(
    message: Message, message_ids: dict[int, str | None], corrected: dict[int, _Corrected],
    departments: dict[str, float],
) -> dict[str, Any]:
    filenames = {a.id: a.filename for a in message.attachments}
    effective = corrected[message.id]
    meeting = None
    if message.meeting_date is not None or message.meeting_participants is not None:
        meeting = {
            "date": message.meeting_date.isoformat() if message.meeting_date else None,
            "participants": message.meeting_participants,
        }
    values, confidence = _extracted_values(message)
    values.update(kind=effective.kind, modality=effective.modality)
    confidence.update({name: 1.0 for name in effective.set_by_person})
    return {
        "message_id": message.message_id,
        "file": message.source,
        "departments": sorted(departments),
        "received_at": iso_utc(message.received_at),
        "supersedes": message_ids.get(effective.supersedes_id) if effective.supersedes_id else None,
        "complements": message_ids.get(effective.complements_id) if effective.complements_id else None,
        "attachments": [_attachment(a, filenames) for a in message.attachments],
        "annexe1_rows": [],
        "annexe2_rows": [],
        "recommendations": [],
        "strengths": [],
        "weaknesses": [],
        "meeting": meeting,
        **values,
        "confidence": {
            **confidence,
            "departments": departments,
            "annexe1_rows": [],
            "annexe2_rows": [],
            "recommendations": [],
        },
    }


def _extracted_values(message: Message) -> tuple[dict[str, Any], dict[str, float | None]]:
    """The message's exported extracted values by column name, and their
    confidences by the name of the value."""
    values: dict[str, Any] = {}
    confidence: dict[str, float | None] = {}
    for column in extracted_columns():
        if not column.info["exported"]:
            continue
        value = getattr(message, column.key)
        if column.key.endswith("_confidence"):
            confidence[column.key.removesuffix("_confidence")] = value
        else:
            values[column.key] = value
    return values, confidence


def _attachment(attachment: Attachment, filenames: dict[int, str]) -> dict[str, Any]:
    parseable = attachment.parse_status == "ok"
    return {
        "filename": attachment.filename,
        "format": attachment.format,
        "role": attachment.role,
        "parseable": parseable,
        "error_kind": None if parseable else attachment.parse_status,
        "inside": filenames.get(attachment.parent_id) if attachment.parent_id else None,
    }


def _add_annex_rows(session: Session, messages: list[Message], exported: list[dict[str, Any]]) -> None:
    """Fill `annexe1_rows` / `annexe2_rows` from their tables, in row order,
    as corrected (`effective_annexe1_row`...): a rejected row is left out,
    and a cell a person set is sure."""
    by_id = {m.id: item for m, item in zip(messages, exported)}
    for model, key in ((Annexe1Row, "annexe1_rows"), (Annexe2Row, "annexe2_rows")):
        columns = model.cell_fields()
        view = f"effective_{model.__tablename__}"
        corrected_cells = _corrected_cells(session, key.removesuffix("_rows"))
        confidences = dict(session.execute(select(model.id, model.cell_confidence)).all())
        for row in session.execute(text(
            f"SELECT id, message_id, position, confidence, rejected, {', '.join(columns)} FROM {view} "
            "ORDER BY message_id, position"
        )).mappings():
            item = by_id.get(row["message_id"])
            if item is None or row["rejected"]:
                continue
            item[key].append({name: _plain_number(typed_cell(model, name, row[name])) for name in columns})
            cells = dict(confidences.get(row["id"]) or {})
            cells.update({name: 1.0 for name in corrected_cells.get((row["message_id"], row["position"]), ())})
            item["confidence"][key].append({"row": row["confidence"], "cells": cells})


def _corrected_cells(session: Session, table: str) -> dict[tuple[int, int], set[str]]:
    """The cells a correction in force sets, per (message, row position)."""
    cells: dict[tuple[int, int], set[str]] = {}
    for message_pk, position, field in session.execute(text(
        "SELECT m.id, c.target_position, c.field FROM active_correction c JOIN message m ON m.sha256 = c.target_sha256 "
        f"JOIN {ROW_TABLES[table]} r ON r.message_id = m.id AND r.position = c.target_position "
        f"WHERE c.subject = 'annex_cell' AND c.target_table = :table AND (c.anchor IS NULL OR c.anchor = {ANCHORS[table]})"
    ), {"table": table}):
        cells.setdefault((message_pk, position), set()).add(field)
    return cells


def _number(value: Any) -> float | None:
    """A confidence as a float (PostgreSQL gives a numeric for the views' 1.0)."""
    return None if value is None else float(value)


def _plain_number(value: Any) -> Any:
    """3000.0 is written 3000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _add_findings(session: Session, ids: list[int], exported: list[dict[str, Any]]) -> None:
    """Fill `recommendations` ({text, theme}), `strengths` and `weaknesses`
    (texts) of each exported message, in the order they were found, and how
    sure each recommendation and its theme are."""
    by_message: dict[int, dict[str, list]] = {i: {"recommendations": [], "strengths": [], "weaknesses": []} for i in ids}
    records = dict(zip(ids, exported))
    for row in session.execute(text(
        "SELECT message_id, text, theme, confidence, theme_score, status FROM effective_recommendation "
        "ORDER BY message_id, position"
    )):
        if row.message_id not in by_message or row.status == "rejected":
            continue
        by_message[row.message_id]["recommendations"].append({"text": row.text, "theme": row.theme})
        records[row.message_id]["confidence"]["recommendations"].append(
            {"recommendation": _number(row.confidence), "theme": _number(row.theme_score)}
        )
    for model, key in ((Strength, "strengths"), (Weakness, "weaknesses")):
        for row in session.scalars(select(model).order_by(model.message_id, model.position)):
            if row.message_id in by_message:
                by_message[row.message_id][key].append(row.text)
    for message_id, record in records.items():
        record.update(by_message[message_id])
