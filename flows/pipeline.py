"""The plain functions behind the flows: archive a raw message, then parse,
extract and load it. No Prefect here, so that tests, the CLI and the
benchmarks call exactly what the flows call."""

from __future__ import annotations

import contextlib
import email.policy
import logging
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from bilan.flows.sources import RawMessage
from bilan.nlp.extraction import extract
from bilan.parsers.cache import ParseCache
from bilan.parsers.limits import Limits
from bilan.parsers.message import ParsedMessage, parse_message, read_envelope
from bilan.parsers.pool import shared_pool
from bilan.storage.warehouse import ArchivedMessage, Warehouse

if TYPE_CHECKING:
    from bilan.flows.progress import Progress
    from bilan.settings import Settings

log = logging.getLogger(__name__)

#: Messages archived before their processing starts: enough to keep the
#: parser workers busy, few enough that a crash repeats little.
BATCH = 20


@lru_cache(maxsize=4)
def _warehouse(database_url: str, archive_dir: str) -> Warehouse:
    from bilan.settings import get_settings

    settings = get_settings().model_copy(update={"database_url": database_url, "archive_dir": Path(archive_dir)})
    return Warehouse.open(settings)


def open_warehouse(settings: Settings) -> Warehouse:
    """One warehouse per process and database (migrations run once)."""
    return _warehouse(settings.database_url, str(settings.archive_path))


@dataclass(frozen=True)
class IngestedMessage:
    """What one message became once processed: the payload of the
    `bilan.message.ingested` event."""

    sha256: str
    message_id: str | None
    kind: str
    departments: list[str]


@dataclass(frozen=True)
class Processing:
    """How to parse: the limits and the parse cache of the settings."""

    limits: Limits = field(default_factory=Limits)
    cache: ParseCache | None = None


@dataclass
class StageClock:
    """Seconds spent per stage (fetch, archive, parse, extract, load), for the
    summary and the benchmarks."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start


@dataclass
class IngestSummary:
    new: int = 0
    already_known: int = 0
    processed: int = 0
    failed: int = 0
    attachments: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    #: Messages processed by this run, in order (for events and logs).
    ingested: list[IngestedMessage] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        self.new += other.new
        self.already_known += other.already_known
        self.processed += other.processed
        self.failed += other.failed
        self.attachments.update(other.attachments)
        self.ingested.extend(other.ingested)
        for stage, seconds in other.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def to_json(self) -> dict:
        return {
            "new": self.new,
            "already_known": self.already_known,
            "processed": self.processed,
            "failed": self.failed,
            "attachments": dict(self.attachments),
            "seconds": {stage: round(seconds, 3) for stage, seconds in self.seconds.items()},
        }

    def describe(self) -> str:
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(self.attachments.items()))
        return (
            f"messages: {self.new} new, {self.already_known} already known, {self.processed} processed, "
            f"{self.failed} failed; attachments: {statuses or 'none'}"
        )


def archive_raw(warehouse: Warehouse, message: RawMessage) -> ArchivedMessage:
    """Keep the message before anything else: raw file, then its row. Only the
    headers are read here, so a message whose body breaks every parser is
    still archived."""
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(message.raw)
    envelope = read_envelope(headers)
    received_at = message.received_at or envelope.received_at
    return warehouse.archive_message(message.raw, envelope, message.source, received_at)


def process_archived(
    warehouse: Warehouse,
    sha256: str,
    *,
    limits: Limits = Limits(),
    replace: bool = False,
    clock: StageClock | None = None,
    cache: ParseCache | None = None,
    prefetched: Future[ParsedMessage] | None = None,
    link_follow_ups: bool = True,
) -> IngestSummary:
    """Parse, extract and load one archived message. Any failure is recorded
    on the message (which stays to be processed again) and never raised: one
    bad message must not stop a run. `prefetched` is the message already
    being parsed in the background (see `process_many`); `link_follow_ups`
    as in `Warehouse.record_processing`."""
    clock = clock or StageClock()
    summary = IngestSummary()
    try:
        with clock.stage("parse"):
            if prefetched is not None:
                parsed = prefetched.result()
            else:
                parsed = parse_message(warehouse.archive.load(sha256), limits, cache=cache)
        with clock.stage("extract"):
            extraction = extract(parsed)
        with clock.stage("load"):
            stored = warehouse.record_processing(
                sha256, parsed, extraction, replace=replace, link_follow_ups=link_follow_ups
            )
    except Exception as exc:
        log.error("message %s could not be processed: %s", sha256[:12], exc)
        warehouse.record_failure(sha256, "".join(traceback.format_exception_only(exc)).strip())
        summary.failed += 1
        return summary
    if stored:
        summary.processed += 1
        summary.attachments.update(a.status.value for a in parsed.attachments)
        summary.ingested.append(
            IngestedMessage(
                sha256=sha256,
                message_id=parsed.envelope.message_id,
                kind=extraction.kind,
                departments=[d.code for d in extraction.departments],
            )
        )
    return summary


def ingest_batch(
    warehouse: Warehouse,
    messages: list[RawMessage],
    *,
    processing: Processing = Processing(),
    clock: StageClock | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Archive a few messages, then process those not processed yet (by an
    earlier run, or by another process meanwhile), parsing ahead in the
    background. Returns once every row of the batch is committed."""
    clock = clock or StageClock()
    summary = IngestSummary()
    pending: list[str] = []
    for message in messages:
        with clock.stage("archive"):
            archived = archive_raw(warehouse, message)
        summary.new += archived.new
        summary.already_known += not archived.new
        if not archived.processed:
            pending.append(archived.sha256)
        elif progress is not None:
            progress.advance()
    summary.add(
        process_many(warehouse, pending, limits=processing.limits, cache=processing.cache, progress=progress,
                     clock=clock)
    )  # fmt: skip
    return summary


def ingest_messages(
    warehouse: Warehouse,
    messages: Iterator[RawMessage],
    *,
    processing: Processing = Processing(),
    progress: Progress | None = None,
) -> IngestSummary:
    """Archive and process the messages of a source by batches, so that a
    crash loses nothing (what is archived is processed by the next run)."""
    clock = StageClock()
    summary = IngestSummary()
    iterator = iter(messages)
    while True:
        with clock.stage("fetch"):
            batch = list(islice(iterator, BATCH))
        if not batch:
            break
        summary.add(ingest_batch(warehouse, batch, processing=processing, clock=clock, progress=progress))
    summary.seconds = dict(clock.seconds)
    return summary


def process_backlog(
    warehouse: Warehouse, *, processing: Processing = Processing(), progress: Progress | None = None
) -> IngestSummary:
    """Process what earlier runs archived but did not finish (a crash) or
    could not process (their error is kept; they are tried again)."""
    shas = warehouse.unprocessed()
    if not shas:
        return IngestSummary()
    log.info("%d archived message(s) left to process by an earlier run", len(shas))
    if progress is not None:
        progress.start(len(shas), "left by earlier runs")
    summary = process_many(warehouse, shas, limits=processing.limits, cache=processing.cache, progress=progress)
    if progress is not None:
        progress.finish()
    return summary


def parse_setup(settings) -> tuple[Limits, ParseCache]:
    """The parsers' limits and cache from the settings; starts the shared
    parser pool with the configured number of workers."""
    shared_pool(settings.parse_workers)
    return settings.parse_limits(), ParseCache(settings.parse_cache_path)


def processing_for(settings) -> Processing:
    """`parse_setup` as one value for the functions above."""
    limits, cache = parse_setup(settings)
    return Processing(limits=limits, cache=cache)


def process_many(
    warehouse: Warehouse,
    shas: list[str],
    *,
    replace: bool = False,
    limits: Limits = Limits(),
    cache: ParseCache | None = None,
    progress: Progress | None = None,
    clock: StageClock | None = None,
    link_follow_ups: bool = True,
) -> IngestSummary:
    """Process messages in order, parsing the next ones in the background
    while the current one is extracted and loaded, so that the parser
    workers stay busy (a message alone rarely has files for all of them)."""
    own_clock = clock is None
    clock = clock or StageClock()
    summary = IngestSummary()
    ahead = max(shared_pool().size, 1)

    def parse(sha256: str) -> ParsedMessage:
        return parse_message(warehouse.archive.load(sha256), limits, cache=cache)

    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="bilan-parse") as executor:
        futures: dict[int, Future[ParsedMessage]] = {}
        for position, sha256 in enumerate(shas):
            for upcoming in range(position, min(position + ahead + 1, len(shas))):
                if upcoming not in futures:
                    futures[upcoming] = executor.submit(parse, shas[upcoming])
            summary.add(
                process_archived(
                    warehouse, sha256, clock=clock, replace=replace, limits=limits, cache=cache,
                    prefetched=futures.pop(position), link_follow_ups=link_follow_ups,
                )
            )
            if progress is not None:
                progress.advance()
    if own_clock:
        summary.seconds = dict(clock.seconds)
    return summary
