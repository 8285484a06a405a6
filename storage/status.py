"""Which departments have responded, on time or late, and which are missing.

A department has responded when its first message of kind `contribution`
has arrived; questions, auto-replies, receipts, bounces, spam and survey
answers never count. Kinds and departments are read as corrected
(`storage/corrections.py`); a department a person excused (*dispensé*) is
`exempt`, never late nor missing, unless it answered on time. The deadline
rule is `closes_at`, and only it: the warehouse stores its result in
`campaign.closes_at`, which the `department_status` view compares receipt
times with, and Python reads the statuses from that view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from bilan.storage.models import Campaign
from bilan.storage.tabular import Sheet, typed_rows
from bilan.storage.views import CAMPAIGN_STATUS, DEPARTMENT_STATUS, AnalystView

ON_TIME, LATE, MISSING, EXEMPT = "on_time", "late", "missing", "exempt"


@dataclass(frozen=True)
class DepartmentStatus:
    """One row of the `department_status` view (the fields after
    `contributions` come with the follow-up and have defaults)."""

    code: str
    name: str
    region: str
    status: str
    first_contribution_at: dt.datetime | None
    messages: int
    contributions: int
    modality: int | None = None
    annexes: frozenset[int] = frozenset()
    survey_answers: int = 0
    messages_with_errors: int = 0
    unreadable_files: int = 0
    #: Files read but cut by a limit (pages, rows): what they hold beyond it is not in the warehouse.
    files_read_in_part: int = 0
    flagged_for_review: int = 0
    reminders_sent: int = 0
    last_reminder_at: dt.datetime | None = None
    #: Contributions whose sender failed authentication or wrote from a
    #: domain that is not the department's (flagged for review).
    doubtful_senders: int = 0
    #: A person excused the department (a `department_exempt` correction):
    #: it is never reminded, and its status is `exempt` unless it answered on time.
    exempt: bool = False

    def missing_annexes(self, required: tuple[int, ...]) -> list[int]:
        return [number for number in required if number not in self.annexes]


@dataclass(frozen=True)
class CampaignStatus:
    """The `campaign_status` view: the picture at a glance."""

    name: str
    deadline: dt.date
    departments: int
    on_time: int
    late: int
    missing: int
    messages: int
    contributions: int
    messages_not_processed: int
    messages_with_errors: int
    unreadable_files: int
    flagged_for_review: int
    exempt: int = 0


def closes_at(campaign: Campaign) -> dt.datetime:
    """The first instant that is late: midnight after the deadline day, in
    the campaign's time zone (on time is strictly before it). Stored in
    `campaign.closes_at` whenever the campaign is written, for SQL."""
    next_day = campaign.deadline + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=ZoneInfo(campaign.timezone)).astimezone(dt.UTC)


def department_statuses(engine: Engine, campaign: Campaign) -> list[DepartmentStatus]:
    """The 101 departments, read from the `department_status` view (so that
    the terminal, the exports and SQL users all see the same thing)."""
    sheet = _read(engine, DEPARTMENT_STATUS, campaign)
    rows = []
    for row in sheet.rows:
        values = dict(zip((column.name for column in sheet.columns), row))
        rows.append(
            DepartmentStatus(
                code=values["department_code"],
                name=values["department_name"],
                region=values["region"],
                status=values["status"],
                first_contribution_at=values["first_contribution_at"],
                messages=values["messages"],
                contributions=values["contributions"],
                modality=values["modality"],
                annexes=frozenset(n for n in (1, 2, 3) if values[f"annexe{n}_received"]),
                survey_answers=values["survey_answers"],
                messages_with_errors=values["messages_with_errors"],
                unreadable_files=values["unreadable_files"],
                files_read_in_part=values["files_read_in_part"],
                flagged_for_review=values["flagged_for_review"],
                reminders_sent=values["reminders_sent"],
                last_reminder_at=values["last_reminder_at"],
                doubtful_senders=values["doubtful_senders"],
                exempt=bool(values["exempt"]),
            )
        )
    return rows


def campaign_status(engine: Engine, campaign: Campaign) -> CampaignStatus:
    sheet = _read(engine, CAMPAIGN_STATUS, campaign)
    values = dict(zip((column.name for column in sheet.columns), sheet.rows[0]))
    del values["campaign_id"]
    values["name"] = values.pop("campaign")
    return CampaignStatus(**values)


def _read(engine: Engine, view: AnalystView, campaign: Campaign) -> Sheet:
    names = ", ".join(column.name for column in view.columns)
    query = text(f"SELECT {names} FROM {view.name} WHERE campaign_id = :campaign ORDER BY {view.order_by}")
    with engine.connect() as connection:
        rows = connection.execute(query, {"campaign": campaign.id}).all()
    return Sheet(view.name, view.title, view.columns, typed_rows(rows, view.columns))


def contributions_by_day(engine: Engine, campaign: Campaign) -> list[tuple[dt.date, int, int]]:
    """Progress over time: for each local day with a first contribution, the
    departments that responded that day and the running total."""
    zone = ZoneInfo(campaign.timezone)
    days: dict[dt.date, int] = {}
    for row in department_statuses(engine, campaign):
        if row.first_contribution_at is not None:
            day = row.first_contribution_at.astimezone(zone).date()
            days[day] = days.get(day, 0) + 1
    series, total = [], 0
    for day in sorted(days):
        total += days[day]
        series.append((day, days[day], total))
    return series
