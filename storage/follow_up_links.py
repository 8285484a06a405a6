"""Links between a follow-up and the earlier contribution it replaces
(`supersedes_id`) or completes (`complements_id`).

A message only says *that* it follows up ("annule et remplace", "en
complément de notre envoi du 6 décembre") and what it replies to; which
earlier message that is depends on the others. So links are recomputed from
all the stored messages of the departments concerned each time one of them is
loaded: the result is the same whatever the order of processing (a
correction reprocessed before its original, two runs at once).

Departments and kinds are read as corrected (`storage/corrections.py`),
and a person's correction of a link overrides the link found here (the
`effective_message` view). The earlier message is, among the earlier
contributions of a shared department: the one it replies to (In-Reply-To /
References), else the one received on the date it cites, else the latest
original (a message that is not itself a follow-up), else the latest one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bilan.storage.corrections import EFFECTIVE_DEPARTMENTS, EFFECTIVE_KINDS
from bilan.storage.models import Message

#: Name of the lock under which follow-up links are recomputed (see
#: `storage.lock.hold_for_transaction` and `Warehouse.settle_follow_ups`).
FOLLOW_UPS_LOCK = "follow-ups"

SUPERSEDES, COMPLEMENTS = "supersedes", "complements"


@dataclass
class _Stored:
    id: int
    message_id: str | None
    received_at: dt.datetime | None
    kind: str | None
    follow_up: str | None
    cited_date: dt.date | None
    replies_to: list[str]
    departments: set[str]
    #: The links stored now (the message's id of each, or None).
    links: tuple[int | None, int | None] = (None, None)

    def order(self) -> tuple:
        return (self.received_at or dt.datetime.max.replace(tzinfo=dt.UTC), self.id)


def resolve_follow_ups(session: Session, department_codes: Iterable[str], timezone: str = "Europe/Paris") -> None:
    codes = set(department_codes)
    if not codes:
        return
    messages = _messages_of(session, codes)
    zone = ZoneInfo(timezone)
    for message in messages.values():
        if message.kind != "contribution":
            continue
        target = earlier_message(message, messages.values(), zone) if message.follow_up else None
        supersedes = target.id if target and message.follow_up == SUPERSEDES else None
        complements = target.id if target and message.follow_up == COMPLEMENTS else None
        if (supersedes, complements) == message.links:
            continue  # most are: only a department's newest message can change them
        session.execute(
            update(Message)
            .where(Message.id == message.id)
            .values(supersedes_id=supersedes, complements_id=complements)
        )


def earlier_message(message: _Stored, others: Iterable[_Stored], zone: ZoneInfo) -> _Stored | None:
    candidates = sorted(
        (
            other
            for other in others
            if other.id != message.id
            and other.kind == "contribution"
            and other.departments & message.departments
            and other.order() < message.order()
        ),
        key=_Stored.order,
    )
    if not candidates:
        return None
    replied = [c for c in candidates if c.message_id and _key(c.message_id) in {_key(r) for r in message.replies_to}]
    if replied:
        return replied[-1]
    if message.cited_date is not None:
        same_day = [c for c in candidates if c.received_at and c.received_at.astimezone(zone).date() == message.cited_date]
        if same_day:
            return same_day[-1]
    originals = [c for c in candidates if not c.follow_up]
    return (originals or candidates)[-1]


#: A message's departments and kind as corrected (`storage/corrections.py`):
#: a message a person moved to another department, or found not to be a
#: contribution, no longer replaces a contribution of the first one.
_DEPARTMENTS = EFFECTIVE_DEPARTMENTS
_KINDS = EFFECTIVE_KINDS


def _messages_of(session: Session, codes: set[str]) -> dict[int, _Stored]:
    """Every processed message sharing one of these departments, with all its departments."""
    ids = select(_DEPARTMENTS.c.message_id).where(_DEPARTMENTS.c.department_code.in_(codes))
    departments: dict[int, set[str]] = defaultdict(set)
    for message_id, code in session.execute(
        select(_DEPARTMENTS.c.message_id, _DEPARTMENTS.c.department_code).where(_DEPARTMENTS.c.message_id.in_(ids))
    ):
        departments[message_id].add(code)
    kinds = dict(session.execute(select(_KINDS.c.id, _KINDS.c.kind).where(_KINDS.c.id.in_(ids))).all())
    rows = session.execute(
        select(
            Message.id, Message.message_id, Message.received_at, Message.follow_up,
            Message.follow_up_cited_date, Message.replies_to, Message.supersedes_id, Message.complements_id,
        ).where(Message.id.in_(ids), Message.processed_at.is_not(None))
    )
    return {
        row.id: _Stored(row.id, row.message_id, row.received_at, kinds.get(row.id), row.follow_up,
                        row.follow_up_cited_date, list(row.replies_to or []), departments[row.id],
                        (row.supersedes_id, row.complements_id))
        for row in rows
    }


def message_departments(session: Session, message_pk: int) -> set[str]:
    """A message's departments as corrected."""
    return set(session.scalars(
        select(_DEPARTMENTS.c.department_code).where(_DEPARTMENTS.c.message_id == message_pk)
    ))


def all_departments(session: Session) -> set[str]:
    """Every department some message speaks for, as corrected."""
    return set(session.scalars(select(_DEPARTMENTS.c.department_code).distinct()))


def _key(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()
