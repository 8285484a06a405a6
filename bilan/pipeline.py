"""The stages every message goes through: archive the raw message, then
parse, extract and load it; and reprocessing (`Selection`, `Shard`,
`reprocess`), the same stages again over archived messages.

No Prefect here, so that tests, the CLI and the benchmarks call exactly what
the flows call (`flows/`).

Reprocessing: IMAP is not touched, the raw archive is the input. Each
message's derived rows (attachments, texts, departments, kind...) are
replaced in one transaction (`Warehouse.record_processing(..., replace=True)`),
so a crash or a concurrent reader sees either the old rows or the new ones,
never a mix, and running it twice changes nothing more.

Scale-out: a run split in N parts (`--shards N`, `plan_parts`) lists its
selection once, as a shared work list in the warehouse
(`storage/work_list.py`), in groups: the messages whose largest file is the
same (a file forwarded many times, as the warehouse knows it from an
earlier processing) form one group, which one part parses and reads once
(parse cache, memos); the largest groups come first, so that the last ones
are small. Each part (`Shard(index, count, work_list)`) takes the next
groups as it finishes the previous ones: a slower part takes fewer, and the
parts end together; a group is taken by exactly one part. Parts started by
hand (`--shard I/N`) share no list: part I keeps the messages whose sha256,
read as a number, leaves I modulo N, which never changes, so parts listing
the selection at any moments still partition it.
Shards run as separate processes (or machines) against
one PostgreSQL warehouse and one shared archive; each loads spaCy and starts
its parser pool once. Rows are written per message, keyed on the sha256, so
the shards never write the same message. The only rows that depend on other
messages are the follow-up links (`storage/follow_up_links.py`). Linking them
message by message, as an ingestion does, would update every contribution of
the message's departments in each message's transaction: two shards doing so
at once can each miss the other's uncommitted message, and deadlock
(measured on PostgreSQL with 10,000 messages). So reprocessing loads the
messages without linking them, and every run ends by settling the links of
all departments (`Warehouse.settle_follow_ups`): the last run to finish sees
every shard's rows, and its settlement is the one that stays.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bilan.extraction_pool import ExtractionPool, plan_workers
from bilan.loading import message_record
from bilan.mailbox.raw import RawMessage
from bilan.nlp import memo
from bilan.parsers.cache import ParseCache
from bilan.parsers.header_block import bound_header_block
from bilan.parsers.headers import LENIENT
from bilan.parsers.limits import Limits
from bilan.parsers.message import Envelope, ParsedMessage, parse_message, read_envelope
from bilan.parsers.pool import ParserPool, default_pool
from bilan.storage.warehouse import ArchivedMessage, Warehouse
from bilan.storage.work_list import WorkList

if TYPE_CHECKING:
    from bilan.nlp.extraction import Extraction
    from bilan.nlp.review import ReviewThresholds
    from bilan.progress import Progress
    from bilan.settings import Settings
    from bilan.storage.records import MessageRecord

log = logging.getLogger(__name__)

#: Messages archived before their processing starts: enough to keep the
#: parser workers busy, few enough that a crash repeats little.
BATCH = 20
#: Messages being parsed ahead of the one being extracted, per parser
#: worker: a parsed message is small (text and cells), and a deep enough
#: queue lets the other workers go on while one is busy with a slow file.
PARSE_AHEAD_PER_WORKER = 6
#: With extraction workers, messages parsed ahead of the one being loaded:
#: enough for the parsing to go on while the workers load the language
#: models (seconds: on the dev corpus, most of its messages are parsed by
#: then) and while one message waits for a slow file, instead of stopping
#: once a few messages wait for their extraction. A parsed message is its
#: text and cells: 256 of the corpus's hold some tens of MB.
EXTRACT_AHEAD = 256
#: Messages taken ahead of the one being loaded when they come from a work
#: list shared with other parts (`Shard.work_list`): a message taken is out
#: of the other parts' reach, so a part that takes 256 ahead may still be
#: busy with them after the others have ended. 32 keeps a part's own
#: workers busy (its processes share one core when pinned).
SHARED_AHEAD = 32
#: Groups of messages a part takes from a shared work list at a time: about
#: a second of work, one short transaction.
GROUPS_PER_TAKE = 8


@dataclass
class Prepared:
    """A message parsed (`parsed`: the caller extracts it) or, when
    extraction runs in worker processes, read: then only the rows to store
    and what the run's summary counts are kept, not the parsed documents,
    so that many messages can wait here for their turn to be loaded."""

    parsed: ParsedMessage | None
    record: MessageRecord | None = None
    message_id: str | None = None
    statuses: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, parsed: ParsedMessage, record: MessageRecord) -> Prepared:
        return cls(None, record, parsed.envelope.message_id, [a.status.value for a in parsed.attachments])


def extract(parsed: ParsedMessage, thresholds: ReviewThresholds | None = None) -> Extraction:
    """`nlp.extraction.extract`, imported on first use: with extraction
    workers, this process never imports spaCy and the extractors."""
    from bilan.nlp.extraction import extract as extract_in_process

    return extract_in_process(parsed) if thresholds is None else extract_in_process(parsed, thresholds)


def warm_up_in_background() -> None:
    from bilan.nlp.extraction import warm_up_in_background as start

    start()


class Pipeline:
    """What processing messages needs, built once per run and passed down:
    the warehouse, the parser worker processes, the extraction worker
    processes, the parse cache, the parsers' limits and the review
    thresholds. `Pipeline.open(settings)` builds them from the settings and
    starts the extraction workers, which load the language models while the
    first messages are archived and parsed; close it (or use it as a context
    manager) to stop the workers it started.

    Built directly, from a warehouse alone (tests, scripts), it parses with
    the default limits, no cache, the process's default pool of parser
    workers (`parsers.pool.default_pool`), extracts in the calling process
    (no `extractors`) with the thresholds of the current settings."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        pool: ParserPool | None = None,
        limits: Limits = Limits(),
        cache: ParseCache | None = None,
        thresholds: ReviewThresholds | None = None,
        extractors: ExtractionPool | None = None,
    ):
        self.warehouse = warehouse
        self.pool = pool if pool is not None else default_pool()
        self.limits = limits
        self.cache = cache
        self.thresholds = thresholds
        #: Extraction worker processes; None extracts in this process.
        self.extractors = extractors
        self._owned_pool: ParserPool | None = None
        self._owns_warehouse = False
        self._memo_store: memo.MemoStore | None = None

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        pool: ParserPool | None = None,
        warm_up: bool = True,
        extractors: ExtractionPool | None = None,
    ) -> Pipeline:
        """The warehouse of the settings (migrated), a pool of
        BILAN_PARSE_WORKERS workers (`pool`: one the caller owns instead),
        BILAN_EXTRACT_WORKERS extraction workers (0: extract in this
        process; unset, both from the cores: `extraction_pool.plan_workers`),
        the parse cache and limits of the settings, and the store of NLP
        results beside the parse cache (`nlp/memo.py`: for this process when
        it extracts, until the pipeline is closed; else for the workers).
        `warm_up`: start the parser workers and the loading of the language
        models now, in the background (in the extraction workers, or in a
        thread of this process), while the first messages are archived;
        without it, both start with the first files.
        `extractors`: the workers `extraction_pool.start_early` started
        already, which the pipeline then owns (and closes)."""
        parse_workers, extract_workers = plan_workers(
            settings.parse_workers if pool is None else pool.size, settings.extract_workers
        )
        if extractors is None and extract_workers:
            extractors = ExtractionPool(extract_workers, memo_store=settings.nlp_memo_path)
            if warm_up:
                extractors.start()  # first: loading the models is the longest thing to wait for
        own_pool = ParserPool(parse_workers) if pool is None else None
        if own_pool is not None and warm_up:
            own_pool.start()
        try:
            warehouse = Warehouse.open(settings)
        except BaseException:
            if extractors is not None:
                extractors.close()
            if own_pool is not None:
                own_pool.close()
            raise
        pipeline = cls(
            warehouse, pool=pool if pool is not None else own_pool, limits=settings.parse_limits(),
            cache=ParseCache(settings.parse_cache_path), thresholds=settings.review_thresholds(),
            extractors=extractors,
        )  # fmt: skip
        pipeline._owned_pool = own_pool
        pipeline._owns_warehouse = True
        if extractors is None:
            pipeline._memo_store = memo.use_store(settings.nlp_memo_path)
            if warm_up:
                warm_up_in_background()
        return pipeline

    def parse(self, sha256: str) -> ParsedMessage:
        """The archived message `sha256`, parsed (files by the pool, through the cache)."""
        return parse_message(self.warehouse.archive.load(sha256), self.limits, pool=self.pool, cache=self.cache)

    def extract(self, parsed: ParsedMessage) -> Extraction:
        """What the NLP stage reads from a parsed message, read in this
        process (`prepare` uses the extraction workers when there are some)."""
        return extract(parsed) if self.thresholds is None else extract(parsed, self.thresholds)

    def prepare(self, sha256: str, clock: StageClock | None = None) -> Prepared:
        """The archived message parsed, and extracted when that happens in
        worker processes: what a thread of `process_many` does ahead of the
        loading, so that parsing and extraction of the next messages overlap
        the loading of this one."""
        clock = clock or StageClock()
        with clock.stage("parse"):
            parsed = self.parse(sha256)
        return self.read(parsed, clock)

    def read(self, parsed: ParsedMessage | Future[ParsedMessage], clock: StageClock) -> Prepared:
        """The message, once parsed, read by an extraction worker (as is
        without them: the caller extracts it)."""
        if isinstance(parsed, Future):
            parsed = parsed.result()
        if self.extractors is None:
            return Prepared(parsed)
        with clock.stage("extract", cpu=False):
            record, seconds = self.extractors.read(parsed, self.thresholds)
        clock.add_cpu("extract", seconds)
        return Prepared.read(parsed, record)

    def _parse_timed(self, sha256: str, clock: StageClock) -> ParsedMessage:
        with clock.stage("parse"):
            return self.parse(sha256)

    def close(self) -> None:
        """Stop the parser and extraction workers this pipeline started, and
        close the connections of the warehouse it opened: SQLite then folds
        its write-ahead log into the database now, not whenever the
        interpreter gets to it (safe to call twice; the warehouse reconnects
        if used again)."""
        if self._owned_pool is not None:
            self._owned_pool.close()
        if self.extractors is not None:
            self.extractors.close()
        if self._owns_warehouse:
            self.warehouse.engine.dispose()
        if self._memo_store is not None and memo.current_store() is self._memo_store:
            memo.use_store(None)

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


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
    summary and the benchmarks: wall seconds (summed over the threads that
    ran the stage: parse and extract run ahead, in several threads) and CPU
    seconds of this process's threads (the extraction workers' CPU is
    added as they report it, see `add_cpu`)."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def stage(self, name: str, cpu: bool = True) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            wall, used = time.perf_counter() - start, time.thread_time() - start_cpu
            with self._lock:
                self.seconds[name] += wall
                if cpu:
                    self.cpu[name] += used

    def add_cpu(self, name: str, seconds: float) -> None:
        with self._lock:
            self.cpu[name] += seconds

    def into(self, summary: IngestSummary) -> None:
        summary.seconds = dict(self.seconds)
        summary.cpu_seconds = dict(self.cpu)


@dataclass
class IngestSummary:
    """What a run did, counted in messages (a message that fails twice in
    one run counts once)."""

    new: int = 0
    already_known: int = 0
    processed: int = 0
    attachments: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    #: CPU seconds per stage (`StageClock`).
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    #: Messages processed by this run, in order (for events and logs).
    ingested: list[IngestedMessage] = field(default_factory=list)
    #: sha256 of the messages this run could not process (their error is on their row).
    failures: set[str] = field(default_factory=set)
    #: Messages archived with headers the e-mail parser could not read (kept as written).
    unreadable_headers: int = 0

    @property
    def failed(self) -> int:
        return len(self.failures)

    def add(self, other: IngestSummary) -> None:
        self.new += other.new
        self.already_known += other.already_known
        self.processed += other.processed
        self.failures |= other.failures
        self.unreadable_headers += other.unreadable_headers
        self.attachments.update(other.attachments)
        self.ingested.extend(other.ingested)
        for stage, seconds in other.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        for stage, seconds in other.cpu_seconds.items():
            self.cpu_seconds[stage] = self.cpu_seconds.get(stage, 0.0) + seconds

    def to_json(self) -> dict:
        return {
            "new": self.new,
            "already_known": self.already_known,
            "processed": self.processed,
            "failed": self.failed,
            "unreadable_headers": self.unreadable_headers,
            "attachments": dict(self.attachments),
            "seconds": {stage: round(seconds, 3) for stage, seconds in self.seconds.items()},
            "cpu_seconds": {stage: round(seconds, 3) for stage, seconds in self.cpu_seconds.items()},
        }

    def describe(self) -> str:
        statuses = ", ".join(f"{status} {count}" for status, count in sorted(self.attachments.items()))
        return (
            f"messages: {self.new} new, {self.already_known} already known, {self.processed} processed, "
            f"{self.failed} failed{self._unreadable_note()}; attachments: {statuses or 'none'}"
        )

    def _unreadable_note(self) -> str:
        if not self.unreadable_headers:
            return ""
        return f" ({self.unreadable_headers} with headers kept as written)"


def archive_raw(warehouse: Warehouse, message: RawMessage, envelope: Envelope | None = None) -> ArchivedMessage:
    """Keep the message before anything else: raw file, then its row. Only the
    headers are read here, so a message whose body breaks every parser is
    still archived; so is one whose headers cannot be read at all (with an
    empty envelope), since a message lost or a folder stuck behind it is
    worse than a row with no sender. `envelope`: when the caller has read it."""
    envelope = envelope or read_headers(message.raw)
    received_at = message.received_at or envelope.received_at
    return warehouse.archive_message(message.raw, envelope, message.source, received_at)


def read_headers(raw: bytes) -> Envelope:
    """The envelope of a raw message, whatever its headers hold (see `parsers/headers.py`)."""
    try:
        bounded, _ = bound_header_block(raw, Limits())  # the parse stage says which limit was hit
        return read_envelope(BytesHeaderParser(policy=LENIENT).parsebytes(bounded))
    except Exception as exc:  # the lenient policy failed too: a defect of its own, never a lost message
        log.warning("headers of a message could not be read (%s: %s); archived without them", type(exc).__name__, exc)
        return Envelope.unread()


def process_archived(
    pipeline: Pipeline,
    sha256: str,
    *,
    replace: bool = False,
    clock: StageClock | None = None,
    prefetched: Future[Prepared] | None = None,
    link_follow_ups: bool = True,
) -> IngestSummary:
    """Parse, extract and load one archived message. Any failure is recorded
    on the message (which stays to be processed again) and never raised: one
    bad message must not stop a run. `prefetched` is the message already
    being prepared (parsed, and extracted by the extraction workers) in the
    background (see `process_many`); `link_follow_ups` as in
    `Warehouse.record_processing`."""
    clock = clock or StageClock()
    summary = IngestSummary()
    warehouse = pipeline.warehouse
    try:
        if prefetched is not None:
            with clock.stage("wait"):
                prepared = prefetched.result()
        else:
            prepared = pipeline.prepare(sha256, clock)
        if prepared.record is None:
            parsed = prepared.parsed
            with clock.stage("extract"):
                extraction = pipeline.extract(parsed)
            with clock.stage("load"):
                prepared = Prepared.read(parsed, message_record(parsed, extraction))
        record = prepared.record
        with clock.stage("load"):
            stored = warehouse.record_processing(
                sha256, record, replace=replace, link_follow_ups=link_follow_ups
            )
    except Exception as exc:
        log.error("message %s could not be processed: %s", sha256[:12], exc)
        warehouse.record_failure(sha256, "".join(traceback.format_exception_only(exc)).strip())
        summary.failures.add(sha256)
        return summary
    if stored:
        summary.processed += 1
        summary.attachments.update(prepared.statuses)
        summary.ingested.append(
            IngestedMessage(
                sha256=sha256,
                message_id=prepared.message_id,
                kind=record.values.kind,
                departments=[d.code for d in record.departments],
            )
        )
    return summary


def ingest_batch(
    pipeline: Pipeline,
    messages: list[RawMessage],
    *,
    clock: StageClock | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Archive a few messages, then process those not processed yet (by an
    earlier run, or by another process meanwhile), parsing ahead in the
    background. Returns once every row of the batch is committed."""
    clock = clock or StageClock()
    summary = IngestSummary()
    pending = archive_batch(pipeline.warehouse, messages, summary, clock, progress)
    summary.add(process_many(pipeline, pending, progress=progress, clock=clock))
    return summary


def ingest_messages(
    pipeline: Pipeline, messages: Iterator[RawMessage], *, progress: Progress | None = None
) -> IngestSummary:
    """Archive and process the messages of a source, so that a crash loses
    nothing: a message is archived (raw file and row committed) before it is
    parsed, and what is archived is processed by the next run if not by this
    one. Messages are archived by batches as the processing asks for them, so
    that parsing goes on from one batch to the next."""
    clock = StageClock()
    summary = IngestSummary()
    archived = _archived(pipeline.warehouse, messages, summary, clock, progress)
    summary.add(process_many(pipeline, archived, progress=progress, clock=clock))
    clock.into(summary)
    return summary


def _archived(
    warehouse: Warehouse,
    messages: Iterator[RawMessage],
    summary: IngestSummary,
    clock: StageClock,
    progress: Progress | None,
) -> Iterator[str]:
    """The messages of a source archived `BATCH` at a time, counted in
    `summary`; yields those left to process."""
    iterator = iter(messages)
    while True:
        with clock.stage("fetch"):
            batch = list(islice(iterator, BATCH))
        if not batch:
            return
        yield from archive_batch(warehouse, batch, summary, clock, progress)


def archive_batch(
    warehouse: Warehouse,
    messages: list[RawMessage],
    summary: IngestSummary,
    clock: StageClock,
    progress: Progress | None,
) -> list[str]:
    """Archive the messages, the raw files with one flush to disk and the
    rows in one transaction (each counted in `summary` as new or already
    known); returns the sha256 of those left to process."""
    pending: list[str] = []
    with clock.stage("archive"):
        envelopes = [read_headers(message.raw) for message in messages]
        batch = warehouse.archive_messages([
            (message.raw, envelope, message.source, message.received_at or envelope.received_at)
            for message, envelope in zip(messages, envelopes)
        ])  # fmt: skip
    for message, envelope, archived in zip(messages, envelopes, batch):
        if envelope.unreadable_headers:
            summary.unreadable_headers += 1
            log.warning("%s: header(s) %s unreadable by the e-mail parser, kept as written", message.source,
                        ", ".join(envelope.unreadable_headers))  # fmt: skip
        summary.new += archived.new
        summary.already_known += not archived.new
        if not archived.processed:
            pending.append(archived.sha256)
        elif progress is not None:
            progress.advance()
    return pending


def process_backlog(
    pipeline: Pipeline, *, progress: Progress | None = None, tried: set[str] = frozenset()
) -> IngestSummary:
    """Process what earlier runs archived but did not finish (a crash) or
    could not process (their error is kept; they are tried again). `tried`:
    messages this run already failed on, not tried twice."""
    shas = [sha256 for sha256 in pipeline.warehouse.unprocessed() if sha256 not in tried]
    if not shas:
        return IngestSummary()
    log.info("%d archived message(s) left to process by an earlier run", len(shas))
    if progress is not None:
        progress.start(len(shas), "left by earlier runs")
    summary = process_many(pipeline, shas, progress=progress)
    if progress is not None:
        progress.finish()
    return summary


def process_many(
    pipeline: Pipeline,
    shas: Iterable[str],
    *,
    replace: bool = False,
    progress: Progress | None = None,
    clock: StageClock | None = None,
    link_follow_ups: bool = True,
    ahead: int | None = None,
) -> IngestSummary:
    """Process messages in order as a stream: the next ones are parsed (and,
    with extraction workers, extracted, in the order they come) in
    background threads while the current one is loaded, so that the parser
    and extraction workers stay busy (a message alone rarely has files for
    all of them, and one with a slow file must not leave the other workers
    idle) and this process only archives and loads. `shas` may be a lazy
    iterator: it is read only as far as the work ahead needs, at most
    `ahead` messages ahead of the one being loaded if given."""
    own_clock = clock is None
    clock = clock or StageClock()
    summary = IngestSummary()
    parsers = max(pipeline.pool.size, 1)
    extractors = pipeline.extractors.size if pipeline.extractors is not None else 0
    window = PARSE_AHEAD_PER_WORKER * parsers if not extractors else EXTRACT_AHEAD
    if ahead is not None:
        window = min(window, max(ahead, parsers + 1))
    upcoming = iter(shas)

    with contextlib.ExitStack() as stack:
        # One thread more than parser workers: while a thread waits for a
        # worker's answer, another walks the next message's MIME parts, so
        # the workers always have the next file waiting (with one thread per
        # worker, each idled through every walk: 11.2-11.5 s -> 10.4-10.7 s
        # on the dev corpus, 2 cores, three alternating pairs).
        parse_threads = stack.enter_context(
            ThreadPoolExecutor(max_workers=parsers + 1, thread_name_prefix="bilan-parse")
        )
        read_threads = stack.enter_context(ThreadPoolExecutor(max_workers=max(extractors, 1), thread_name_prefix="bilan-read"))
        queue: deque[tuple[str, Future[Prepared]]] = deque()

        def fill() -> None:
            while len(queue) < window:
                sha256 = next(upcoming, None)
                if sha256 is None:
                    return
                if extractors:
                    parsed = parse_threads.submit(pipeline._parse_timed, sha256, clock)
                    queue.append((sha256, read_threads.submit(pipeline.read, parsed, clock)))
                else:
                    queue.append((sha256, parse_threads.submit(pipeline.prepare, sha256, clock)))

        fill()
        while queue:
            sha256, prepared = queue.popleft()
            fill()
            summary.add(
                process_archived(
                    pipeline, sha256, clock=clock, replace=replace, prefetched=prepared, link_follow_ups=link_follow_ups
                )
            )
            if progress is not None:
                progress.advance()
    if own_clock:
        clock.into(summary)
    return summary


# -- reprocessing ------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    """One part of a selection out of `count`. With a `work_list` (the name
    of the run's shared list, `plan_parts`), the part takes groups of
    messages from it until none is left; without one (`--shard I/N` by
    hand), it keeps the messages whose sha256, read as a number, leaves
    `index` modulo `count`: a hash is uniform, so such parts are of about
    the same size."""

    index: int = 0
    count: int = 1
    work_list: str | None = None

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
        """This shard's part of `shas` by their sha256, in their order."""
        if self.count == 1:
            return list(shas)
        return [sha for sha in shas if self.keeps(sha)]

    def messages(self, warehouse: Warehouse, selection: Selection) -> Iterable[str]:
        """This shard's messages: taken from the run's work list as they are
        needed (lazily), or its part of the selection as it stands now."""
        if self.work_list is not None:
            return WorkList(warehouse.engine, self.work_list).messages(self.index, GROUPS_PER_TAKE)
        shas = selection.matching(warehouse)
        return shas if self.count == 1 else self.of(shas)

    def describe(self) -> str:
        return f"shard {self.index}/{self.count}"


def plan_parts(warehouse: Warehouse, selection: Selection) -> WorkList:
    """The work list of a run split in parts: the selection as it stands
    now, in groups of the messages that share their largest file (see the
    module's docstring), the largest groups first, so that the last groups
    the parts take are short and the parts end together."""
    keys = warehouse.content_keys()
    sizes = warehouse.message_sizes()
    groups: dict[str, list[str]] = {}
    for sha in selection.matching(warehouse):
        groups.setdefault(keys.get(sha, sha), []).append(sha)
    ordered = sorted(groups.values(), key=lambda group: -max(sizes.get(sha, 0) for sha in group))
    return WorkList.create(warehouse.engine, ordered)


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
            return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)

        return warehouse.select_messages(
            departments=self.departments,
            since=start_of(self.since) if self.since else None,
            until=start_of(self.until + dt.timedelta(days=1)) if self.until else None,
            kinds=self.kinds,
            only_failed=self.only_failed,
        )


def reprocess(
    pipeline: Pipeline, selection: Selection, progress: Progress | None = None, shard: Shard = Shard()
) -> IngestSummary:
    """Reprocess the selection (only `shard`'s part of it), then settle the
    follow-up links. The parse cache stays in use: its key holds the parser
    version, so an improved parser reads the files again, and an unchanged
    one need not."""
    shas = shard.messages(pipeline.warehouse, selection)
    if progress is not None:
        total = len(shas) if isinstance(shas, list) else None  # a work list: as many as this part takes
        progress.start(total, "reprocessing" if shard.count == 1 else f"reprocessing ({shard.describe()})")
    ahead = SHARED_AHEAD if shard.work_list is not None else None
    summary = process_many(pipeline, shas, replace=True, progress=progress, link_follow_ups=False, ahead=ahead)
    if progress is not None:
        progress.finish()
    if summary.processed or summary.failed:
        started = time.perf_counter()
        pipeline.warehouse.settle_follow_ups()
        summary.seconds["follow-ups"] = time.perf_counter() - started
    return summary
