"""The warehouse as one object: its database, its raw archive, and the few
doors through which everything is written.

All writes go through this class, each in one transaction, keyed on natural
keys (a message's sha256, an attachment's position in its message), so that
re-running anything, or running it twice at once, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bilan.storage.raw_archive import RawArchive
from bilan.storage.db import open_database, transaction
from bilan.storage.lock import hold_for_transaction, named_lock
from bilan.storage.follow_up_links import FOLLOW_UPS_LOCK, resolve_follow_ups
from bilan.storage.models import (
    Annexe1Row,
    Annexe2Row,
    Acknowledgement,
    Attachment,
    Campaign,
    ExtractedText,
    ImapProgress,
    Mention,
    Message,
    MessageDepartment,
    SurveyAnswer,
    SurveyResponse,
    Reminder,
    Recommendation,
    Strength,
    Weakness,
)
from bilan.storage.reference import seed_reference

if TYPE_CHECKING:
    from bilan.nlp.extraction import Extraction
    from bilan.parsers.authentication import SenderAuthentication
    from bilan.parsers.message import Envelope, ParsedMessage
    from bilan.settings import Settings


log = logging.getLogger(__name__)

#: PostgreSQL's SQLSTATE for "deadlock detected".
DEADLOCK = "40P01"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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
    def open(cls, settings: Settings) -> Warehouse:
        """Connect, migrate to the latest schema and make sure reference data is there."""
        engine = open_database(settings.database_url)
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
        values = dict(
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
        with transaction(self.engine) as session:
            insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
            # RETURNING tells whether this call inserted the row (rowcount is
            # not reliable across drivers for INSERT ... ON CONFLICT).
            inserted = session.scalar(
                insert(Message).values(**values).on_conflict_do_nothing().returning(Message.id)
            )
            processed_at = session.scalar(select(Message.processed_at).where(Message.sha256 == sha256))
        return ArchivedMessage(sha256=sha256, new=inserted is not None, processed=processed_at is not None)

    def known_sha256(self, candidates: Iterable[str]) -> set[str]:
        """Which of these messages are already archived and fully processed."""
        candidates = list(candidates)
        known: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(candidates), 500):
                chunk = candidates[start : start + 500]
                known.update(
                    connection.scalars(
                        select(Message.sha256).where(
                            Message.sha256.in_(chunk), Message.processed_at.is_not(None)
                        )
                    )
                )
        return known

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
        self, sha256: str, parsed: ParsedMessage, extraction: Extraction, *, replace: bool = False,
        link_follow_ups: bool = True,
    ) -> bool:
        """Store what parsing and extraction found. Returns False when another
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
            previous_departments = set(session.scalars(
                select(MessageDepartment.department_code).where(MessageDepartment.message_id == message.id)
            ))
            _delete_derived(session, message.id)
            _delete_findings(session, message.id)
            _insert_attachments(session, message.id, parsed, extraction)
            _insert_texts(session, message.id, parsed)
            session.add_all(
                MessageDepartment(
                    message_id=message.id, department_code=d.code, confidence=d.confidence, evidence=d.evidence
                )
                for d in extraction.departments
            )
            _insert_findings(session, message.id, extraction)
            message.kind = extraction.kind
            message.sender_role = extraction.sender_role
            message.modality = extraction.modality
            message.kind_confidence = extraction.confidence.get("kind")
            message.sender_role_confidence = extraction.confidence.get("sender_role")
            message.modality_confidence = extraction.confidence.get("modality")
            message.meeting_date = extraction.meeting_date
            message.meeting_participants = extraction.meeting_participants
            message.pii = extraction.pii
            message.needs_review = extraction.needs_review
            message.review_reason = extraction.review_reason
            _record_authentication(message, extraction.authentication, extraction.sender_check)
            message.process_error = None
            message.processed_at = utcnow()
            _link_original(session, message, extraction.original_message_id)
            _record_structure(
                session, message, extraction, previous_departments if link_follow_ups else None,
                self.campaign.timezone,
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
            insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
            statement = insert(ImapProgress).values(
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
        (as last classified), speaking for one of `departments`."""
        query = select(Message.sha256).order_by(Message.received_at, Message.id)
        departments, kinds = list(departments), list(kinds)
        if departments:
            query = query.where(
                Message.id.in_(
                    select(MessageDepartment.message_id).where(MessageDepartment.department_code.in_(departments))
                )
            )
        if since is not None:
            query = query.where(Message.received_at >= since)
        if until is not None:
            query = query.where(Message.received_at < until)
        if kinds:
            query = query.where(Message.kind.in_(kinds))
        if only_failed:
            query = query.where(Message.process_error.is_not(None))
        with self.engine.connect() as connection:
            return list(connection.scalars(query))

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
                    codes = set(session.scalars(select(MessageDepartment.department_code).distinct()))
                    resolve_follow_ups(session, codes, self.campaign.timezone)
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
            insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
            statement = insert(Reminder).values(**values)
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
            insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
            statement = insert(Acknowledgement).values(
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


def _record_authentication(
    message: Message, authentication: SenderAuthentication | None, sender_check: str | None
) -> None:
    """The receiving server's verdicts on the sender, kept as they were read
    (strings cut to their columns: a sender writes the header's words)."""
    message.auth_server = authentication.server[:255] if authentication and authentication.server else None
    for method in ("dkim", "spf", "dmarc", "arc"):
        result = getattr(authentication, method) if authentication else None
        setattr(message, f"{method}_result", result[:16] if result else None)
    message.sender_check = sender_check


def _link_original(session, message: Message, original_message_id: str | None) -> None:
    """Point a bounce, receipt or auto-reply to the message it answers when
    the warehouse has it, and earlier answers to this message once it arrives."""
    message.original_message_id = original_message_id
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
    session, message: Message, extraction: Extraction, previous_departments: set[str] | None, timezone: str
) -> None:
    """Annex rows, survey answers and follow-up cues of a message, then the
    follow-up links of its departments, recomputed from all their messages
    (unless `previous_departments` is None: the caller settles them)."""
    for table in (Annexe1Row, Annexe2Row, SurveyResponse):
        session.execute(delete(table).where(table.message_id == message.id))
    _insert_annex_rows(session, message.id, extraction)
    _insert_survey_responses(session, message.id, extraction)
    follow_up = extraction.follow_up
    message.follow_up = follow_up.relation
    message.follow_up_cited_date = follow_up.cited_date
    message.replies_to = follow_up.replies_to or None
    session.flush()
    if previous_departments is None:
        return
    codes = {d.code for d in extraction.departments}
    resolve_follow_ups(session, codes | previous_departments, timezone)


def _insert_annex_rows(session, message_id: int, extraction: Extraction) -> None:
    from bilan.nlp.annex_tables import department_of_qpv

    for model, rows in ((Annexe1Row, extraction.annexe1_rows), (Annexe2Row, extraction.annexe2_rows)):
        for position, row in enumerate(rows):
            session.add(
                model(
                    message_id=message_id,
                    position=position,
                    attachment_position=row.source.attachment,
                    source_file=row.source.file,
                    source_sheet=row.source.sheet,
                    source_page=row.source.page,
                    source_row=row.source.row,
                    department_code=department_of_qpv(row.values.get("qpv_code")),
                    # Not judged (no cell confidence) is stored as null, not as the property's 1.0.
                    confidence=row.confidence if row.cell_confidence else None,
                    cell_confidence=dict(row.cell_confidence) or None,
                    **row.values,
                )
            )


def _insert_survey_responses(session, message_id: int, extraction: Extraction) -> None:
    department = extraction.departments[0].code if len(extraction.departments) == 1 else None
    for position, response in enumerate(extraction.survey_responses):
        session.add(
            SurveyResponse(
                message_id=message_id,
                position=position,
                attachment_position=response.attachment,
                source_file=response.source,
                conseil_citoyen=response.conseil_citoyen,
                department_code=department,
                pii=response.has_pii,
                answers=[
                    SurveyAnswer(number=a.number, topic=a.topic, question=a.question, answer=a.answer, pii=a.pii)
                    for a in response.answers
                ],
            )
        )


def _insert_attachments(session, message_id: int, parsed: ParsedMessage, extraction: Extraction) -> None:
    rows: dict[int, Attachment] = {}
    for item in parsed.attachments:
        rows[item.index] = Attachment(
            message_id=message_id,
            position=item.index,
            # Containers come before their children, so the parent row exists;
            # the unit of work inserts it first and fills parent_id.
            parent=rows[item.parent] if item.parent is not None else None,
            filename=item.filename,
            content_type=item.content_type,
            format=item.format,
            size=item.size,
            sha256=item.sha256,
            inline=item.inline,
            role=extraction.attachment_roles.get(item.index),
            parse_status=item.status.value,
            parse_error=item.error,
        )
    session.add_all(rows.values())


def _insert_texts(session, message_id: int, parsed: ParsedMessage) -> None:
    for attachment, document in parsed.documents():
        text = document.text
        if not text and attachment is not None:
            continue
        session.add(
            ExtractedText(
                message_id=message_id,
                position=-1 if attachment is None else attachment.index,
                text=text,
                blocks=len(document.blocks),
                tables=len(document.tables),
            )
        )


# -- recommendations, strengths, weaknesses and their mentions --


def _delete_findings(session, message_id: int) -> None:
    for table in (Mention, Recommendation, Strength, Weakness):
        session.execute(delete(table).where(table.message_id == message_id))


def _insert_findings(session, message_id: int, extraction: Extraction) -> None:
    """One row per recommendation, strength and weakness, in the order found,
    each with its provenance and the departments of its message; then the
    entities each one mentions."""
    departments = " ".join(d.code for d in extraction.departments)
    groups = (
        (Recommendation, "recommendation_id", extraction.recommendations),
        (Strength, "strength_id", extraction.strengths),
        (Weakness, "weakness_id", extraction.weaknesses),
    )
    for model, key, items in groups:
        rows = []
        for position, item in enumerate(items):
            row = model(
                message_id=message_id,
                position=position,
                text=item.text,
                departments=departments,
                attachment_position=item.attachment,
                file=item.provenance.file,
                page=item.provenance.page,
                sheet=item.provenance.sheet,
                cell_range=item.provenance.cell_range,
                paragraph=item.provenance.paragraph,
                origin=item.origin,
            )
            if model is Recommendation:
                row.theme, row.theme_score, row.theme_source = item.theme, item.theme_score, item.theme_source
                row.confidence = item.confidence
            rows.append(row)
        session.add_all(rows)
        session.flush()  # the ids the mentions point to
        session.add_all(
            Mention(message_id=message_id, label=m.label, text=m.text, normalized=m.normalized, **{key: row.id})
            for row, item in zip(rows, items)
            for m in item.mentions
        )
