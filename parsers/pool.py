"""Parser worker processes: the time and memory limits of one file.

A parser is third-party code fed with untrusted bytes: it can loop, allocate
without end, or crash inside a C library. So files are parsed in worker
processes (`worker.py`), reused from file to file (starting one costs the
imports of every parser library, about a second), each under an
address-space limit; a file that outlives its time limit has its worker
killed, with LibreOffice if it had started one (a worker leads its own
process group), and the worker is replaced. The caller gets a `ParseOutcome`
for every file, whatever happened.

Workers are plain subprocesses speaking pickles over two pipes, rather than
`multiprocessing` children: these would re-import the caller's main module
(a script, pytest, a Prefect worker), and a fork would copy whatever the
caller holds. A run builds its own pool from the settings (see
`bilan.pipeline.Pipeline`) and closes it when done; callers that bring none
(tests, scripts) share the process's default pool (`default_pool`, of the
default size), closed at exit or with `close_default_pool`.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from bilan.parsers.document import ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.registry import ParseOutcome, parse_outcome

#: First message of a worker: its imports are done.
READY = "ready"
#: Seconds a new worker may take to import the parser libraries.
_STARTUP_SECONDS = 60


@dataclass(frozen=True)
class ParseJob:
    data: bytes
    filename: str
    format: str
    limits: Limits = Limits()


#: Parser workers started by default, at most: beyond, files wait on the
#: database and the extraction more than on parsing.
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """One worker per core (the main process is mostly waiting meanwhile), at most `MAX_DEFAULT_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


class _Worker:
    def __init__(self) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bilan.parsers.worker", str(to_worker_read), str(from_worker_write)],
                pass_fds=(to_worker_read, from_worker_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # Tesseract must not start a thread per core in each worker:
                # the pool already uses the cores.
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
                start_new_session=True,  # its own process group, and no Ctrl-C from the terminal
            )
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self.outbox = Connection(to_worker_write, readable=False)
        self.inbox = Connection(from_worker_read, writable=False)
        self.ready = False  # until it says its imports are done

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker and any process it started (they share its group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes()

    def stop(self) -> None:
        try:
            self.outbox.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # anything it left behind
        except (ProcessLookupError, PermissionError, OSError):
            pass
        self._close_pipes()

    def _close_pipes(self) -> None:
        for connection in (self.outbox, self.inbox):
            try:
                connection.close()
            except OSError:
                pass


class ParserPool:
    """Runs parse jobs in up to `workers` processes, each job within its time
    limit. `workers=0` parses in the calling process instead: no time or
    memory limit then, for debugging and profiling only."""

    def __init__(self, workers: int | None = None):
        self.size = default_workers() if workers is None else workers
        self._idle: list[_Worker] = []
        self._live = 0  # workers started and not killed
        self._available = threading.Condition()
        self._pid = os.getpid()
        self.closed = False
        #: Files parsed (in workers or in-process) and workers killed, for
        #: tests and benchmarks.
        self.jobs_run = 0
        self.workers_killed = 0

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers now rather than with the first files: each
        spends about half a second importing the parser libraries, which then
        overlaps with what the caller does first (opening the warehouse,
        archiving the first messages) instead of delaying the first parse."""
        started = []
        while (worker := self._checkout(wait_for_one=False)) is not None:
            started.append(worker)
        for worker in started:
            self._release(worker)

    def parse_many(self, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
        """Parse the jobs side by side; the outcomes come back in job order.
        Several threads may call this at once: they share the workers."""
        if not jobs:
            return []
        if self.closed:
            raise RuntimeError("the parser pool is closed")
        with self._available:
            self.jobs_run += len(jobs)
        if self.size == 0:
            return [parse_outcome(j.data, j.filename, j.format, j.limits) for j in jobs]
        return self._run(jobs)

    def _checkout(self, wait_for_one: bool) -> _Worker | None:
        """An idle worker, a new one if the pool is not full, else None (or
        wait for one to come back when this caller has nothing running)."""
        with self._available:
            while True:
                if self.closed:
                    raise RuntimeError("the parser pool is closed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._live -= 1  # died while idle (killed from outside)
                    worker.kill()
                if self._live < self.size:
                    self._live += 1
                    break
                if not wait_for_one:
                    return None
                self._available.wait()
        try:
            return _Worker()
        except Exception:
            with self._available:
                self._live -= 1
                self._available.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._available:
            self._idle.append(worker)
            self._available.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._available:
            self._live -= 1
            self._available.notify()

    def _run(self, jobs: Sequence[ParseJob]) -> list[ParseOutcome]:
        outcomes: list[ParseOutcome | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        running: dict[Connection, tuple[_Worker, int, float, float]] = {}  # by the worker's inbox
        while pending or running:
            while pending:
                worker = self._checkout(wait_for_one=not running)
                if worker is None:
                    break
                index = pending.popleft()
                job = jobs[index]
                started = time.monotonic()
                try:
                    worker.outbox.send((job.data, job.filename, job.format, job.limits))
                except (OSError, ValueError) as exc:
                    self._discard(worker)
                    outcomes[index] = _failure(ParseStatus.CORRUPT, f"parser worker could not take the file: {exc}")
                    continue
                limit = job.limits.parse_seconds if worker.ready else _STARTUP_SECONDS + job.limits.parse_seconds
                running[worker.inbox] = (worker, index, started, started + limit)
            if not running:
                continue
            deadline = min(entry[3] for entry in running.values())
            for connection in wait(list(running), timeout=max(deadline - time.monotonic(), 0)):
                worker, index, started, _ = running.pop(connection)
                try:
                    outcome = connection.recv()
                except (EOFError, OSError):
                    self._discard(worker)
                    outcomes[index] = _failure(
                        ParseStatus.CORRUPT,
                        f"the parser process died while reading the file (exit code {worker.process.poll()})",
                        time.monotonic() - started,
                    )
                    continue
                if outcome == READY:  # a new worker is ready: its file's time starts now
                    worker.ready = True
                    now = time.monotonic()
                    running[connection] = (worker, index, now, now + jobs[index].limits.parse_seconds)
                    continue
                if self.closed:
                    worker.stop()
                else:
                    self._release(worker)
                outcomes[index] = outcome
            now = time.monotonic()
            for connection, (worker, index, started, deadline) in list(running.items()):
                if now >= deadline:
                    del running[connection]
                    self._discard(worker)
                    with self._available:
                        self.workers_killed += 1
                    if worker.ready:
                        reason = f"parsing took more than {jobs[index].limits.parse_seconds:g} s: stopped"
                    else:
                        reason = f"the parser process did not start within {_STARTUP_SECONDS} s"
                    outcomes[index] = _failure(ParseStatus.TIMEOUT, reason, now - started)
        return [outcome for outcome in outcomes if outcome is not None]

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers (for tests and monitoring)."""
        with self._available:
            return [worker.pid for worker in self._idle]

    def close(self) -> None:
        """Stop the workers (politely, then by force); safe to call twice.
        Workers busy with another thread's file are stopped when they come back."""
        with self._available:
            if self.closed:
                return
            self.closed = True
            workers, self._idle = self._idle, []
            self._available.notify_all()
        if os.getpid() != self._pid:
            return  # a forked child does not own its parent's workers
        for worker in workers:
            worker.stop()


def _failure(status: ParseStatus, reason: str, seconds: float = 0.0) -> ParseOutcome:
    return ParseOutcome(status, reason, seconds=seconds, cacheable=False)


_default: ParserPool | None = None
_default_lock = threading.Lock()


def default_pool() -> ParserPool:
    """The process's pool of the default size, for callers that bring none;
    started on first use, and again after it was closed."""
    global _default
    with _default_lock:
        if _default is None or _default.closed or _default._pid != os.getpid():
            _default = ParserPool()
        return _default


def close_default_pool() -> None:
    global _default
    with _default_lock:
        pool, _default = _default, None
    if pool is not None:
        pool.close()


atexit.register(close_default_pool)
