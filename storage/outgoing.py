"""What the outgoing mail (reminders, acknowledgements of receipt) needs to
know from the warehouse: who writes for a department, which files could not
be read, which contributions still wait for their acknowledgement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, bindparam, column, select, table, text
from sqlalchemy.orm import Session, selectinload

from bilan.storage.models import Acknowledgement, Message

#: Kinds of message whose sender speaks for the department's services.
#: Survey answers come from residents and are never used as contacts.
CONTACT_KINDS = ("contribution", "question", "read_receipt", "auto_reply")
#: Roles that are not the department's services.
NOT_SERVICES = ("conseil_citoyen_member", "association")
ROBOT_PREFIXES = ("mailer-daemon@", "postmaster@", "noreply", "no-reply", "ne-pas-repondre", "nepasrepondre")


def contacts_seen(engine: Engine) -> dict[str, list[str]]:
    """Addresses that wrote for each department, most recent first (kinds
    and departments as corrected: `storage/corrections.py`)."""
    query = text(
        "SELECT md.department_code, m.sender, m.sender_role FROM effective_message_department md "
        "JOIN effective_message m ON m.id = md.message_id "
        "WHERE m.kind IN :kinds AND m.sender IS NOT NULL ORDER BY m.received_at DESC, m.id DESC"
    ).bindparams(bindparam("kinds", expanding=True))
    contacts: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for code, sender, role in connection.execute(query, {"kinds": list(CONTACT_KINDS)}):
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
    """Files of contributions that could not be read, per department (as corrected)."""
    query = text(
        "SELECT md.department_code, a.filename, a.parse_status, parent.filename "
        "FROM effective_message_department md "
        "JOIN effective_message m ON m.id = md.message_id "
        "JOIN attachment a ON a.message_id = m.id "
        "LEFT JOIN attachment parent ON parent.id = a.parent_id "
        "WHERE m.kind = 'contribution' AND a.parse_status <> 'ok' "
        "ORDER BY m.received_at, a.position"
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


def _contributions():
    """Ids of the messages that are contributions, as corrected (`effective_message`)."""
    return select(column("id")).select_from(table("effective_message")).where(column("kind") == "contribution")


def contributions_to_acknowledge(engine: Engine, received_since: dt.datetime) -> list[ContributionToAcknowledge]:
    """Processed contributions (kind as corrected) received since that
    instant, with a sender and no acknowledgement sent or being sent
    (failed ones are tried again)."""
    query = (
        select(Message)
        .outerjoin(Acknowledgement, Acknowledgement.message_id == Message.id)
        .where(
            Message.id.in_(_contributions()),
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
