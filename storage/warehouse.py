"""The warehouse as one object: its database, its raw archive, and the few
doors through which everything is written.

All writes go through this class, each in one transaction, keyed on natural
keys (a message's sha256, an attachment's position in its message), so that
re-running anything, or running it twice at once, changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Engine, delete, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bilan.errors import WarehouseNotReady
from bilan.storage import corrections
from bilan.storage.corrections import (
    EFFECTIVE_DEPARTMENTS,
    EFFECTIVE_KINDS,
    Correction,
    CorrectionRequest,
    ImportResult,
)
from bilan.storage.db import insert_into, open_database, transaction
from bilan.storage.follow_up_links import (
    FOLLOW_UPS_LOCK,
    all_departments,
    message_departments,
    resolve_follow_ups,
)
from bilan.storage.lock import hold_for_transaction, named_lock
from bilan.storage.models import (
    Acknowledgement,
    Annexe1Row,
    Annexe2Row,
    Attachment,
    Campaign,
    CorrectionRow,
    ExtractedText,
    ImapProgress,
    Mention,
    Message,
    MessageDepartment,
    Recommendation,
    Reminder,
    Strength,
    SurveyAnswer,
    SurveyResponse,
    Weakness,
)
from bilan.storage.raw_archive import RawArchive
from bilan.storage.records import (
    AnnexRowRecord,
    AttachmentRecord,
    FindingRecord,
    MessageRecord,
    MessageValues,
    SurveyRecord,
    TextRecord,
)
from bilan.storage.reference import seed_reference

if TYPE_CHECKING:
    from bilan.parsers.message import Envelope
    from bilan.settings import Settings


log = logging.getLogger(__name__)

#: PostgreSQL's SQLSTATE for "deadlock detected".
DEADLOCK = "40P01"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ArchivedMessage:
    """Outcome of archiving: `new` is False when the sha256 was already known."""

    sha256: str
    new: bool
    processed: bool


class Warehouse:
    def __init__(self, engine: Engine, archive: RawArchive, campaign: Campaign):
        self.engine = engine
        self.archive = archive
        self.campaign = campaign

    @classmethod
    def open(cls, settings: Settings, *, read_only: bool = False) -> Warehouse:
        """For a writer: connect, bring schema and views to this code, and make
        sure reference data and the campaign of the settings are there. For a
        reader (`read_only`: status, export, report): connect and write
        nothing (no migration, no seeding, no write lock), and refuse a
        warehouse that does not exist or is behind the code or the settings."""
        engine = open_database(settings.database_url, read_only=read_only)
        if read_only:
            campaign = _campaign_of(engine, settings)
        else:
            with transaction(engine) as session:
                campaign = seed_reference(
                    session, settings.campaign_name, settings.campaign_deadline, settings.campaign_timezone
                )
        return cls(engine, RawArchive(settings.archive_path), campaign)

    # -- archive: nothing else happens to a message before this is committed --

    def archive_message(
        self, raw: bytes, envelope: Envelope, source: str, received_at: dt.datetime | None
    ) -> ArchivedMessage:
        """Keep the raw bytes, then its `message` row. `received_at` is the
        receiving server's time (IMAP INTERNALDATE, or the topmost Received header)."""
        sha256 = self.archive.store(raw)
        values = _message_row(sha256, raw, envelope, source, received_at)
        with transaction(self.engine) as session:
            # RETURNING tells whether this call inserted the row (rowcount is
            # not reliable across drivers for INSERT ... ON CONFLICT).
            inserted = session.scalar(
                insert_into(self.engine, Message).values(**values).on_conflict_do_nothing().returning(Message.id)
            )
            processed_at = session.scalar(select(Message.processed_at).where(Message.sha256 == sha256))
        return ArchivedMessage(sha256=sha256, new=inserted is not None, processed=processed_at is not None)

    def archive_messages(
        self, messages: list[tuple[bytes, Envelope, str, dt.datetime | None]]
    ) -> list[ArchivedMessage]:
        """`archive_message` for a batch of (raw, envelope, source, received_at):
        the raw files made durable together, then their rows in one
        transaction (one commit for the batch)."""
        if not messages:
            return []
        shas = self.archive.store_many([raw for raw, *_ in messages])
        archived: list[ArchivedMessage] = []
        with transaction(self.engine) as session:
            for sha256, (raw, envelope, source, received_at) in zip(shas, messages):
                values = _message_row(sha256, raw, envelope, source, received_at)
                inserted = session.scalar(
                    insert_into(self.engine, Message).values(**values).on_conflict_do_nothing().returning(Message.id)
                )
                processed_at = session.scalar(select(Message.processed_at).where(Message.sha256 == sha256))
                archived.append(ArchivedMessage(sha256=sha256, new=inserted is not None, processed=processed_at is not None))
        return archived

    def unprocessed(self) -> list[str]:
        """Messages archived but not (or not successfully) processed: work left by a crash."""
        with self.engine.connect() as connection:
            return list(
                connection.scalars(
                    select(Message.sha256).where(Message.processed_at.is_(None)).order_by(Message.id)
                )
            )

    # -- processing results: replaced as a whole, in one transaction per message --

    def record_processing(
        self, sha256: str, record: MessageRecord, *, replace: bool = False,
        link_follow_ups: bool = True,
    ) -> bool:
        """Store what processing found (`record`, made by `bilan/loading.py`
        from what parsing and extraction found). Returns False when another
        process already did it (and `replace` is not asked). `link_follow_ups`
        False leaves the follow-up links of the message's departments to the
        caller, who settles them once for many messages (`bilan reprocess`):
        recomputing them per message updates every contribution of those
        departments; when it is asked, loads that link are serialised across
        processes (`FOLLOW_UPS_LOCK`), so that two ingestions at once neither
        deadlock nor miss each other's messages."""
        with transaction(self.engine) as session:
            if link_follow_ups:
                hold_for_transaction(session, FOLLOW_UPS_LOCK)
            message = session.scalar(
                select(Message).where(Message.sha256 == sha256).with_for_update()
            )
            if message is None:
                raise LookupError(f"message {sha256} is not archived")
            if message.processed_at is not None and not replace:
                return False
            # Derived rows are only ever committed with `processed_at`: a
            # message never processed has none to replace.
            had_rows = message.processed_at is not None
            previous_departments: set[str] = set()
            if had_rows:
                previous_departments = set(session.scalars(
                    select(MessageDepartment.department_code).where(MessageDepartment.message_id == message.id)
                )) | message_departments(session, message.id)
                _delete_derived(session, message.id)
                _delete_findings(session, message.id)
            _insert_attachments(session, message.id, record.attachments)
            _insert_texts(session, message.id, record.texts)
            _insert_rows(session, MessageDepartment, [
                dict(message_id=message.id, department_code=d.code, confidence=d.confidence, evidence=d.evidence)
                for d in record.departments
            ])  # fmt: skip
            _insert_findings(session, message.id, record)
            _copy_values(message, record.values)
            message.process_error = None
            message.processed_at = utcnow()
            _link_original(session, message)
            _record_structure(
                session, message, record, previous_departments if link_follow_ups else None,
                self.campaign.timezone, had_rows,
            )
        return True

    def record_failure(self, sha256: str, error: str) -> None:
        """Keep the reason a message could not be processed; it stays unprocessed
        so that the next run tries again."""
        with transaction(self.engine) as session:
            session.execute(
                update(Message).where(Message.sha256 == sha256).values(process_error=error[:4000])
            )

    # -- IMAP progress --

    def imap_last_uid(self, account: str, folder: str, uidvalidity: int) -> int:
        with self.engine.connect() as connection:
            last = connection.scalar(
                select(ImapProgress.last_uid).where(
                    ImapProgress.account == account,
                    ImapProgress.folder == folder,
                    ImapProgress.uidvalidity == uidvalidity,
                )
            )
        return int(last or 0)

    def advance_imap(self, account: str, folder: str, uidvalidity: int, uid: int) -> None:
        """Move the committed UID forward (never backward, whoever else is running)."""
        with transaction(self.engine) as session:
            statement = insert_into(self.engine, ImapProgress).values(
                account=account, folder=folder, uidvalidity=uidvalidity, last_uid=uid, updated_at=utcnow()
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["account", "folder", "uidvalidity"],
                    set_={"last_uid": uid, "updated_at": utcnow()},
                    where=ImapProgress.last_uid < uid,
                )
            )

    def imap_uidvalidities(self, account: str, folder: str) -> set[int]:
        """Every UIDVALIDITY this folder has had in the warehouse's memory."""
        with self.engine.connect() as connection:
            return set(
                connection.scalars(
                    select(ImapProgress.uidvalidity).where(
                        ImapProgress.account == account, ImapProgress.folder == folder
                    )
                )
            )

    # -- concurrency --

    def lock(self, name: str, timeout: float = 600.0):
        """A lock shared with every process writing to this warehouse (see `storage/lock.py`)."""
        return named_lock(self.engine, name, timeout)

    # -- reprocessing --

    def select_messages(
        self,
        *,
        departments: Iterable[str] = (),
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        kinds: Iterable[str] = (),
        only_failed: bool = False,
    ) -> list[str]:
        """sha256 of the archived messages matching every given criterion,
        in order of receipt: received in [since, until), of one of `kinds`
        (as last classified, or as corrected), speaking for one of
        `departments` (as extraction found, or as corrected): reprocessing a
        message more is harmless, missing one is not."""
        query = select(Message.sha256).order_by(Message.received_at, Message.id)
        departments, kinds = list(departments), list(kinds)
        if departments:
            query = query.where(
                Message.id.in_(
                    select(MessageDepartment.message_id).where(MessageDepartment.department_code.in_(departments))
                )
                | Message.id.in_(
                    select(EFFECTIVE_DEPARTMENTS.c.message_id)
                    .where(EFFECTIVE_DEPARTMENTS.c.department_code.in_(departments))
                )
            )
        if since is not None:
            query = query.where(Message.received_at >= since)
        if until is not None:
            query = query.where(Message.received_at < until)
        if kinds:
            query = query.where(
                Message.kind.in_(kinds)
                | Message.id.in_(select(EFFECTIVE_KINDS.c.id).where(EFFECTIVE_KINDS.c.kind.in_(kinds)))
            )
        if only_failed:
            query = query.where(Message.process_error.is_not(None))
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

    def content_keys(self) -> dict[str, str]:
        """message sha256 -> the sha256 of its largest file (a file sent
        as an attachment rather than inline, if it has one), for every
        message whose files are known (processed once): the file that costs
        the most to read, and the one a forward carries again. Only files
        of the message itself, not those found inside them (a zip's members
        depend on the parser). A run split in parts groups its work list by
        it (see `bilan/pipeline.py`, `plan_parts`)."""
        query = (
            select(Message.sha256, Attachment.sha256, Attachment.size, Attachment.inline)
            .join(Attachment, Attachment.message_id == Message.id)
            .where(Attachment.parent_id.is_(None))
        )
        best: dict[str, tuple[bool, int, str]] = {}
        with self.engine.connect() as connection:
            for message, file, size, inline in connection.execute(query):
                rank = (bool(inline), -size, file)
                if message not in best or rank < best[message]:
                    best[message] = rank
        return {message: rank[2] for message, rank in best.items()}

    def message_sizes(self) -> dict[str, int]:
        """message sha256 -> its size in bytes, for every archived message:
        what a run split in parts orders its work list by (`plan_parts`)."""
        with self.engine.connect() as connection:
            return {sha: size for sha, size in connection.execute(select(Message.sha256, Message.size))}

    def settle_follow_ups(self, attempts: int = 5) -> None:
        """Recompute the follow-up links of every department from all the
        stored messages, in one transaction, one run at a time: the links are
        then those of the whole warehouse, whatever the order or the process
        the messages were loaded in (a reprocessing run ends with this, see
        `bilan/pipeline.py`). An ingestion loading a message meanwhile may
        still lock the same rows in another order: PostgreSQL then breaks the
        deadlock by failing one transaction, and this one is tried again."""
        for attempt in range(1, attempts + 1):
            try:
                with self.lock(FOLLOW_UPS_LOCK), transaction(self.engine) as session:
                    resolve_follow_ups(session, all_departments(session), self.campaign.timezone)
                return
            except OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) != DEADLOCK or attempt == attempts:
                    raise
                log.warning("follow-up links: deadlock with another writer, trying again (%d/%d)", attempt, attempts)

    # -- outgoing mail: claimed before sending, so that two runs never both send --

    def claim_reminder(
        self, department_code: str, day: dt.date, reason: str, recipients: list[str], subject: str
    ) -> int | None:
        """Reserve today's reminder for a department. Returns its id, or None
        when one was already sent (or is being sent) that day. A failed
        attempt may be claimed again."""
        values = dict(
            campaign_id=self.campaign.id, department_code=department_code, day=day, reason=reason,
            recipients=", ".join(recipients), subject=subject, status="sending", claimed_at=utcnow(),
            sent_at=None, smtp_message_id=None, error=None,
        )
        with transaction(self.engine) as session:
            statement = insert_into(self.engine, Reminder).values(**values)
            update_values = {key: statement.excluded[key] for key in ("reason", "recipients", "subject", "status", "claimed_at", "error")}
            return session.scalar(
                statement.on_conflict_do_update(
                    index_elements=["campaign_id", "department_code", "day"],
                    set_=update_values,
                    where=Reminder.status == "failed",
                ).returning(Reminder.id)
            )

    def finish_reminder(self, reminder_id: int, smtp_message_id: str | None = None, error: str | None = None) -> None:
        with transaction(self.engine) as session:
            session.execute(
                update(Reminder).where(Reminder.id == reminder_id).values(
                    status="failed" if error else "sent",
                    sent_at=None if error else utcnow(),
                    smtp_message_id=smtp_message_id,
                    error=error[:4000] if error else None,
                )
            )

    def claim_acknowledgement(self, message_pk: int, recipient: str) -> bool:
        """Reserve the one acknowledgement of a message (again only if an
        earlier attempt failed)."""
        with transaction(self.engine) as session:
            statement = insert_into(self.engine, Acknowledgement).values(
                message_id=message_pk, recipient=recipient, status="sending", claimed_at=utcnow()
            )
            claimed = session.scalar(
                statement.on_conflict_do_update(
                    index_elements=["message_id"],
                    set_={"status": "sending", "claimed_at": statement.excluded.claimed_at, "error": None},
                    where=Acknowledgement.status == "failed",
                ).returning(Acknowledgement.message_id)
            )
        return claimed is not None

    def finish_acknowledgement(self, message_pk: int, smtp_message_id: str | None = None, error: str | None = None) -> None:
        with transaction(self.engine) as session:
            session.execute(
                update(Acknowledgement).where(Acknowledgement.message_id == message_pk).values(
                    status="failed" if error else "sent",
                    sent_at=None if error else utcnow(),
                    smtp_message_id=smtp_message_id,
                    error=error[:4000] if error else None,
                )
            )

    # -- corrections: what people settled, laid over extraction by the views --

    def apply_correction(self, request: CorrectionRequest) -> int:
        """Record a correction (checked; the value it replaces, read from the
        views, is kept as its `old_value`) and return its id. From then on
        every reader sees it, through every reprocess, until it is undone
        or a newer correction of the same target and field replaces it.
        Raises `CorrectionError` for a request that cannot be made."""
        with transaction(self.engine) as session, self._relinking(session, request.subject, request.target):
            return corrections.apply(session, request, utcnow())

    def undo_correction(self, correction_id: int, author: str) -> None:
        """Mark a correction undone (who, when); the row stays. The previous
        correction of its target and field, or extraction, shows again."""
        with transaction(self.engine) as session:
            row = session.get(CorrectionRow, correction_id)
            subject, target = (row.subject, row.target) if row is not None else ("", "")
            with self._relinking(session, subject, target):
                corrections.undo(session, correction_id, author, utcnow())

    @contextlib.contextmanager
    def _relinking(self, session: Session, subject: str, target: str) -> Iterator[None]:
        """Around a correction of a message's departments or kind: the
        follow-up links of the departments it had and has are recomputed
        (under the lock of `record_processing`), since they are found among
        a department's contributions (`storage/follow_up_links.py`)."""
        if subject not in corrections.RELINKING:
            yield
            return
        hold_for_transaction(session, FOLLOW_UPS_LOCK)
        message_pk = session.scalar(select(Message.id).where(Message.sha256 == target.strip().lower()))
        before = message_departments(session, message_pk) if message_pk is not None else set()
        yield
        if message_pk is not None:
            session.flush()
            resolve_follow_ups(session, before | message_departments(session, message_pk), self.campaign.timezone)

    def list_corrections(
        self,
        *,
        target: str | None = None,
        include_undone: bool = False,
        message: str | None = None,
        subject: str | None = None,
    ) -> list[Correction]:
        """Corrections in the order they were made: of one `target`, of every
        target of one `message` (its sha256: the message, its annex rows and
        recommendations), of one `subject`; undone ones only if asked."""
        with Session(self.engine) as session:
            return corrections.listed(
                session, target=target, message=message, subject=subject, include_undone=include_undone
            )

    def export_corrections(self) -> dict[str, Any]:
        """Every correction, undone ones included, as one JSON document
        (`bilan corrections export`)."""
        with Session(self.engine) as session:
            return corrections.export_document(session, utcnow())

    def import_corrections(self, document: Any) -> ImportResult:
        """Add the corrections of a document written by `export_corrections`
        that this warehouse lacks, in one transaction (all or none); importing
        the same document again changes nothing."""
        with transaction(self.engine) as session:
            return corrections.import_document(session, document)


def _message_row(
    sha256: str, raw: bytes, envelope: Envelope, source: str, received_at: dt.datetime | None
) -> dict[str, Any]:
    """The `message` row of a message being archived: what its headers say."""
    return dict(
        sha256=sha256,
        message_id=envelope.message_id,
        sender=envelope.sender_address,
        sender_name=envelope.sender_name,
        subject=envelope.subject,
        sent_at=envelope.date,
        received_at=received_at,
        source=source,
        size=len(raw),
        archived_at=utcnow(),
        pii=False,
        needs_review=False,
    )


def _campaign_of(engine: Engine, settings: Settings) -> Campaign:
    """The campaign of the settings as the warehouse holds it, for a reader:
    absent, or with another deadline than the settings', it is an error (a
    writer would add or update it; a reader says so instead)."""
    with Session(engine) as session:
        campaign = session.scalar(select(Campaign).where(Campaign.name == settings.campaign_name))
    if campaign is None:
        raise WarehouseNotReady(
            f"the warehouse holds no campaign named {settings.campaign_name!r}: add it with `bilan migrate` "
            "(or `bilan ingest`), or fix BILAN_CAMPAIGN_NAME"
        )
    declared = (settings.campaign_deadline, settings.campaign_timezone)
    if (campaign.deadline, campaign.timezone) != declared:
        raise WarehouseNotReady(
            f"the warehouse's campaign has the deadline {campaign.deadline} ({campaign.timezone}), the settings "
            f"{declared[0]} ({declared[1]}): apply the settings with `bilan migrate`, or fix "
            "BILAN_CAMPAIGN_DEADLINE / BILAN_CAMPAIGN_TIMEZONE"
        )
    return campaign


def _copy_values(message: Message, values: MessageValues) -> None:
    """Every extracted value of the message, each into its column by name."""
    columns = Message.__table__.columns
    for item in fields(values):
        setattr(message, item.name, _fitted(columns[item.name], getattr(values, item.name)))


def _fitted(column: Column, value: Any) -> Any:
    """A string cut to its column's length: some values are the words of a
    header a sender wrote (an authentication verdict, a Message-ID)."""
    length = getattr(column.type, "length", None)
    if isinstance(value, str) and length:
        return value[:length]
    return value


def _link_original(session, message: Message) -> None:
    """Point a bounce, receipt or auto-reply to the message it answers when
    the warehouse has it, and earlier answers to this message once it arrives."""
    original_message_id = message.original_message_id
    message.original_id = None
    if original_message_id:
        message.original_id = session.scalar(
            select(Message.id)
            .where(Message.message_id == original_message_id, Message.id != message.id)
            .order_by(Message.received_at, Message.id)
            .limit(1)
        )
    if message.message_id:
        session.execute(
            update(Message)
            .where(Message.original_message_id == message.message_id, Message.original_id.is_(None))
            .where(Message.id != message.id)
            .values(original_id=message.id)
        )


def _delete_derived(session, message_id: int) -> None:
    for table in (ExtractedText, MessageDepartment, Attachment):
        session.execute(delete(table).where(table.message_id == message_id))


def _record_structure(
    session,
    message: Message,
    record: MessageRecord,
    previous_departments: set[str] | None,
    timezone: str,
    had_rows: bool = True,
) -> None:
    """Annex rows and survey answers of a message, then the follow-up links
    of its departments, recomputed from all their messages (unless
    `previous_departments` is None: the caller settles them)."""
    if had_rows:
        for table in (Annexe1Row, Annexe2Row, SurveyResponse):
            session.execute(delete(table).where(table.message_id == message.id))
    _insert_annex_rows(session, message.id, Annexe1Row, record.annexe1_rows)
    _insert_annex_rows(session, message.id, Annexe2Row, record.annexe2_rows)
    _insert_survey_responses(session, message.id, record.survey_responses)
    session.flush()
    if previous_departments is None:
        return
    codes = {d.code for d in record.departments} | message_departments(session, message.id)
    resolve_follow_ups(session, codes | previous_departments, timezone)


def _columns_of(model: type, record: Any) -> dict[str, Any]:
    """The fields of `record` that are columns of `model`'s table, by name
    (lists of child rows and fields of another kind of row left out)."""
    columns = model.__table__.columns
    names = [item.name for item in fields(record) if item.name in columns]
    return {name: getattr(record, name) for name in names}


def _insert_rows(session, model: type, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """One bulk INSERT of `rows` into `model`'s table (an executemany, not one
    ORM object per row); with `ids`, the new rows' ids, in the order of `rows`."""
    if not rows:
        return []
    if ids:
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows))
    session.execute(insert(model), rows)
    return []


def _insert_annex_rows(
    session, message_id: int, model: type[Annexe1Row] | type[Annexe2Row], rows: list[AnnexRowRecord]
) -> None:
    _insert_rows(session, model, [
        dict(message_id=message_id, position=position, **_columns_of(model, row), **row.values)
        for position, row in enumerate(rows)
    ])  # fmt: skip


def _insert_survey_responses(session, message_id: int, responses: list[SurveyRecord]) -> None:
    ids = _insert_rows(session, SurveyResponse, [
        dict(message_id=message_id, position=position, **_columns_of(SurveyResponse, response))
        for position, response in enumerate(responses)
    ], ids=True)  # fmt: skip
    _insert_rows(session, SurveyAnswer, [
        dict(response_id=response_id, **_columns_of(SurveyAnswer, answer))
        for response_id, response in zip(ids, responses)
        for answer in response.answers
    ])  # fmt: skip


def _insert_attachments(session, message_id: int, attachments: list[AttachmentRecord]) -> None:
    """Containers before their children (one INSERT per depth), so that each
    child's row points to its container's."""
    ids: dict[int, int] = {}
    remaining = list(attachments)
    while remaining:
        level = [item for item in remaining if item.parent_position is None or item.parent_position in ids]
        if not level:
            raise ValueError("an attachment's container is missing from its message")
        new_ids = _insert_rows(session, Attachment, [
            dict(message_id=message_id, parent_id=ids.get(item.parent_position) if item.parent_position is not None
                 else None, **_columns_of(Attachment, item))
            for item in level
        ], ids=True)  # fmt: skip
        ids.update((item.position, new_id) for item, new_id in zip(level, new_ids))
        remaining = [item for item in remaining if item.position not in ids]


def _insert_texts(session, message_id: int, texts: list[TextRecord]) -> None:
    _insert_rows(session, ExtractedText, [dict(message_id=message_id, **_columns_of(ExtractedText, text)) for text in texts])


# -- recommendations, strengths, weaknesses and their mentions --


def _delete_findings(session, message_id: int) -> None:
    for table in (Mention, Recommendation, Strength, Weakness):
        session.execute(delete(table).where(table.message_id == message_id))


def _insert_findings(session, message_id: int, record: MessageRecord) -> None:
    """One row per recommendation, strength and weakness, in the order found,
    each with its provenance and the departments of its message; then the
    entities each one mentions."""
    departments = " ".join(d.code for d in record.departments)
    groups: tuple[tuple[type, str, list[FindingRecord]], ...] = (
        (Recommendation, "recommendation_id", record.recommendations),
        (Strength, "strength_id", record.strengths),
        (Weakness, "weakness_id", record.weaknesses),
    )
    for model, key, items in groups:
        ids = _insert_rows(session, model, [
            dict(message_id=message_id, position=position, departments=departments, **_columns_of(model, item))
            for position, item in enumerate(items)
        ], ids=True)  # fmt: skip
        _insert_rows(session, Mention, [
            dict(message_id=message_id, **_columns_of(Mention, mention), **{key: row_id})
            for row_id, item in zip(ids, items)
            for mention in item.mentions
        ])  # fmt: skip
