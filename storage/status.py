"""Which departments have responded, on time or late, and which are missing.

A department has responded when its first message of kind `contribution`
has arrived; questions, auto-replies, receipts, bounces, spam and survey
answers never count. The deadline is the end of the campaign's last day in
the campaign's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from bilan.storage.models import Campaign, Department, Message, MessageDepartment

ON_TIME, LATE, MISSING = "on_time", "late", "missing"


@dataclass(frozen=True)
class DepartmentStatus:
    code: str
    name: str
    region: str
    status: str
    first_contribution_at: dt.datetime | None
    messages: int
    contributions: int


def closes_at(campaign: Campaign) -> dt.datetime:
    """The first instant that is late: midnight after the deadline day, local time."""
    next_day = campaign.deadline + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=ZoneInfo(campaign.timezone)).astimezone(dt.timezone.utc)


def status_of(first_contribution_at: dt.datetime | None, campaign: Campaign) -> str:
    if first_contribution_at is None:
        return MISSING
    return ON_TIME if first_contribution_at < closes_at(campaign) else LATE


def department_statuses(engine: Engine, campaign: Campaign) -> list[DepartmentStatus]:
    is_contribution = Message.kind == "contribution"
    query = (
        select(
            Department.code,
            Department.name,
            Department.region,
            func.min(Message.received_at).filter(is_contribution),
            func.count(Message.id),
            func.count(Message.id).filter(is_contribution),
        )
        .select_from(Department)
        .outerjoin(MessageDepartment, MessageDepartment.department_code == Department.code)
        .outerjoin(Message, Message.id == MessageDepartment.message_id)
        .group_by(Department.code, Department.name, Department.region)
        .order_by(Department.code)
    )
    rows = []
    with engine.connect() as connection:
        for code, name, region, first, messages, contributions in connection.execute(query):
            first = _as_utc(first)
            rows.append(
                DepartmentStatus(code, name, region, status_of(first, campaign), first, messages, contributions)
            )
    return rows


def _as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Aggregates bypass the column type, so SQLite hands back a naive UTC value."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
