"""A canonical dump of what processing derived from the archived messages,
to compare two warehouses built from the same archive (one process against
several, SQLite against PostgreSQL).

Surrogate ids depend on the order rows were inserted, and timestamps on the
moment: both are left out, and a reference to another row is replaced by
that row's natural key (a message's sha256, or its sha256 and the row's
position in the message)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, Table, select

from bilan.storage.models import Base

#: Tables written when a message is processed, in dependency order (a row
#: refers only to tables before it).
DERIVED_TABLES = (
    "message", "message_department", "attachment", "extracted_text", "annexe1_row", "annexe2_row",
    "survey_response", "survey_answer", "recommendation", "strength", "weakness", "mention",
)  # fmt: skip
#: Columns that say when, not what.
MOMENTS = {"archived_at", "processed_at"}


def canonical_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every derived table as a sorted list of rows without ids or moments."""
    keys: dict[str, dict[int, Any]] = {}
    dump: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for name in DERIVED_TABLES:
            table: Table = Base.metadata.tables[name]
            rows = connection.execute(select(table)).mappings().all()
            keys[name] = {row["id"]: _natural_key(name, row, keys) for row in rows} if "id" in table.c else {}
            dump[name] = sorted(
                (tuple((column, _value(table, column, row[column], keys)) for column in _columns(table)) for row in rows),
                key=repr,
            )
    return dump


def digest(dump: dict[str, list[tuple]]) -> str:
    """One fingerprint of a dump, to print."""
    return hashlib.sha256(repr(sorted(dump.items())).encode()).hexdigest()[:16]


def differences(left: dict[str, list[tuple]], right: dict[str, list[tuple]], limit: int = 3) -> list[str]:
    """A few rows present on one side only, per table, to say what differs."""
    found = []
    for name in DERIVED_TABLES:
        a, b = set(map(repr, left[name])), set(map(repr, right[name]))
        for side, extra in (("first", a - b), ("second", b - a)):
            found.extend(f"{name}: only in {side}: {row[:300]}" for row in sorted(extra)[:limit])
    return found


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name != "id" and c.name not in MOMENTS]


def _natural_key(name: str, row, keys: dict[str, dict[int, Any]]) -> Any:
    if name == "message":
        return row["sha256"]
    if "message_id" in row and "position" in row:
        return (keys["message"][row["message_id"]], row["position"])
    if name == "survey_answer":
        return (keys["survey_response"][row["response_id"]], row["number"], row["topic"])
    return None


def _value(table: Table, column: str, value: Any, keys: dict[str, dict[int, Any]]) -> Any:
    if value is None:
        return None
    for foreign_key in table.c[column].foreign_keys:
        target = foreign_key.column.table.name
        if target in keys and foreign_key.column.name == "id":
            return keys[target].get(value, ("missing", target))
    return value
