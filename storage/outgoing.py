"""What the outgoing mail (reminders, acknowledgements of receipt) needs to
know from the warehouse: who writes for a department, which files could not
be read, which contributions still wait for their acknowledgement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from bilan.storage.models import Acknowledgement, Attachment, Message, MessageDepartment

#: Kinds of message whose sender speaks for the department's services.
#: Survey answers come from residents and are never used as contacts.
CONTACT_KINDS = ("contribution", "question", "read_receipt", "auto_reply")
#: Roles that are not the department's services.
NOT_SERVICES = ("conseil_citoyen_member", "association")
ROBOT_PREFIXES = ("mailer-daemon@", "postmaster@", "noreply", "no-reply", "ne-pas-repondre", "nepasrepondre")


def contacts_seen(engine: Engine) -> dict[str, list[str]]:
    """Addresses that wrote for each department, most recent first."""
    query = (
        select(MessageDepartment.department_code, Message.sender, Message.sender_role)
        .join(Message, Message.id == MessageDepartment.message_id)
        .where(Message.kind.in_(CONTACT_KINDS), Message.sender.is_not(None))
        .order_by(Message.received_at.desc(), Message.id.desc())
    )
    contacts: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for code, sender, role in connection.execute(query):
            address = sender.strip().lower()
            if role in NOT_SERVICES or address.startswith(ROBOT_PREFIXES):
                continue
            known = contacts.setdefault(code, [])
            if address not in known:
                known.append(address)
    return contacts


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    status: str
    inside: str | None = None
    error: str | None = None


def unreadable_contribution_files(engine: Engine) -> dict[str, list[ReceivedFile]]:
    """Files of contributions that could not be read, per department."""
    parent = Attachment.__table__.alias("parent")
    query = (
        select(MessageDepartment.department_code, Attachment.filename, Attachment.parse_status, parent.c.filename)
        .join(Message, Message.id == MessageDepartment.message_id)
        .join(Attachment, Attachment.message_id == Message.id)
        .outerjoin(parent, parent.c.id == Attachment.parent_id)
        .where(Message.kind == "contribution", Attachment.parse_status != "ok")
        .order_by(Message.received_at, Attachment.position)
    )
    files: dict[str, list[ReceivedFile]] = {}
    with engine.connect() as connection:
        for code, filename, status, inside in connection.execute(query):
            files.setdefault(code, []).append(ReceivedFile(filename, status, inside))
    return files


@dataclass
class ContributionToAcknowledge:
    message_pk: int
    message_id: str | None
    sender: str
    sender_name: str | None
    subject: str
    received_at: dt.datetime | None
    files: list[ReceivedFile] = field(default_factory=list)


def contributions_to_acknowledge(engine: Engine, received_since: dt.datetime) -> list[ContributionToAcknowledge]:
    """Processed contributions received since that instant, with a sender and
    no acknowledgement sent or being sent (failed ones are tried again)."""
    query = (
        select(Message)
        .outerjoin(Acknowledgement, Acknowledgement.message_id == Message.id)
        .where(
            Message.kind == "contribution",
            Message.processed_at.is_not(None),
            Message.sender.is_not(None),
            Message.received_at >= received_since,
            (Acknowledgement.message_id.is_(None)) | (Acknowledgement.status == "failed"),
        )
        .order_by(Message.received_at, Message.id)
    )
    result = []
    with Session(engine) as session:
        for message in session.scalars(query.options(selectinload(Message.attachments))):
            names = {a.id: a.filename for a in message.attachments}
            files = [
                ReceivedFile(a.filename, a.parse_status, names.get(a.parent_id), a.parse_error)
                for a in message.attachments
                if not a.inline and a.role != "signature_image"
            ]
            result.append(
                ContributionToAcknowledge(
                    message.id, message.message_id, message.sender, message.sender_name,
                    message.subject, message.received_at, files,
                )
            )
    return result
