"""What the warehouse stores of one processed message, as storage's own
input records.

`Warehouse.record_processing` writes a `MessageRecord`; `bilan/loading.py`
fills it from what parsing and extraction found. So storage knows its
records and its tables, and nothing of how a value was read: neither the NLP
stage's `Extraction` nor the parsers' types shape the write path.

The values of the message itself (`MessageValues`) are not listed here
again: they are the columns of `message` declared with `extracted_column`
(`storage/models.py`), so that a new extracted field is declared once for
storage, and the writer and the export contract follow.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, make_dataclass
from typing import Any

from sqlalchemy import Column

from bilan.storage import models
from bilan.storage.models import Message


def extracted_columns() -> list[Column]:
    """The columns of `message` that processing fills from extraction, in
    the table's order."""
    return [column for column in Message.__table__.columns if column.info.get("extracted")]


def _python_types() -> dict[str, Any]:
    """`str | None` for a `Mapped[str | None]` column, by attribute name."""
    hints = typing.get_type_hints(Message, vars(models))
    return {name: typing.get_args(hint)[0] for name, hint in hints.items()}


#: What extraction says of the message itself: one field per extracted
#: column, all required, so that a mapping that forgets one fails at once.
MessageValues = make_dataclass(
    "MessageValues",
    [(column.key, _python_types()[column.key]) for column in extracted_columns()],
    frozen=True,
    kw_only=True,
)
MessageValues.__module__ = __name__
MessageValues.__doc__ = "What extraction says of the message itself: one field per column of " \
    "`message` declared with `extracted_column`."


@dataclass(frozen=True)
class DepartmentRecord:
    """A department the message speaks for, how sure, and why."""

    code: str
    confidence: float
    evidence: str | None


@dataclass(frozen=True)
class AttachmentRecord:
    """A file of the message, at any depth: `parent_position` is its
    container's position in the same list (containers come first)."""

    position: int
    parent_position: int | None
    filename: str
    content_type: str
    format: str
    size: int
    sha256: str
    inline: bool
    role: str | None
    parse_status: str
    parse_error: str | None


@dataclass(frozen=True)
class TextRecord:
    """The readable text of the body (`position` -1) or of one file."""

    position: int
    text: str
    blocks: int
    tables: int


@dataclass(frozen=True)
class AnnexRowRecord:
    """An Annexe 1 or Annexe 2 row: where it was read, its department, how
    sure the reader is, and its cells (`values`: one per cell column of the
    annex's table, `Annexe1Row.cell_fields()`)."""

    attachment_position: int | None
    source_file: str
    source_sheet: str | None
    source_page: int | None
    source_row: int
    department_code: str | None
    #: Null when no cell was judged.
    confidence: float | None
    cell_confidence: dict[str, float] | None
    values: dict[str, Any]


@dataclass(frozen=True)
class SurveyAnswerRecord:
    number: int
    topic: str
    question: str
    answer: str
    pii: bool


@dataclass(frozen=True)
class SurveyRecord:
    """RESTRICTED: one filled Annexe 3 questionnaire."""

    attachment_position: int | None
    source_file: str
    conseil_citoyen: str | None
    department_code: str | None
    pii: bool
    answers: list[SurveyAnswerRecord]


@dataclass(frozen=True)
class MentionRecord:
    label: str
    text: str
    normalized: str


@dataclass(frozen=True)
class FindingRecord:
    """A recommendation, strength or weakness, with where it was found; the
    theme and confidences are those of a recommendation (None otherwise)."""

    text: str
    attachment_position: int | None
    file: str | None
    page: int | None
    sheet: str | None
    cell_range: str | None
    paragraph: int | None
    origin: str
    mentions: list[MentionRecord] = field(default_factory=list)
    theme: str | None = None
    theme_score: float | None = None
    theme_source: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class MessageRecord:
    """Everything processing found about one message, as the warehouse takes it."""

    values: MessageValues
    departments: list[DepartmentRecord]
    attachments: list[AttachmentRecord]
    texts: list[TextRecord]
    annexe1_rows: list[AnnexRowRecord]
    annexe2_rows: list[AnnexRowRecord]
    survey_responses: list[SurveyRecord]
    recommendations: list[FindingRecord]
    strengths: list[FindingRecord]
    weaknesses: list[FindingRecord]
