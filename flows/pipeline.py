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
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bilan.flows.sources import RawMessage
from bilan.nlp.extraction import extract
from bilan.parsers.limits import Limits
from bilan.parsers.message import parse_message, read_envelope
from bilan.storage.warehouse import ArchivedMessage, Warehouse

if TYPE_CHECKING:
    from bilan.flows.progress import Progress
    from bilan.settings import Settings

log = logging.getLogger(__name__)


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
) -> IngestSummary:
    """Parse, extract and load one archived message. Any failure is recorded
    on the message (which stays to be processed again) and never raised: one
    bad message must not stop a run."""
    clock = clock or StageClock()
    summary = IngestSummary()
    try:
        raw = warehouse.archive.load(sha256)
        with clock.stage("parse"):
            parsed = parse_message(raw, limits)
        with clock.stage("extract"):
            extraction = extract(parsed)
        with clock.stage("load"):
            stored = warehouse.record_processing(sha256, parsed, extraction, replace=replace)
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


def ingest_message(warehouse: Warehouse, message: RawMessage, clock: StageClock | None = None) -> IngestSummary:
    """Archive one message, then process it unless that was done already
    (by an earlier run, or by another process meanwhile)."""
    clock = clock or StageClock()
    with clock.stage("archive"):
        archived = archive_raw(warehouse, message)
    summary = IngestSummary(new=int(archived.new), already_known=int(not archived.new))
    if not archived.processed:
        summary.add(process_archived(warehouse, archived.sha256, clock=clock))
    return summary


def ingest_messages(
    warehouse: Warehouse, messages: Iterator[RawMessage], *, progress: Progress | None = None
) -> IngestSummary:
    """Archive and process the messages of a source one by one, so that a
    crash loses nothing (what is archived is processed by the next run)."""
    clock = StageClock()
    summary = IngestSummary()
    iterator = iter(messages)
    while True:
        with clock.stage("fetch"):
            message = next(iterator, None)
        if message is None:
            break
        summary.add(ingest_message(warehouse, message, clock))
        if progress is not None:
            progress.advance()
    summary.seconds = dict(clock.seconds)
    return summary


def process_backlog(warehouse: Warehouse, *, progress: Progress | None = None) -> IngestSummary:
    """Process what earlier runs archived but did not finish (a crash) or
    could not process (their error is kept; they are tried again)."""
    shas = warehouse.unprocessed()
    if shas:
        log.info("%d archived message(s) left to process by an earlier run", len(shas))
    return process_many(warehouse, shas, progress=progress)


def process_many(
    warehouse: Warehouse, shas: list[str], *, replace: bool = False, progress: Progress | None = None
) -> IngestSummary:
    clock = StageClock()
    summary = IngestSummary()
    if progress is not None:
        progress.start(len(shas), "reprocessing" if replace else "processing")
    for sha256 in shas:
        summary.add(process_archived(warehouse, sha256, clock=clock, replace=replace))
        if progress is not None:
            progress.advance()
    summary.seconds = dict(clock.seconds)
    return summary
