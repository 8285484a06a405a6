"""Corrections as data: what a person settled about a message, an annex
row, a recommendation or a department, kept beside what extraction found
and laid over it wherever a value is read. A person's review of a message
(`message_review`: they looked, the values in force are right) is one more
subject: it sets no value but lowers the message's `needs_review`, so the
review queue empties as people work, and undoing it puts the message back.

A correction is one row of `correction` (who, when, what, the value before,
the new value, why; undone by whom and when), never updated but to mark it
undone and never deleted. Its target is a natural key (a message's sha256,
`<sha256>/annexe1/<position>`, `<sha256>/recommendation/<position>`, a
department code), not a row id, because `bilan reprocess` deletes and
rewrites every derived row: keyed this way, a correction finds its row
again after any reprocessing or re-ingestion, with nothing to re-apply.

Why the corrections are applied in SQL, by views, rather than by editing the
extracted rows or in each reader: editing rows would be undone by the next
reprocess and would lose what extraction said; applying them in Python
would have to be repeated, and kept in step, in every reader (the analyst
views, the status of departments, the exports, the reminders, the
dashboard, SQL users). Instead `active_correction` (the latest correction
not undone per subject, target and field) and the `effective_*` views
(`effective_message`, `effective_message_department`,
`effective_annexe1_row`, `effective_annexe2_row`, `effective_recommendation`,
in `storage/views/`) lay the corrections in force over extraction once, and
every reader reads those views: a correction shows everywhere at once, and
undoing it lets the previous correction, or extraction, show again.

A correction whose target is gone (a reprocess found fewer annex rows, a
message that is not in this warehouse, after an import) stays, is listed
with `applies=False`, and applies again if its target comes back.

`Warehouse.apply_correction`, `undo_correction`, `list_corrections`,
`export_corrections` and `import_corrections` are the doors; this module
holds what they need, each function taking the session of their transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from bilan.errors import UserError
from bilan.storage.models import (
    Annexe1Row,
    Annexe2Row,
    CorrectionDepartment,
    CorrectionRow,
    Department,
    Message,
)
from bilan.storage.views import ANNEXE2_TYPE_LABELS, KIND_LABELS, THEME_LABELS

MESSAGE_DEPARTMENTS = "message_departments"
MESSAGE_KIND = "message_kind"
MESSAGE_MODALITY = "message_modality"
MESSAGE_SUPERSEDES = "message_supersedes"
MESSAGE_COMPLEMENTS = "message_complements"
ANNEX_CELL = "annex_cell"
ANNEX_ROW = "annex_row"
RECOMMENDATION = "recommendation"
DEPARTMENT_EXEMPT = "department_exempt"
#: A person's review of a message: they looked, and the values in force
#: (extraction's, or corrections') are right. It takes the message out of
#: the review queue; it changes no value.
MESSAGE_REVIEW = "message_review"
#: What a review records: the only verdict is "checked" (a wrong value is
#: corrected with its own subject; undoing the review puts the message back).
REVIEW_VALUES = ("checked",)

#: What can be corrected, and the shape of its target:
#: a message's sha256, `<sha256>/annexe1|annexe2/<position>`,
#: `<sha256>/recommendation/<position>`, or a department code.
SUBJECTS = (
    MESSAGE_DEPARTMENTS,
    MESSAGE_KIND,
    MESSAGE_MODALITY,
    MESSAGE_SUPERSEDES,
    MESSAGE_COMPLEMENTS,
    ANNEX_CELL,
    ANNEX_ROW,
    RECOMMENDATION,
    DEPARTMENT_EXEMPT,
    MESSAGE_REVIEW,
)
MESSAGE_SUBJECTS = (
    MESSAGE_DEPARTMENTS, MESSAGE_KIND, MESSAGE_MODALITY, MESSAGE_SUPERSEDES, MESSAGE_COMPLEMENTS, MESSAGE_REVIEW,
)  # fmt: skip
#: Corrections after which the follow-up links of the message's departments
#: are found again (they are found among a department's contributions).
RELINKING = (MESSAGE_DEPARTMENTS, MESSAGE_KIND)
#: Modalities of a contribution: 1 territorial meeting, 2 online meeting, 3 written contribution.
MODALITIES = (1, 2, 3)
#: What a person decides of a recommendation.
RECOMMENDATION_STATUSES = ("accepted", "rejected")
RECOMMENDATION_FIELDS = ("status", "text", "theme")
ANNEX_MODELS: dict[str, type[Annexe1Row] | type[Annexe2Row]] = {"annexe1": Annexe1Row, "annexe2": Annexe2Row}

#: The views that lay the corrections over a message's departments and kind,
#: for the writer's own queries (reprocess selection, follow-up links).
EFFECTIVE_DEPARTMENTS = sa.table("effective_message_department", sa.column("message_id"), sa.column("department_code"))
EFFECTIVE_KINDS = sa.table("effective_message", sa.column("id"), sa.column("kind"))

#: The natural key of a correction, which makes an import safe to repeat.
NATURAL_KEY = ("made_at", "author", "subject", "target", "field")
EXPORT_FORMAT = "bilan-corrections"
EXPORT_VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ROW_TARGET = re.compile(r"([0-9a-f]{64})/(annexe1|annexe2|recommendation)/(\d{1,9})")
_YEAR_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class CorrectionError(UserError, ValueError):
    """A correction that cannot be made: an unknown subject, a target or a
    value of the wrong shape, a target this warehouse does not hold, an
    unknown correction id. The message says what is wrong, in English."""


@dataclass(frozen=True)
class CorrectionRequest:
    """What a person asks to set. `target` is the natural key of what is
    corrected (see `SUBJECTS`); `field` names the column of an annex cell or
    the part of a recommendation (`status`, `text`, `theme`)."""

    subject: str
    target: str
    new_value: Any
    author: str
    reason: str = ""
    field: str | None = None


@dataclass(frozen=True)
class Correction:
    """A stored correction. `applies` is False when its target is not in
    the warehouse (any more, or yet): it is shown, never dropped, and
    applies again if the target comes back. `in_force` is True when it is
    the latest correction not undone of its target and field: the one the
    views lay over extraction."""

    id: int
    made_at: dt.datetime
    author: str
    subject: str
    target: str
    field: str | None
    old_value: Any
    new_value: Any
    reason: str
    undone_at: dt.datetime | None
    undone_by: str | None
    applies: bool
    in_force: bool = False
    #: Where the corrected row came from when it was corrected (annex rows:
    #: `file|sheet|page|row`; recommendations: the text extraction read):
    #: the correction applies only to a row that still does.
    anchor: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The correction as `bilan corrections export` writes it (without
        its id, which is this warehouse's own)."""
        return {
            "made_at": self.made_at.isoformat(),
            "author": self.author,
            "subject": self.subject,
            "target": self.target,
            "field": self.field,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "reason": self.reason,
            "undone_at": self.undone_at.isoformat() if self.undone_at else None,
            "undone_by": self.undone_by,
            "anchor": self.anchor,
        }


@dataclass(frozen=True)
class Target:
    """A target taken apart: the message it belongs to, the table and
    position of a row, or a department code."""

    sha256: str | None = None
    table: str | None = None
    position: int | None = None
    department: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A request checked and normalised: what is stored."""

    subject: str
    target: str
    field: str
    parsed: Target
    value: Any
    value_text: str | None
    anchor: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """What `import_corrections` did: corrections added, corrections
    already known that the file marks undone (now undone here too), and
    corrections already known as they are."""

    added: int
    undone: int
    unchanged: int

    def describe(self) -> str:
        return f"{self.added} correction(s) added, {self.undone} marked undone, {self.unchanged} already known"


# -- targets ---------------------------------------------------------------------


def annex_row_target(sha256: str, table: str, position: int) -> str:
    """The target of an annex row (`annex_cell`, `annex_row`): `table` is
    `annexe1` or `annexe2`, `position` the row's order in its message
    (`annexe1_row.position`)."""
    return f"{sha256}/{table}/{position}"


def recommendation_target(sha256: str, position: int) -> str:
    """The target of a recommendation: its order in its message (`recommendation.position`)."""
    return f"{sha256}/{RECOMMENDATION}/{position}"


# -- checking a request --------------------------------------------------------


def prepare(session: Session, request: CorrectionRequest, *, require_target: bool = True) -> Prepared:
    """Check a request and put its value in the stored form. With
    `require_target`, the target must be in the warehouse (a correction
    made here); an imported one may name a target this warehouse does not
    hold (yet)."""
    if not isinstance(request.author, str) or not request.author.strip():
        raise CorrectionError("a correction needs an author (who makes it)")
    if request.reason is not None and not isinstance(request.reason, str):
        raise CorrectionError("the reason of a correction must be text")
    if request.subject not in SUBJECTS:
        raise CorrectionError(f"unknown subject {request.subject!r}: use one of {', '.join(SUBJECTS)}")
    if not isinstance(request.target, str):
        raise CorrectionError(f"the target of a correction must be text, not {request.target!r}")
    subject, field = request.subject, request.field or ""
    parsed, target = _parse_target(session, subject, request.target.strip())
    if subject in (ANNEX_CELL, RECOMMENDATION):
        if not field:
            raise CorrectionError(f"a {subject} correction needs a field: use one of {', '.join(_fields_of(subject, parsed))}")
        if field not in _fields_of(subject, parsed):
            raise CorrectionError(
                f"{field!r} is not a field of {parsed.table} that can be corrected: use one of "
                f"{', '.join(_fields_of(subject, parsed))}"
            )
    elif field:
        raise CorrectionError(f"a {subject} correction has no field (got {field!r})")
    if require_target and not target_exists(session, subject, parsed):
        raise CorrectionError(f"{_describe_target(subject, parsed, target)} is not in this warehouse")
    value = _checked_value(session, subject, field, parsed, request.new_value, require_target)
    anchor = row_anchor(session, parsed) if require_target and parsed.table else None
    return Prepared(subject, target, field, parsed, value, _value_text(value), anchor)


def _parse_target(session: Session, subject: str, target: str) -> tuple[Target, str]:
    if subject in MESSAGE_SUBJECTS:
        sha256 = target.lower()
        if not _SHA256.fullmatch(sha256):
            raise CorrectionError(f"the target of a {subject} correction is a message's sha256 (64 hex digits), not {target!r}")
        return Target(sha256=sha256), sha256
    if subject == DEPARTMENT_EXEMPT:
        code = department_code(session, target)
        return Target(department=code), code
    match = _ROW_TARGET.fullmatch(target.lower())
    tables = ("annexe1", "annexe2") if subject in (ANNEX_CELL, ANNEX_ROW) else ("recommendation",)
    if match is None or match.group(2) not in tables:
        example = f"<sha256>/{'annexe1' if tables[0] == 'annexe1' else 'recommendation'}/<position>"
        raise CorrectionError(
            f"the target of a {subject} correction is {' or '.join(f'<sha256>/{t}/<position>' for t in tables)} "
            f"(e.g. {example}), not {target!r}"
        )
    sha256, table, position = match.group(1), match.group(2), int(match.group(3))
    return Target(sha256=sha256, table=table, position=position), f"{sha256}/{table}/{position}"


def _fields_of(subject: str, target: Target) -> tuple[str, ...]:
    if subject == RECOMMENDATION:
        return RECOMMENDATION_FIELDS
    return annex_fields(target.table or "annexe1")


def annex_fields(table: str) -> tuple[str, ...]:
    """The columns of an annex row a correction may set: its cells, and the
    department (which extraction reads from the QPV code)."""
    return ("department_code", *ANNEX_MODELS[table].cell_fields())


def department_code(session: Session, code: Any) -> str:
    """A department code of the warehouse (`1` is `01`, `2a` is `2A`), or a CorrectionError."""
    value = str(code).strip().upper() if isinstance(code, (str, int)) and not isinstance(code, bool) else ""
    if value.isdigit() and len(value) < 2:
        value = value.zfill(2)
    if not value or session.get(Department, value) is None:
        raise CorrectionError(f"unknown department code {code!r}: use an INSEE code such as 01, 2A, 75 or 974")
    return value


def _describe_target(subject: str, target: Target, raw: str) -> str:
    if target.table in ANNEX_MODELS:
        return f"row {target.position} of {target.table} of message {target.sha256}"
    if target.table == RECOMMENDATION:
        return f"recommendation {target.position} of message {target.sha256}"
    if subject == DEPARTMENT_EXEMPT:
        return f"department {raw}"
    return f"message {raw}"


def _checked_value(session: Session, subject: str, field: str, target: Target, value: Any, require_target: bool) -> Any:
    if subject == MESSAGE_DEPARTMENTS:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if not isinstance(value, (list, tuple)):
            raise CorrectionError(f"the departments of a message are a list of codes such as [\"01\", \"2A\"], not {value!r}")
        return sorted({department_code(session, code) for code in value})
    if subject == MESSAGE_KIND:
        if value not in KIND_LABELS:
            raise CorrectionError(f"unknown kind of message {value!r}: use one of {', '.join(KIND_LABELS)}")
        return value
    if subject == MESSAGE_MODALITY:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if value is not None and (isinstance(value, bool) or value not in MODALITIES):
            raise CorrectionError(
                f"unknown modality {value!r}: use 1 (territorial meeting), 2 (online meeting), "
                "3 (written contribution) or null"
            )
        return value
    if subject in (MESSAGE_SUPERSEDES, MESSAGE_COMPLEMENTS):
        return _other_message(session, subject, target, value, require_target)
    if subject == ANNEX_ROW:
        if isinstance(value, dict) and set(value) == {"rejected"} and isinstance(value["rejected"], bool):
            return {"rejected": value["rejected"]}
        raise CorrectionError(f"an annex_row correction's value is {{\"rejected\": true}} or {{\"rejected\": false}}, not {value!r}")
    if subject == ANNEX_CELL:
        return _cell_value(session, target.table or "annexe1", field, value)
    if subject == RECOMMENDATION:
        return _recommendation_value(field, value)
    if subject == MESSAGE_REVIEW:
        if value not in REVIEW_VALUES:
            raise CorrectionError(f"a message_review correction's value is {' or '.join(map(repr, REVIEW_VALUES))}, not {value!r}")
        return value
    if not isinstance(value, bool):
        raise CorrectionError(f"a department_exempt correction's value is true or false, not {value!r}")
    return value


def _other_message(session: Session, subject: str, target: Target, value: Any, require_target: bool) -> str | None:
    if value is None:
        return None
    other = value.strip().lower() if isinstance(value, str) else ""
    if not _SHA256.fullmatch(other):
        raise CorrectionError(f"a {subject} correction's value is another message's sha256 or null, not {value!r}")
    if other == target.sha256:
        raise CorrectionError(f"a message cannot {subject.removeprefix('message_').rstrip('s')} itself")
    if require_target and session.scalar(select(Message.id).where(Message.sha256 == other)) is None:
        raise CorrectionError(f"message {other} is not in this warehouse")
    return other


def _cell_value(session: Session, table: str, field: str, value: Any) -> Any:
    column = ANNEX_MODELS[table].__table__.columns[field]
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        return None
    where = f"{table}.{field}"
    if isinstance(column.type, sa.Boolean):
        if not isinstance(value, bool):
            raise CorrectionError(f"{where} is true, false or null, not {value!r}")
        return value
    if isinstance(column.type, (sa.Float, sa.Double)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CorrectionError(f"{where} is a number or null, not {value!r}")
        return value
    if isinstance(column.type, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CorrectionError(f"{where} is a whole number (0 or more) or null, not {value!r}")
        return value
    if not isinstance(value, str):
        raise CorrectionError(f"{where} is text or null, not {value!r}")
    if field == "department_code":
        return department_code(session, value)
    if field == "type" and value not in ANNEXE2_TYPE_LABELS:
        raise CorrectionError(f"unknown type of practice {value!r}: use one of {', '.join(ANNEXE2_TYPE_LABELS)}")
    if field == "date_creation" and not _YEAR_MONTH.fullmatch(value):
        raise CorrectionError(f"{where} is a month written YYYY-MM (e.g. 2016-03), not {value!r}")
    length = getattr(column.type, "length", None)
    if length and len(value) > length:
        raise CorrectionError(f"{where} holds at most {length} characters, not {len(value)}")
    return value


def _recommendation_value(field: str, value: Any) -> Any:
    if field == "status":
        if value is not None and value not in RECOMMENDATION_STATUSES:
            raise CorrectionError(f"a recommendation's status is 'accepted', 'rejected' or null, not {value!r}")
        return value
    if field == "theme":
        if value is not None and value not in THEME_LABELS:
            raise CorrectionError(f"unknown theme {value!r}: use one of {', '.join(THEME_LABELS)} or null")
        return value
    if not isinstance(value, str) or not value.strip():
        raise CorrectionError(f"a recommendation's text cannot be empty (got {value!r})")
    return value.strip()


def _value_text(value: Any) -> str | None:
    """A value as the views read it: text, booleans as '1' / '0', a list of
    departments as their codes separated by spaces, null as NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        return _value_text(value["rejected"])
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


# -- the warehouse as it is ----------------------------------------------------


def target_exists(session: Session, subject: str, target: Target) -> bool:
    if subject == DEPARTMENT_EXEMPT:
        return session.get(Department, target.department) is not None
    message_pk = session.scalar(select(Message.id).where(Message.sha256 == target.sha256))
    if message_pk is None:
        return False
    if target.table is None:
        return True
    return row_anchor(session, target) is not None


#: What identifies a row beyond its position, as the `effective_*` views
#: compute it: an annex row's source (file, sheet, page, row), a
#: recommendation's text as extraction read it.
ANCHORS = {
    "annexe1": "r.source_file || '|' || COALESCE(r.source_sheet, '') || '|' || COALESCE(CAST(r.source_page AS TEXT), '') "
               "|| '|' || CAST(r.source_row AS TEXT)",
    RECOMMENDATION: "r.text",
}
ANCHORS["annexe2"] = ANCHORS["annexe1"]
ROW_TABLES = {"annexe1": "annexe1_row", "annexe2": "annexe2_row", RECOMMENDATION: "recommendation"}


def row_anchor(session: Session, target: Target) -> str | None:
    """The anchor of the row a target names, or None when there is no such row."""
    table = target.table or "annexe1"
    return session.execute(
        text(f"SELECT {ANCHORS[table]} FROM {ROW_TABLES[table]} r JOIN message m ON m.id = r.message_id "
             "WHERE m.sha256 = :sha AND r.position = :pos"),
        {"sha": target.sha256, "pos": target.position},
    ).scalar()


def value_in_force(session: Session, subject: str, field: str, target: Target) -> Any:
    """The value a reader sees now (extraction, or the correction in force),
    read from the `effective_*` views: the old value of a new correction."""
    params = {"sha": target.sha256, "pos": target.position}
    if subject == MESSAGE_DEPARTMENTS:
        return list(session.execute(text(
            "SELECT md.department_code FROM effective_message_department md JOIN message m ON m.id = md.message_id "
            "WHERE m.sha256 = :sha ORDER BY md.department_code"
        ), params).scalars())
    if subject in (MESSAGE_KIND, MESSAGE_MODALITY):
        column = subject.removeprefix("message_")
        return session.execute(text(f"SELECT {column} FROM effective_message WHERE sha256 = :sha"), params).scalar()
    if subject in (MESSAGE_SUPERSEDES, MESSAGE_COMPLEMENTS):
        column = f"{subject.removeprefix('message_')}_id"
        return session.execute(text(
            f"SELECT other.sha256 FROM effective_message m JOIN message other ON other.id = m.{column} WHERE m.sha256 = :sha"
        ), params).scalar()
    if subject == MESSAGE_REVIEW:
        return session.execute(text(
            "SELECT value_text FROM active_correction WHERE subject = :subject AND target = :sha"
        ), {"subject": MESSAGE_REVIEW, "sha": target.sha256}).scalar()
    if subject == DEPARTMENT_EXEMPT:
        value = session.execute(text(
            "SELECT value_text FROM active_correction WHERE subject = :subject AND target = :code"
        ), {"subject": DEPARTMENT_EXEMPT, "code": target.department}).scalar()
        return value == "1"
    if subject == RECOMMENDATION:
        return session.execute(text(
            f"SELECT r.{field} FROM effective_recommendation r JOIN message m ON m.id = r.message_id "
            "WHERE m.sha256 = :sha AND r.position = :pos"
        ), params).scalar()
    column = "rejected" if subject == ANNEX_ROW else field
    value = session.execute(text(
        f"SELECT r.{column} FROM effective_{target.table}_row r JOIN message m ON m.id = r.message_id "
        "WHERE m.sha256 = :sha AND r.position = :pos"
    ), params).scalar()
    if subject == ANNEX_ROW:
        return {"rejected": bool(value)}
    return typed_cell(ANNEX_MODELS[target.table or "annexe1"], field, value)


def typed_cell(model: type, field: str, value: Any) -> Any:
    """A cell as its column types it: the views give booleans as 0/1 on
    SQLite, and numbers as the database has them."""
    if value is None:
        return None
    kind = model.__table__.columns[field].type
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, (sa.Float, sa.Double)):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(kind, sa.Integer):
        return int(value)
    return value


# -- the doors' work -----------------------------------------------------------


def apply(session: Session, request: CorrectionRequest, now: dt.datetime) -> int:
    prepared = prepare(session, request)
    old_value = value_in_force(session, prepared.subject, prepared.field, prepared.parsed)
    author = request.author.strip()
    made_at = now
    while _same_key(session, prepared, author, made_at):  # the same instant twice: a clock's step
        made_at += dt.timedelta(microseconds=1)
    row = _row(prepared, author=author, reason=request.reason or "", made_at=made_at, old_value=old_value)
    _store(session, row, prepared)
    return row.id


def _same_key(session: Session, prepared: Prepared, author: str, made_at: dt.datetime) -> bool:
    """Whether a correction with this natural key (`NATURAL_KEY`) is stored."""
    return session.scalar(select(CorrectionRow.id).where(
        CorrectionRow.made_at == made_at, CorrectionRow.author == author, CorrectionRow.subject == prepared.subject,
        CorrectionRow.target == prepared.target, CorrectionRow.field == prepared.field,
    )) is not None


def _store(session: Session, row: CorrectionRow, prepared: Prepared) -> None:
    """Insert a correction, and the departments it gives as rows."""
    session.add(row)
    session.flush()
    if prepared.subject == MESSAGE_DEPARTMENTS:
        session.add_all(CorrectionDepartment(correction_id=row.id, department_code=code) for code in prepared.value)
        session.flush()


def _row(prepared: Prepared, *, author: str, reason: str, made_at: dt.datetime, old_value: Any,
         undone_at: dt.datetime | None = None, undone_by: str | None = None,
         anchor: str | None = None) -> CorrectionRow:
    return CorrectionRow(
        made_at=made_at, author=author, subject=prepared.subject, target=prepared.target, field=prepared.field,
        old_value=old_value, new_value=prepared.value, value_text=prepared.value_text, reason=reason,
        target_sha256=prepared.parsed.sha256, target_table=prepared.parsed.table,
        target_position=prepared.parsed.position, undone_at=undone_at, undone_by=undone_by,
        anchor=prepared.anchor if anchor is None else anchor,
    )


def undo(session: Session, correction_id: int, author: str, now: dt.datetime) -> None:
    if not isinstance(author, str) or not author.strip():
        raise CorrectionError("undoing a correction needs an author (who undoes it)")
    row = session.get(CorrectionRow, correction_id, with_for_update=True)
    if row is None:
        raise CorrectionError(f"there is no correction #{correction_id}: see `bilan corrections list`")
    if row.undone_at is not None:
        raise CorrectionError(f"correction #{correction_id} was already undone by {row.undone_by} at {row.undone_at:%Y-%m-%d %H:%M} UTC")
    row.undone_at, row.undone_by = now, author.strip()


def listed(
    session: Session,
    *,
    target: str | None = None,
    message: str | None = None,
    subject: str | None = None,
    include_undone: bool = False,
) -> list[Correction]:
    """Corrections in the order they were made; see `Warehouse.list_corrections`."""
    query = select(CorrectionRow).order_by(CorrectionRow.made_at, CorrectionRow.id)
    if target is not None:
        query = query.where(CorrectionRow.target == _normalised_target(session, target))
    if message is not None:
        query = query.where(CorrectionRow.target_sha256 == message.strip().lower())
    if subject is not None:
        query = query.where(CorrectionRow.subject == subject)
    if not include_undone:
        query = query.where(CorrectionRow.undone_at.is_(None))
    rows = list(session.scalars(query))
    in_force = set(session.execute(text("SELECT id FROM active_correction")).scalars())
    applying = _applying(session, rows)
    return [_correction(row, row.id in applying, row.id in in_force) for row in rows]


def _normalised_target(session: Session, target: str) -> str:
    """A target as stored: sha256 in lower case, department codes as the reference writes them."""
    value = target.strip()
    if _SHA256.fullmatch(value.lower()) or _ROW_TARGET.fullmatch(value.lower()):
        return value.lower()
    try:
        return department_code(session, value)
    except CorrectionError:
        return value


def _applying(session: Session, rows: Iterable[CorrectionRow]) -> set[int]:
    """Ids of the corrections whose target (and, for a version link, the
    other message) is in the warehouse; for a row, the row at the target's
    position, still from where the corrected one came (its anchor)."""
    rows = list(rows)
    shas = {r.target_sha256 for r in rows if r.target_sha256}
    shas |= {r.value_text for r in rows if r.subject in (MESSAGE_SUPERSEDES, MESSAGE_COMPLEMENTS) and r.value_text}
    known = _existing_messages(session, shas)
    positions = _existing_positions(session, {r.target_sha256 for r in rows if r.target_table})
    departments = set(session.scalars(select(Department.code)))
    applying = set()
    for row in rows:
        if row.subject == DEPARTMENT_EXEMPT:
            ok = row.target in departments
        elif row.target_table is not None:
            key = (row.target_sha256, row.target_table, row.target_position)
            ok = key in positions and (row.anchor is None or positions[key] == row.anchor)
        else:
            ok = row.target_sha256 in known and (
                row.subject not in (MESSAGE_SUPERSEDES, MESSAGE_COMPLEMENTS) or row.value_text is None
                or row.value_text in known
            )
        if ok:
            applying.add(row.id)
    return applying


def _existing_messages(session: Session, shas: set[str]) -> set[str]:
    found: set[str] = set()
    items = sorted(shas)
    for start in range(0, len(items), 500):
        found |= set(session.scalars(select(Message.sha256).where(Message.sha256.in_(items[start:start + 500]))))
    return found


def _existing_positions(session: Session, shas: set[str]) -> dict[tuple[str, str, int], str]:
    """The anchor of every row of these messages, by (sha256, table, position)."""
    found: dict[tuple[str, str, int], str] = {}
    items = sorted(shas)
    for start in range(0, len(items), 500):
        chunk = items[start:start + 500]
        for name, table in ROW_TABLES.items():
            statement = text(
                f"SELECT m.sha256, r.position, {ANCHORS[name]} FROM {table} r JOIN message m ON m.id = r.message_id "
                "WHERE m.sha256 IN :shas"
            ).bindparams(sa.bindparam("shas", expanding=True))
            found.update({(sha, name, position): anchor for sha, position, anchor in session.execute(statement, {"shas": chunk})})
    return found


def _correction(row: CorrectionRow, applies: bool, in_force: bool) -> Correction:
    return Correction(
        id=row.id, made_at=row.made_at, author=row.author, subject=row.subject, target=row.target,
        field=row.field or None, old_value=row.old_value, new_value=row.new_value, reason=row.reason,
        undone_at=row.undone_at, undone_by=row.undone_by, applies=applies, in_force=in_force, anchor=row.anchor,
    )


# -- moving corrections between warehouses ------------------------------------


def export_document(session: Session, now: dt.datetime) -> dict[str, Any]:
    """Every correction, undone ones included, as one JSON document."""
    rows = listed(session, include_undone=True)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "corrections": [row.to_json() for row in rows],
    }


def import_document(session: Session, document: Any) -> ImportResult:
    """Add the corrections of an exported document that this warehouse
    does not have, recognised by their natural key (`NATURAL_KEY`), so that
    importing a file twice changes nothing; one known here but undone in
    the file is marked undone here too. Targets need not be in this
    warehouse: such corrections are kept, and listed as not applying."""
    entries = _entries(document)
    added = undone = unchanged = 0
    for number, entry in enumerate(entries, start=1):
        try:
            item = _imported(session, entry)
        except CorrectionError as exc:
            raise CorrectionError(f"correction {number} of the file: {exc}") from None
        prepared, made_at, undone_at = item
        existing = session.scalar(select(CorrectionRow).where(
            CorrectionRow.made_at == made_at, CorrectionRow.author == entry["author"].strip(),
            CorrectionRow.subject == prepared.subject, CorrectionRow.target == prepared.target,
            CorrectionRow.field == prepared.field,
        ))
        if existing is None:
            _store(session, _row(
                prepared, author=entry["author"].strip(), reason=entry.get("reason") or "", made_at=made_at,
                old_value=entry.get("old_value"), undone_at=undone_at, undone_by=entry.get("undone_by") if undone_at else None,
            ), prepared)
            added += 1
        elif existing.undone_at is None and undone_at is not None:
            session.execute(update(CorrectionRow).where(CorrectionRow.id == existing.id).values(
                undone_at=undone_at, undone_by=entry.get("undone_by") or "?"
            ))
            undone += 1
        else:
            unchanged += 1
    return ImportResult(added, undone, unchanged)


def _entries(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise CorrectionError("not a corrections file: write one with `bilan corrections export`")
    if document.get("version") != EXPORT_VERSION:
        raise CorrectionError(f"corrections file of version {document.get('version')!r}; this bilan reads version {EXPORT_VERSION}")
    entries = document.get("corrections")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CorrectionError("the corrections file has no list of corrections")
    return entries


def _imported(session: Session, entry: dict[str, Any]) -> tuple[Prepared, dt.datetime, dt.datetime | None]:
    request = CorrectionRequest(
        subject=entry.get("subject"), target=entry.get("target"), new_value=entry.get("new_value"),
        author=entry.get("author"), reason=entry.get("reason") or "", field=entry.get("field"),
    )
    prepared = replace(prepare(session, request, require_target=False), anchor=_anchor_of(entry))
    return prepared, _instant(entry.get("made_at"), "made_at"), _instant(entry.get("undone_at"), "undone_at", optional=True)


def _anchor_of(entry: dict[str, Any]) -> str | None:
    anchor = entry.get("anchor")
    if anchor is not None and not isinstance(anchor, str):
        raise CorrectionError(f"anchor must be text or null, not {anchor!r}")
    return anchor


def _instant(value: Any, name: str, optional: bool = False) -> dt.datetime | None:
    if value is None and optional:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise CorrectionError(f"{name} must be an ISO 8601 date and time, not {value!r}") from None
    if moment.tzinfo is None:
        raise CorrectionError(f"{name} must say its time zone (e.g. 2021-12-10T09:00:00+00:00), not {value!r}")
    return moment.astimezone(dt.UTC)
