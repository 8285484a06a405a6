"""`bilan reprocess`: parse and extract archived messages again, so that an
improved parser or extractor applies to the whole campaign.

IMAP is not touched: the raw archive is the input. Each message's derived
rows (attachments, texts, departments, kind...) are replaced in one
transaction (`Warehouse.record_processing(..., replace=True)`), so a crash
or a concurrent reader sees either the old rows or the new ones, never a
mix, and running it twice changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger

from bilan.flows.pipeline import IngestSummary, open_warehouse, parse_setup, process_many
from bilan.flows.progress import LogProgress, Progress
from bilan.settings import Settings, get_settings
from bilan.storage.warehouse import Warehouse


@dataclass(frozen=True)
class Selection:
    """Which archived messages to reprocess; every criterion given must hold.
    Dates are days of the campaign's time zone, both included."""

    departments: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    kinds: tuple[str, ...] = ()
    only_failed: bool = False
    timezone: str = field(default="Europe/Paris")

    def describe(self) -> str:
        parts = []
        if self.departments:
            parts.append("departments " + ", ".join(self.departments))
        if self.since or self.until:
            parts.append(f"received {self.since or '…'} to {self.until or '…'}")
        if self.kinds:
            parts.append("kind " + " or ".join(self.kinds))
        if self.only_failed:
            parts.append("that failed")
        return "; ".join(parts) or "all messages"

    def matching(self, warehouse: Warehouse) -> list[str]:
        zone = ZoneInfo(self.timezone)

        def start_of(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)

        return warehouse.select_messages(
            departments=self.departments,
            since=start_of(self.since) if self.since else None,
            until=start_of(self.until + dt.timedelta(days=1)) if self.until else None,
            kinds=self.kinds,
            only_failed=self.only_failed,
        )


def reprocess(settings: Settings, selection: Selection, progress: Progress | None = None) -> IngestSummary:
    """The parse cache stays in use: its key holds the parser version, so an
    improved parser reads the files again, and an unchanged one need not."""
    warehouse = open_warehouse(settings)
    shas = selection.matching(warehouse)
    limits, cache = parse_setup(settings)
    if progress is not None:
        progress.start(len(shas), "reprocessing")
    summary = process_many(warehouse, shas, replace=True, limits=limits, cache=cache, progress=progress)
    if progress is not None:
        progress.finish()
    return summary


@flow(name="reprocess_messages")
def reprocess_messages(
    departments: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kinds: list[str] | None = None,
    only_failed: bool = False,
) -> IngestSummary:
    """Reprocess archived messages (all, or a selection) without touching IMAP."""
    settings = get_settings()
    selection = Selection(
        departments=tuple(departments or ()), since=since, until=until, kinds=tuple(kinds or ()),
        only_failed=only_failed, timezone=settings.campaign_timezone,
    )  # fmt: skip
    logger = get_run_logger()
    logger.info("reprocessing %s", selection.describe())
    summary = reprocess(settings, selection, LogProgress(logger))
    logger.info(summary.describe())
    return summary
