"""The export contract: one JSON object with `messages` (the fields of the
labelled corpus's truth files) and `departments` (status per department).

What is not extracted yet is exported as null or an empty list, never left
out, so that consumers can rely on the shape.

Each message also has a `confidence` object, outside the truth schema (which
`bilan evaluate` reads field by field, so it ignores it): how sure extraction
was of the kind, sender role and modality (null: not judged), of each
department, of each annex row and cell, and of each recommendation and its
theme, in the same order as the values.

The fields come from the tables' declarations, not from a list kept here:
a message's extracted values are the columns of `message` declared
`extracted_column(..., exported=True)` (a `<field>_confidence` one goes in
`confidence`), an annex row's cells the columns of its table
(`Annexe1Row.cell_fields()`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bilan.storage.models import (
    Annexe1Row,
    Annexe2Row,
    Attachment,
    Message,
    MessageDepartment,
    Recommendation,
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
            .options(selectinload(Message.departments), selectinload(Message.attachments))
            .order_by(Message.received_at, Message.id)
        ).all()
        message_ids = {m.id: m.message_id for m in messages}
        exported = [_message(m, message_ids) for m in messages]
        _add_annex_rows(session, messages, exported)
        _add_findings(session, [m.id for m in messages], exported)
        by_department: dict[str, list[str]] = {}
        for row in session.execute(
            select(MessageDepartment.department_code, Message.message_id)
            .join(Message)
            .order_by(Message.received_at, Message.id)
        ):
            by_department.setdefault(row.department_code, []).append(row.message_id)
    departments = {
        status.code: {
            "status": status.status,
            "first_contribution_at": iso_utc(status.first_contribution_at),
            "messages": by_department.get(status.code, []),
        }
        for status in department_statuses(warehouse.engine, warehouse.campaign)
    }
    return {"messages": exported, "departments": departments}


def _message(message: Message, message_ids: dict[int, str | None]) -> dict[str, Any]:
    filenames = {a.id: a.filename for a in message.attachments}
    meeting = None
    if message.meeting_date is not None or message.meeting_participants is not None:
        meeting = {
            "date": message.meeting_date.isoformat() if message.meeting_date else None,
            "participants": message.meeting_participants,
        }
    values, confidence = _extracted_values(message)
    return {
        "message_id": message.message_id,
        "file": message.source,
        "departments": message.department_codes,
        "received_at": iso_utc(message.received_at),
        "supersedes": message_ids.get(message.supersedes_id) if message.supersedes_id else None,
        "complements": message_ids.get(message.complements_id) if message.complements_id else None,
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
            "departments": {d.department_code: d.confidence for d in message.departments},
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
    """Fill `annexe1_rows` / `annexe2_rows` from their tables, in row order."""
    by_id = {m.id: item for m, item in zip(messages, exported)}
    for model, key in ((Annexe1Row, "annexe1_rows"), (Annexe2Row, "annexe2_rows")):
        columns = model.cell_fields()
        for row in session.scalars(select(model).order_by(model.message_id, model.position)):
            item = by_id.get(row.message_id)
            if item is not None:
                item[key].append({name: _plain_number(getattr(row, name)) for name in columns})
                item["confidence"][key].append({"row": row.confidence, "cells": row.cell_confidence or {}})


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
    for model, key in ((Recommendation, "recommendations"), (Strength, "strengths"), (Weakness, "weaknesses")):
        for row in session.scalars(select(model).order_by(model.message_id, model.position)):
            if row.message_id not in by_message:
                continue
            item = {"text": row.text, "theme": row.theme} if model is Recommendation else row.text
            by_message[row.message_id][key].append(item)
            if model is Recommendation:
                records[row.message_id]["confidence"]["recommendations"].append(
                    {"recommendation": row.confidence, "theme": row.theme_score}
                )
    for message_id, record in records.items():
        record.update(by_message[message_id])
