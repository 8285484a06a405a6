"""Warehouse tables (SQLAlchemy 2.0 typed models).

Every table has a natural key with a unique constraint, so that loading the
same thing twice, or from two processes at once, cannot create a second row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy import String as _String
from sqlalchemy import Text as _Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware,
    on SQLite (which has no time zones) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class _StorableText(TypeDecorator):
    """Text as every database can keep it: without NUL characters, which
    PostgreSQL refuses in text columns (SQLite would keep them, and the two
    must hold the same data). Every text column of the warehouse is of this
    type, so this is the one place where text is made storable, whoever
    writes it (headers, extracted text, error messages). The raw archive
    keeps the original bytes."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if not isinstance(value, str) or "\x00" not in value:
            return value
        return value.replace("\x00", "")


class Text(_StorableText):
    impl = _Text
    cache_ok = True


class String(_StorableText):
    impl = _String
    cache_ok = True


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict: JSON, list: JSON, str: String()}


def extracted_column(*args, exported: bool = False, **kwargs):
    """A column of `message` that processing fills from what extraction
    found. These columns are the one list of a message's extracted fields:
    `storage/records.py` makes the writer's input record from them, the
    writer copies them by name, and those `exported` are fields of the export
    contract (`storage/export.py`; a `<field>_confidence` column goes in its
    `confidence` object). A new extracted field is one more of these."""
    return mapped_column(*args, info={"extracted": True, "exported": exported}, **kwargs)


class Department(Base):
    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(80))
    prefecture: Mapped[str] = mapped_column(String(80))
    mail_domain: Mapped[str] = mapped_column(String(120))
    other_mail_domain: Mapped[str | None] = mapped_column(String(120))


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    deadline: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    #: First late instant (midnight after the deadline day, local time), in
    #: UTC, so that SQL views compare it with receipt times on any database.
    closes_at: Mapped[dt.datetime | None]


class ViewDefinition(Base):
    """The SQL each analyst view of this warehouse was created from
    (`storage/schema.py`): a view is created again only when its file's text
    differs from this, and a reader can tell that views are behind the code."""

    __tablename__ = "view_definition"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    sql: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[dt.datetime]


class Message(Base):
    """One e-mail as received. `sha256` of the raw bytes is its identity."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(comment="Date header: the sender's clock")
    received_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(Text, comment="imap://user@host/folder;UIDVALIDITY=..;UID=.., file:///...")
    size: Mapped[int] = mapped_column(BigInteger)
    archived_at: Mapped[dt.datetime]
    # Filled by processing (parse + extract); `processed_at` is null until done.
    # The columns made with `extracted_column` are what extraction found.
    processed_at: Mapped[dt.datetime | None]
    process_error: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = extracted_column(String(32), index=True, exported=True)
    sender_role: Mapped[str | None] = extracted_column(String(32), exported=True)
    modality: Mapped[int | None] = extracted_column(Integer, exported=True)
    # How sure extraction is of each value, 0-1; null: not judged.
    kind_confidence: Mapped[float | None] = extracted_column(Float, exported=True)
    sender_role_confidence: Mapped[float | None] = extracted_column(Float, exported=True)
    modality_confidence: Mapped[float | None] = extracted_column(Float, exported=True)
    # Exported as the truth schema's `meeting` object.
    meeting_date: Mapped[dt.date | None] = extracted_column(Date)
    meeting_participants: Mapped[int | None] = extracted_column(Integer)
    pii: Mapped[bool] = extracted_column(Boolean, default=False, exported=True)
    needs_review: Mapped[bool] = extracted_column(Boolean, default=False)
    review_reason: Mapped[str | None] = extracted_column(Text)
    # What the receiving server said of the sender (its topmost
    # Authentication-Results): pass, fail, softfail, none...; null: not reported.
    auth_server: Mapped[str | None] = extracted_column(String(255), comment="authserv-id of the verdicts")
    dkim_result: Mapped[str | None] = extracted_column(String(16))
    spf_result: Mapped[str | None] = extracted_column(String(16))
    dmarc_result: Mapped[str | None] = extracted_column(String(16))
    arc_result: Mapped[str | None] = extracted_column(String(16))
    sender_check: Mapped[str | None] = extracted_column(
        String(24), comment="contributions: verified | expected_domain | unexpected_domain | authentication_failed"
    )
    # Indexed: `current_message` asks, for every message, whether a later one supersedes it.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"), index=True)
    complements_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    original_message_id: Mapped[str | None] = extracted_column(
        String(998), index=True, comment="bounce, read receipt, auto-reply: Message-ID of the message it answers"
    )
    original_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    # What the message says of an earlier one; `supersedes_id` / `complements_id`
    # are resolved from these against the other messages (storage/follow_up_links.py).
    follow_up: Mapped[str | None] = extracted_column(String(16), comment="supersedes | complements")
    follow_up_cited_date: Mapped[dt.date | None] = extracted_column(Date, comment="date cited for the earlier message")
    replies_to: Mapped[list | None] = extracted_column(comment="Message-IDs of In-Reply-To and References")

    departments: Mapped[list[MessageDepartment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="MessageDepartment.department_code"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.position"
    )

    @property
    def department_codes(self) -> list[str]:
        return [d.department_code for d in self.departments]


class MessageDepartment(Base):
    """The departments a message speaks for (a SGAR may write for two)."""

    __tablename__ = "message_department"

    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), primary_key=True)
    confidence: Mapped[float] = mapped_column(default=1.0)
    evidence: Mapped[str | None] = mapped_column(Text)

    message: Mapped[Message] = relationship(back_populates="departments")


class Attachment(Base):
    """A file of a message, at any depth (`parent_id` points to its container)."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("message_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="order in the message's flat list of files")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[str | None] = mapped_column(String(32))
    parse_status: Mapped[str] = mapped_column(String(16))
    parse_error: Mapped[str | None] = mapped_column(Text)

    message: Mapped[Message] = relationship(back_populates="attachments")
    parent: Mapped[Attachment | None] = relationship(remote_side=[id])


class ExtractedText(Base):
    """The readable text of a message's body (`position` -1) or of one of its files."""

    __tablename__ = "extracted_text"
    __table_args__ = (UniqueConstraint("message_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="attachment position, or -1 for the body")
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[int] = mapped_column(Integer, default=0)
    tables: Mapped[int] = mapped_column(Integer, default=0)


class ImapProgress(Base):
    """The last UID whose rows are committed, per account, folder and UIDVALIDITY."""

    __tablename__ = "imap_progress"

    account: Mapped[str] = mapped_column(String(320), primary_key=True)
    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime]


class WorkItem(Base):
    """One group of messages of a reprocessing run split in parts
    (`storage/work_list.py`): the parts take the groups in order, a few at a
    time, as they finish the previous ones; `taken_by` is the part that took
    it, null while none has. The run deletes its rows when it ends."""

    __tablename__ = "work_item"

    work_list: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    messages: Mapped[str] = mapped_column(Text, comment="sha256 of the group's messages, separated by spaces")
    taken_by: Mapped[int | None] = mapped_column(Integer)


class _AnnexRow:
    """Columns shared by Annexe 1 and Annexe 2 rows: the message, the order in
    it, where the row was read (file, sheet, page, row) and its department."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="order of the row in the message")
    attachment_position: Mapped[int | None] = mapped_column(Integer, comment="file it was read from; null: the body")
    source_file: Mapped[str] = mapped_column(Text)
    source_sheet: Mapped[str | None] = mapped_column(Text)
    source_page: Mapped[int | None] = mapped_column(Integer)
    source_row: Mapped[int] = mapped_column(Integer)
    department_code: Mapped[str | None] = mapped_column(String(3), index=True, comment="from the QPV code")
    confidence: Mapped[float | None] = mapped_column(Float, comment="the lowest of its cells'; null: not judged")
    cell_confidence: Mapped[dict | None] = mapped_column(comment="confidence of each judged cell, by field name")

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("message_id", "position"),)

    @classmethod
    def cell_fields(cls) -> tuple[str, ...]:
        """The annex's cells, in the template's order: the columns its own
        class declares (the export contract's row fields)."""
        shared = _AnnexRow.__annotations__
        return tuple(column.key for column in cls.__table__.columns if column.key not in shared)


class Annexe1Row(_AnnexRow, Base):
    """One conseil citoyen (or QPV without one) as reported in an Annexe 1,
    with where it was read."""

    __tablename__ = "annexe1_row"

    commune: Mapped[str | None] = mapped_column(Text)
    qpv_code: Mapped[str | None] = mapped_column(String(16), index=True)
    qpv_nom: Mapped[str | None] = mapped_column(Text)
    conseil_constitue: Mapped[bool | None] = mapped_column(Boolean)
    date_creation: Mapped[str | None] = mapped_column(String(7), comment="YYYY-MM")
    membres_habitants: Mapped[int | None] = mapped_column(Integer)
    membres_acteurs_locaux: Mapped[int | None] = mapped_column(Integer)
    actif: Mapped[bool | None] = mapped_column(Boolean)
    structure_porteuse: Mapped[str | None] = mapped_column(Text)
    participation_pilotage: Mapped[bool | None] = mapped_column(Boolean)
    formation_suivie: Mapped[bool | None] = mapped_column(Boolean)
    budget_annuel_eur: Mapped[float | None] = mapped_column(Double)


class Annexe2Row(_AnnexRow, Base):
    """One participatory practice other than a conseil citoyen, from an Annexe 2."""

    __tablename__ = "annexe2_row"

    type: Mapped[str | None] = mapped_column(String(32), comment="table_de_quartier|fph|maison_du_projet|budget_participatif|autre")
    commune: Mapped[str | None] = mapped_column(Text)
    qpv_code: Mapped[str | None] = mapped_column(String(16), index=True)
    porteur: Mapped[str | None] = mapped_column(Text)
    annee_creation: Mapped[int | None] = mapped_column(Integer)
    habitants_mobilises: Mapped[int | None] = mapped_column(Integer)


class SurveyResponse(Base):
    """RESTRICTED: one member's Annexe 3 questionnaire. Holds personal data
    (names, phones, e-mails of residents): never exposed in analyst views."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("message_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="order of the questionnaire in the message")
    attachment_position: Mapped[int | None] = mapped_column(Integer, comment="file it was read from; null: the body")
    source_file: Mapped[str] = mapped_column(Text)
    conseil_citoyen: Mapped[str | None] = mapped_column(Text, comment="as answered: quartier and commune")
    department_code: Mapped[str | None] = mapped_column(String(3))
    pii: Mapped[bool] = mapped_column(Boolean, default=False)

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="SurveyAnswer.number"
    )


class SurveyAnswer(Base):
    """RESTRICTED: one question / answer pair of a questionnaire."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, comment="question number in the template")
    topic: Mapped[str] = mapped_column(String(32), comment="name|phone|email|conseil|...|proposals")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    pii: Mapped[bool] = mapped_column(Boolean, default=False, comment="the answer is personal data")

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


class Reminder(Base):
    """One reminder e-mail to a department, at most one per department and
    local day: the row is claimed before sending, so two runs at once cannot
    both send."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("campaign_id", "department_code", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    day: Mapped[dt.date] = mapped_column(Date, comment="local date in the campaign's time zone")
    reason: Mapped[str] = mapped_column(String(16), comment="missing | incomplete")
    recipients: Mapped[str] = mapped_column(Text, comment="comma-separated addresses")
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), comment="sending | sent | failed")
    claimed_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    smtp_message_id: Mapped[str | None] = mapped_column(String(998))
    error: Mapped[str | None] = mapped_column(Text)


class Acknowledgement(Base):
    """The acknowledgement of receipt of one message: at most one ever."""

    __tablename__ = "acknowledgement"

    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), comment="sending | sent | failed")
    claimed_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    smtp_message_id: Mapped[str | None] = mapped_column(String(998))
    error: Mapped[str | None] = mapped_column(Text)


Index("ix_message_department_code", MessageDepartment.department_code)


# --------------------------------------------------------------------------- #
# Recommendations, strengths, weaknesses and the entities they mention
# --------------------------------------------------------------------------- #


class _FoundSentence:
    """Columns shared by recommendations, strengths and weaknesses: the message,
    the order in it, the text, the departments, and where it was found (the
    attachment's position, then file, page, sheet, cell, paragraph)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="order in the message")
    text: Mapped[str] = mapped_column(Text)
    departments: Mapped[str] = mapped_column(String(40), default="", comment="codes of the message, space-separated")
    attachment_position: Mapped[int | None] = mapped_column(Integer, comment="null: the message body")
    file: Mapped[str | None] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    sheet: Mapped[str | None] = mapped_column(String(255))
    cell_range: Mapped[str | None] = mapped_column(String(40))
    paragraph: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16), comment="heading, table, cue, label or survey")

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("message_id", "position"),)


class Recommendation(_FoundSentence, Base):
    """A recommendation as written, with its theme (`theme_score` is how sure
    the theme is; `confidence` how sure it is a recommendation at all)."""

    __tablename__ = "recommendation"

    theme: Mapped[str | None] = mapped_column(String(32), index=True)
    theme_score: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float, comment="confidence that it is a recommendation")
    theme_source: Mapped[str | None] = mapped_column(String(8), comment="label (the author's) or model")


class Strength(_FoundSentence, Base):
    """An atout or réussite listed in a contribution."""

    __tablename__ = "strength"


class Weakness(_FoundSentence, Base):
    """A fragilité or difficulté listed in a contribution."""

    __tablename__ = "weakness"


class Mention(Base):
    """An organisation, place or QPV named in a recommendation, strength or
    weakness (exactly one of the three keys is set)."""

    __tablename__ = "mention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendation.id", ondelete="CASCADE"), index=True)
    strength_id: Mapped[int | None] = mapped_column(ForeignKey("strength.id", ondelete="CASCADE"), index=True)
    weakness_id: Mapped[int | None] = mapped_column(ForeignKey("weakness.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(16), index=True, comment="organisation, place or qpv")
    text: Mapped[str] = mapped_column(Text, comment="as written")
    normalized: Mapped[str] = mapped_column(Text, comment="what to count on (canonical organisation kind)")


# --------------------------------------------------------------------------- #
# Corrections: what people settled, laid over what extraction found
# --------------------------------------------------------------------------- #


class CorrectionRow(Base):
    """One correction a person made (`storage/corrections.py`): never
    updated but to mark it undone, never deleted. Its target is a natural
    key (a message's sha256, `<sha256>/annexe1/<position>`, a department
    code) so that it outlives `bilan reprocess`, which replaces every
    derived row; `value_text` is the new value as the SQL views read it
    (`storage/views/active_correction.sql` and the `effective_*` views)."""

    __tablename__ = "correction"
    __table_args__ = (
        UniqueConstraint("made_at", "author", "subject", "target", "field", name="uq_correction_natural_key"),
        Index("ix_correction_subject_target", "subject", "target", "field"),
        Index("ix_correction_target_sha256", "target_sha256", "target_table", "target_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    made_at: Mapped[dt.datetime]
    author: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(64), default="", comment="'' when the subject has no field")
    # Any JSON value: a list of codes, a string, a number, true, {"rejected": true}, null.
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True, comment="the value in force before, as JSON")
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True, comment="as JSON")
    value_text: Mapped[str | None] = mapped_column(Text, comment="new_value as the views read it")
    reason: Mapped[str] = mapped_column(Text, default="")
    target_sha256: Mapped[str | None] = mapped_column(String(64), comment="the message the target belongs to")
    target_table: Mapped[str | None] = mapped_column(String(16), comment="annexe1 | annexe2 | recommendation")
    target_position: Mapped[int | None] = mapped_column(Integer, comment="the row's position in its message")
    anchor: Mapped[str | None] = mapped_column(
        Text, comment="the row's source when corrected (annex: file|sheet|page|row; recommendation: its text)"
    )
    undone_at: Mapped[dt.datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(320))


class CorrectionDepartment(Base):
    """The departments a `message_departments` correction gives, one row
    each: its `new_value` as rows, written with it and never changed, so
    that `effective_message_department` finds them by key."""

    __tablename__ = "correction_department"

    correction_id: Mapped[int] = mapped_column(ForeignKey("correction.id", ondelete="CASCADE"), primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), primary_key=True)


# --------------------------------------------------------------------------- #
# The web application's accounts (`bilan serve`)
# --------------------------------------------------------------------------- #


class Account(Base):
    """A person who may log in to the web application, with one role:
    `viewer` reads (never personal data, never a raw file), `editor` also
    corrects, `admin` also manages accounts. The password is kept as an
    argon2 hash; an account without one logs in only through a reverse
    proxy's trusted header (`BILAN_WEB_TRUSTED_HEADER`)."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), comment="viewer | editor | admin")
    password_hash: Mapped[str | None] = mapped_column(String(255), comment="argon2; null: trusted header only")
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

