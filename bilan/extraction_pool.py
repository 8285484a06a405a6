"""Extraction where the cores are: worker processes that hold the language
models and read parsed messages side by side.

Extraction is the largest stage and pure Python and spaCy under one GIL: in
the calling process it ran one message after another while the other cores
waited. An `ExtractionPool` starts one process (`extraction_worker.py`) that loads the
models once and forks the other workers from itself, so that they share the
model's pages copy-on-write: one load's CPU, and about one model's memory
plus what each worker writes. The calling process never loads spaCy and
keeps the light work (archiving, loading rows).

Workers are plain subprocesses speaking pickles over pipes, as the parser
workers are (`parsers/pool.py`), for the same reasons. A worker answers with
the rows to store (`bilan/loading.py`'s `MessageRecord`), so that this
process needs neither spaCy nor the extractors' modules. Unlike a parser,
extraction runs our own code on parsed text, so no time or memory limit is
set; a worker that dies fails its message (recorded, tried again by the next
run) and the pool starts afresh when none is left.

How many workers: one per core, as many as the memory budget of the whole
process tree allows (`default_workers`, from figures measured with
`bench/proctree.py`), and the parser workers on the cores left
(`plan_workers`): on a 2-core machine with 1 GiB, one of each, the main
process sharing the parser worker's core.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bilan.nlp.review import ReviewThresholds
    from bilan.parsers.message import ParsedMessage
    from bilan.settings import Settings
    from bilan.storage.records import MessageRecord

#: First message of each worker: its models are loaded; then its pid.
READY = "ready"
#: Memory budget of the whole process tree (main process, parser and
#: extraction workers), in MiB of PSS: the forked workers share the model's
#: pages, which a sum of RSS would count once per worker.
TREE_BUDGET_MIB = 1024
#: Peak PSS measured on the dev corpus (`bench/ingest.py`, 2026-12-07): the
#: main process (without spaCy; parsed messages and rows waiting to be loaded) ...
MAIN_MIB = 240
#: ... each parser worker (the parser libraries) ...
PARSER_WORKER_MIB = 150
#: ... the first extraction worker (the loaded models and their caches) ...
FIRST_WORKER_MIB = 560
#: ... and each further one forked from it (what it writes of its own: new
#: strings, memos, spaCy's buffers, pages whose reference counts changed).
FURTHER_WORKER_MIB = 120


def default_workers(cores: int | None = None, budget_mib: int = TREE_BUDGET_MIB, parse_workers: int | None = None) -> int:
    """One worker per core, at most as many as the memory budget holds
    beside the main process and `parse_workers` parser workers (default:
    the parser pool's default); always at least one."""
    from bilan.parsers.pool import default_workers as default_parse_workers

    if cores is None:
        cores = _usable_cores()
    if parse_workers is None:
        parse_workers = default_parse_workers()
    room = budget_mib - MAIN_MIB - parse_workers * PARSER_WORKER_MIB - FIRST_WORKER_MIB
    return max(1, min(cores, 1 + room // FURTHER_WORKER_MIB if room >= 0 else 1))


def plan_workers(
    parse_workers: int | None, extract_workers: int | None, cores: int | None = None
) -> tuple[int, int]:
    """(parser workers, extraction workers) for a run, each as set when set.
    Unset, the cores are shared rather than oversubscribed: the extraction
    workers first (`default_workers`, as many as the budget holds), then
    the parser workers on the cores left, at least one, at most
    `MAX_DEFAULT_WORKERS`. Measured on the dev corpus (`bench/ingest.py
    --from-dir`, 2 cores, one sitting): one parser worker beside the one
    extraction worker took 13.0 s and 958-996 MiB of RSS summed over the
    tree; two took 14.5 s and 1,066-1,110 MiB: the third busy process
    added no core, only switching between processes, their caches and their
    memory. With `extract_workers` 0 (extraction in the calling process)
    the parser pool keeps its own default."""
    from bilan.parsers.pool import MAX_DEFAULT_WORKERS
    from bilan.parsers.pool import default_workers as default_parse_workers

    if cores is None:
        cores = _usable_cores()
    if extract_workers == 0:
        return (default_parse_workers() if parse_workers is None else parse_workers), 0
    if extract_workers is None:
        guess = max(1, cores - 1) if parse_workers is None else parse_workers
        extract_workers = default_workers(cores, parse_workers=guess)
    if parse_workers is None:
        parse_workers = max(1, min(MAX_DEFAULT_WORKERS, cores - extract_workers))
    return parse_workers, extract_workers


def start_early(settings: Settings) -> ExtractionPool | None:
    """The extraction workers `Pipeline.open(settings)` would start, started
    now: a command calls this before importing the parsers and the
    warehouse (about 0.6 s of CPU), so that the models load meanwhile on
    another core; it then hands the pool to `Pipeline.open`. None when
    extraction runs in the calling process (BILAN_EXTRACT_WORKERS=0)."""
    _, workers = plan_workers(settings.parse_workers, settings.extract_workers)
    if not workers:
        return None
    pool = ExtractionPool(workers, memo_store=settings.nlp_memo_path)
    pool.start()
    return pool


def _usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ExtractionFailed(RuntimeError):
    """The worker could not say what stopped it (its process died, or its
    exception could not be sent back)."""


@dataclass
class _Slot:
    """One worker, seen from the pool: its two pipes."""

    outbox: Connection
    inbox: Connection
    group: _Group
    pid: int | None = None  # known once it said READY

    def close(self) -> None:
        for connection in (self.outbox, self.inbox):
            try:
                connection.close()
            except OSError:
                pass


@dataclass
class _Group:
    """The process that loads the models and the workers it forked (one process group)."""

    process: subprocess.Popen
    slots: list[_Slot] = field(default_factory=list)

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for slot in self.slots:
            slot.close()


class ExtractionPool:
    """`extract(parsed, thresholds)` in up to `workers` processes; several
    threads may call it at once, each message going to an idle worker.
    `memo_store`: the SQLite file where the workers keep what the models said
    of each text (`nlp/memo.py`), shared with other processes and runs."""

    def __init__(self, workers: int | None = None, memo_store: Path | None = None):
        self.size = plan_workers(None, None)[1] if workers is None else workers
        self.memo_store = memo_store
        if self.size < 1:
            raise ValueError("an extraction pool needs at least one worker")
        self._idle: list[_Slot] = []
        self._group: _Group | None = None
        self._available = threading.Condition()
        self._pid = os.getpid()
        self.closed = False
        #: Messages extracted, and CPU seconds the workers spent on them (for benchmarks).
        self.jobs_run = 0
        self.cpu_seconds = 0.0

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers now (they load the models in the background)."""
        with self._available:
            if self._group is None and not self.closed:
                self._start()

    def _start(self) -> None:
        ours: list[tuple[Connection, Connection]] = []
        theirs: list[int] = []
        for _ in range(self.size):
            to_worker_read, to_worker_write = os.pipe()
            from_worker_read, from_worker_write = os.pipe()
            theirs += [to_worker_read, from_worker_write]
            ours.append((Connection(to_worker_write, readable=False), Connection(from_worker_read, writable=False)))
        store = ["--memo-store", str(self.memo_store)] if self.memo_store is not None else []
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "bilan.extraction_worker", *store, *map(str, theirs)],
                pass_fds=theirs,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # One thread per worker: the pool is what uses the cores.
                env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                start_new_session=True,  # its own process group, and no Ctrl-C from the terminal
            )
        finally:
            for fd in theirs:
                os.close(fd)
        group = _Group(process)
        group.slots = [_Slot(outbox, inbox, group) for outbox, inbox in ours]
        self._group = group
        self._idle = list(group.slots)

    def read(
        self, parsed: ParsedMessage, thresholds: ReviewThresholds | None = None
    ) -> tuple[MessageRecord, float]:
        """What extraction says of the message (`nlp.extraction.extract`), as
        the rows to store (`loading.message_record`), read by a worker, and
        the CPU seconds it spent; the worker's exception, if it raised one,
        is raised here."""
        job = pickle.dumps((parsed, thresholds), protocol=pickle.HIGHEST_PROTOCOL)  # before taking a worker
        slot = self._checkout()
        try:
            if slot.pid is None:
                ready, slot.pid = slot.inbox.recv()  # waits for the models to load
                if ready != READY:
                    raise ValueError(f"unexpected first message {ready!r}")
            slot.outbox.send_bytes(job)
            answer = slot.inbox.recv_bytes()
        except (EOFError, OSError, ValueError) as exc:
            self._discard(slot)
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ExtractionFailed(f"the extraction process died while reading the message ({reason})") from None
        try:
            outcome, value, seconds = pickle.loads(answer)
        except Exception as exc:  # the answer came, but cannot be read here
            outcome, value, seconds = "error", ExtractionFailed(f"{type(exc).__name__}: {exc}"), 0.0
        self._release(slot, seconds)
        if outcome == "error":
            raise value
        return value, seconds

    def _checkout(self) -> _Slot:
        with self._available:
            while True:
                if self.closed:
                    raise RuntimeError("the extraction pool is closed")
                if self._group is None:
                    self._start()
                if self._idle:
                    return self._idle.pop()
                self._available.wait()

    def _release(self, slot: _Slot, seconds: float) -> None:
        with self._available:
            self.jobs_run += 1
            self.cpu_seconds += seconds
            if self.closed or slot.group is not self._group:
                slot.close()
            else:
                self._idle.append(slot)
            self._available.notify()

    def _discard(self, slot: _Slot) -> None:
        """A worker died: its message fails; the others go on. With none
        left, the next message starts the pool again."""
        with self._available:
            group = slot.group
            slot.close()
            if slot in group.slots:
                group.slots.remove(slot)
            if group is self._group and not group.slots:
                self._group = None
                group.kill()
            self._available.notify_all()

    def worker_pids(self) -> list[int]:
        """Pids of the workers that said READY (for tests and monitoring)."""
        with self._available:
            return [slot.pid for slot in (self._group.slots if self._group else []) if slot.pid is not None]

    def close(self) -> None:
        """Stop the workers: their input closes, then the group is killed
        after a short wait; safe to call twice."""
        with self._available:
            if self.closed:
                return
            self.closed = True
            group, self._group, self._idle = self._group, None, []
            self._available.notify_all()
        if group is None or os.getpid() != self._pid:
            return
        for slot in group.slots:
            try:
                slot.outbox.send(None)
            except (OSError, ValueError):
                pass
        try:
            group.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        group.kill()  # the forked workers too, whatever state they are in
