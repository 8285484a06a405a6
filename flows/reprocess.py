"""`bilan reprocess`: parse and extract archived messages again, so that an
improved parser or extractor applies to the whole campaign.

IMAP is not touched: the raw archive is the input. Each message's derived
rows (attachments, texts, departments, kind...) are replaced in one
transaction (`Warehouse.record_processing(..., replace=True)`), so a crash
or a concurrent reader sees either the old rows or the new ones, never a
mix, and running it twice changes nothing more.

Scale-out: `Shard(index, count)` keeps the messages whose sha256, read as a
number, leaves `index` modulo `count`; the shards of one count partition any
selection (each message in exactly one), whatever the order or the moment
each shard lists it. Shards run as separate processes (or machines) against
one PostgreSQL warehouse and one shared archive; each loads spaCy and starts
its parser pool once. Rows are written per message, keyed on the sha256, so
the shards never write the same message. The only rows that depend on other
messages are the follow-up links (`storage/follow_up_links.py`). Linking them
message by message, as an ingestion does, would update every contribution of
the message's departments in each message's transaction: two shards doing so
at once can each miss the other's uncommitted message, and deadlock
(measured on PostgreSQL with 10,000 messages). So reprocessing loads the
messages without linking them, and every run ends by settling the links of
all departments in one transaction under a named lock: the last run to
finish sees every shard's rows, and its settlement is the one that stays.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bilan.pipeline import IngestSummary, open_warehouse, parse_setup, process_many
from bilan.progress import LogProgress, Progress
from bilan.settings import Settings, get_settings
from bilan.storage.db import transaction
from bilan.storage.follow_up_links import FOLLOW_UPS_LOCK, resolve_follow_ups
from bilan.storage.models import MessageDepartment
from bilan.storage.warehouse import Warehouse

log = logging.getLogger(__name__)

#: PostgreSQL's SQLSTATE for "deadlock detected".
DEADLOCK = "40P01"


@dataclass(frozen=True)
class Shard:
    """One part of a selection out of `count`: the messages whose sha256,
    read as a number, leaves `index` modulo `count`. A hash is uniform, so
    the parts are of about the same size, and stable: it never depends on
    the order of the rows or on what another shard has done."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= index < count")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"I/N"` as written on the command line."""
        index, _, count = text.partition("/")
        try:
            return cls(int(index), int(count))
        except ValueError as exc:
            raise ValueError(f"shard {text!r}: expected I/N with 0 <= I < N, e.g. 0/2") from exc

    def keeps(self, sha256: str) -> bool:
        return int(sha256, 16) % self.count == self.index

    def of(self, shas: list[str]) -> list[str]:
        """This shard's part of `shas`, in their order."""
        return [sha for sha in shas if self.keeps(sha)] if self.count > 1 else list(shas)

    def describe(self) -> str:
        return f"shard {self.index}/{self.count}"


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


def reprocess(
    settings: Settings, selection: Selection, progress: Progress | None = None, shard: Shard = Shard()
) -> IngestSummary:
    """Reprocess the selection (only `shard`'s part of it), then settle the
    follow-up links. The parse cache stays in use: its key holds the parser
    version, so an improved parser reads the files again, and an unchanged
    one need not."""
    warehouse = open_warehouse(settings)
    shas = shard.of(selection.matching(warehouse))
    limits, cache = parse_setup(settings)
    if progress is not None:
        progress.start(len(shas), "reprocessing" if shard.count == 1 else f"reprocessing ({shard.describe()})")
    summary = process_many(
        warehouse, shas, replace=True, limits=limits, cache=cache, progress=progress, link_follow_ups=False
    )
    if progress is not None:
        progress.finish()
    if shas:
        started = time.perf_counter()
        settle_follow_ups(warehouse)
        summary.seconds["follow-ups"] = time.perf_counter() - started
    return summary


def settle_follow_ups(warehouse: Warehouse, attempts: int = 5) -> None:
    """Recompute the follow-up links of every department from all the stored
    messages, in one transaction, one run at a time: the links are then
    those of the whole warehouse, whatever the order or the process the
    messages were loaded in. An ingestion loading a message meanwhile may
    still lock the same rows in another order: PostgreSQL then breaks the
    deadlock by failing one transaction, and this one is tried again."""
    for attempt in range(1, attempts + 1):
        try:
            with warehouse.lock(FOLLOW_UPS_LOCK), transaction(warehouse.engine) as session:
                codes = set(session.scalars(select(MessageDepartment.department_code).distinct()))
                resolve_follow_ups(session, codes, warehouse.campaign.timezone)
            return
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK or attempt == attempts:
                raise
            log.warning("follow-up links: deadlock with another writer, trying again (%d/%d)", attempt, attempts)


@flow(name="reprocess_messages")
def reprocess_messages(
    departments: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kinds: list[str] | None = None,
    only_failed: bool = False,
    shard: int = 0,
    shards: int = 1,
) -> IngestSummary:
    """Reprocess archived messages (all, or a selection) without touching IMAP.
    With `shards` > 1, only the part `shard` (0 to shards - 1) of the
    selection: start one run per part, on as many workers, to spread the work."""
    settings = get_settings()
    selection = Selection(
        departments=tuple(departments or ()), since=since, until=until, kinds=tuple(kinds or ()),
        only_failed=only_failed, timezone=settings.campaign_timezone,
    )  # fmt: skip
    logger = get_run_logger()
    part = Shard(shard, shards)
    logger.info("reprocessing %s%s", selection.describe(), f" ({part.describe()})" if shards > 1 else "")
    summary = reprocess(settings, selection, LogProgress(logger), part)
    logger.info(summary.describe())
    return summary
