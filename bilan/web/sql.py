"""Rows for pages: a query's rows as dictionaries (templates read `row.name`),
with timestamps made timezone-aware UTC on both databases (SQLite returns a
raw query's timestamps as text)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, text

#: Columns that hold a timestamp, whatever the table or view.
TIMESTAMPS = frozenset({
    "received_at", "sent_at", "archived_at", "processed_at", "first_contribution_at", "last_reminder_at",
    "claimed_at", "created_at", "updated_at", "applied_at", "undone_at", "closes_at", "made_at",
})  # fmt: skip
#: Columns that hold a date.
DATES = frozenset({"meeting_date", "follow_up_cited_date", "day", "deadline"})
#: JSON columns (SQLite returns a raw query's JSON as text).
JSON_COLUMNS = frozenset({"cell_confidence", "replies_to"})


def utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def fetch(connection: Connection, sql: str, parameters: dict | None = None) -> list[dict[str, Any]]:
    rows = []
    for row in connection.execute(text(sql), parameters or {}):
        values = dict(row._mapping)
        for name in TIMESTAMPS & values.keys():
            values[name] = utc(values[name])
        for name in DATES & values.keys():
            if isinstance(values[name], str):
                values[name] = dt.date.fromisoformat(values[name][:10])
        for name in JSON_COLUMNS & values.keys():
            if isinstance(values[name], str):
                values[name] = json.loads(values[name])
        rows.append(values)
    return rows


def fetch_one(connection: Connection, sql: str, parameters: dict | None = None) -> dict[str, Any] | None:
    found = fetch(connection, sql, parameters)
    return found[0] if found else None


def _boolean_fields() -> frozenset[str]:
    from sqlalchemy import Boolean

    from bilan.storage.models import Annexe1Row, Annexe2Row

    return frozenset(
        column.key for model in (Annexe1Row, Annexe2Row) for column in model.__table__.columns
        if isinstance(column.type, Boolean)
    )  # fmt: skip


#: Annex cells that are yes / no (SQLite's views give them as 0 / 1).
BOOLEAN_FIELDS = _boolean_fields()
