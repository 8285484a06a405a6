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

from bilan.flows.sources import RawMessage
from bilan.nlp.extraction import extract
from concurrent.futures import Future, ThreadPoolExecutor

from bilan.parsers.cache import ParseCache
from bilan.parsers.limits import Limits
from bilan.parsers.message import ParsedMessage, parse_message, read_envelope
from bilan.parsers.pool import shared_pool
from bilan.storage.warehouse import ArchivedMessage, Warehouse

log = logging.getLogger(__name__)


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

    def add(self, other: IngestSummary) -> None:
        self.new += other.new
        self.already_known += other.already_known
        self.processed += other.processed
        self.failed += other.failed
        self.attachments.update(other.attachments)
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
) -> IngestSummary:
    """Parse, extract and load one archived message. Any failure is recorded
    on the message (which stays to be processed again) and never raised: one
    bad message must not stop a run. `prefetched` is the message already
    being parsed in the background (see `process_many`)."""
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
            stored = warehouse.record_processing(sha256, parsed, extraction, replace=replace)
    except Exception as exc:
        log.error("message %s could not be processed: %s", sha256[:12], exc)
        warehouse.record_failure(sha256, "".join(traceback.format_exception_only(exc)).strip())
        summary.failed += 1
        return summary
    if stored:
        summary.processed += 1
        summary.attachments.update(a.status.value for a in parsed.attachments)
    return summary


def ingest_source_messages(
    warehouse: Warehouse, messages: Iterator[RawMessage]
) -> tuple[list[str], IngestSummary]:
    """Archive every message of a source; return those that still need processing."""
    clock = StageClock()
    summary = IngestSummary()
    pending: list[str] = []
    iterator = iter(messages)
    while True:
        with clock.stage("fetch"):
            message = next(iterator, None)
        if message is None:
            break
        with clock.stage("archive"):
            archived = archive_raw(warehouse, message)
        if archived.new:
            summary.new += 1
        else:
            summary.already_known += 1
        if not archived.processed:
            pending.append(archived.sha256)
    summary.seconds = dict(clock.seconds)
    return pending, summary


def parse_setup(settings) -> tuple[Limits, ParseCache]:
    """The parsers' limits and cache from the settings; starts the shared
    parser pool with the configured number of workers."""
    shared_pool(settings.parse_workers)
    return settings.parse_limits(), ParseCache(settings.parse_cache_path)


def process_many(
    warehouse: Warehouse,
    shas: list[str],
    *,
    replace: bool = False,
    limits: Limits = Limits(),
    cache: ParseCache | None = None,
) -> IngestSummary:
    """Process messages in order, parsing the next ones in the background
    while the current one is extracted and loaded, so that the parser
    workers stay busy (a message alone rarely has files for all of them)."""
    clock = StageClock()
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
                    prefetched=futures.pop(position),
                )
            )
    summary.seconds = dict(clock.seconds)
    return summary
