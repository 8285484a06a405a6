"""Parser worker processes: the time and memory limits of one file.

A parser is third-party code fed with untrusted bytes: it can loop, allocate
without end, or crash inside a C library. So files are parsed in worker
processes, reused from file to file (starting one costs the imports of every
parser library), each under an address-space limit, and a file that outlives
its time limit has its worker killed (with LibreOffice, if it had started
one) and replaced. The caller gets a `ParseOutcome` for every file, whatever
happened.

Workers are forked from a forkserver that has already imported the parsers,
so that a replacement starts in milliseconds and the workers share those
pages. One pool per process (`shared_pool`) serves the CLI, the Prefect flows
and the tests; it is closed at exit, or explicitly with `close_shared_pool`.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from bilan.parsers.document import ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.registry import ParseOutcome, parse_outcome

#: Modules the forkserver imports once, before it forks any worker.
_PRELOAD = ["bilan.parsers.worker_imports"]


@dataclass(frozen=True)
class ParseJob:
    data: bytes
    filename: str
    format: str
    limits: Limits = Limits()


def default_workers() -> int:
    """One worker per core (the main process is mostly waiting meanwhile), at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


class _Worker:
    def __init__(self, context) -> None:
        parent, child = context.Pipe(duplex=True)
        self.connection: Connection = parent
        self.process = context.Process(target=_serve, args=(child,), daemon=True, name="bilan-parser")
        self.process.start()
        child.close()

    def kill(self) -> None:
        """Kill the worker and any process it started (it leads its own group)."""
        pid = self.process.pid
        if pid is not None:
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                    break
                except (ProcessLookupError, PermissionError, OSError):
                    continue
        self.process.join(timeout=5)
        self.connection.close()

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()
        else:
            self.connection.close()


class ParserPool:
    """Runs parse jobs in up to `workers` processes, each job within its time
    limit. `workers=0` parses in the calling process instead: no time or
    memory limit then, for debugging and profiling only."""

    def __init__(self, workers: int | None = None):
        self.size = default_workers() if workers is None else workers
        self._context = multiprocessing.get_context("forkserver")
        if self.size:
            self._context.set_forkserver_preload(_PRELOAD)
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
                    if worker.process.is_alive():
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
            return _Worker(self._context)
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
        running: dict[Connection, tuple[_Worker, int, float, float]] = {}
        while pending or running:
            while pending:
                worker = self._checkout(wait_for_one=not running)
                if worker is None:
                    break
                index = pending.popleft()
                job = jobs[index]
                started = time.monotonic()
                try:
                    worker.connection.send((job.data, job.filename, job.format, job.limits))
                except (OSError, ValueError) as exc:
                    self._discard(worker)
                    outcomes[index] = _failure(ParseStatus.CORRUPT, f"parser worker could not take the file: {exc}")
                    continue
                running[worker.connection] = (worker, index, started, started + job.limits.parse_seconds)
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
                        f"the parser process died while reading the file (exit code {worker.process.exitcode})",
                        time.monotonic() - started,
                    )
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
                    limit = jobs[index].limits.parse_seconds
                    outcomes[index] = _failure(
                        ParseStatus.TIMEOUT, f"parsing took more than {limit:g} s: stopped", now - started
                    )
        return [outcome for outcome in outcomes if outcome is not None]

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


def _serve(connection: Connection) -> None:
    """A worker's life: take a file, parse it, send the outcome back."""
    try:
        os.setpgid(0, 0)  # lead a process group, so that a kill reaches LibreOffice too
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        data, filename, fmt, limits = job
        _limit_memory(limits.worker_memory_bytes)
        outcome = parse_outcome(data, filename, fmt, limits)
        try:
            connection.send(outcome)
        except Exception as exc:  # an unpicklable document: say so rather than hang
            connection.send(ParseOutcome(ParseStatus.CORRUPT, f"parsed document could not be returned: {exc}", cacheable=False))


def _limit_memory(size: int) -> None:
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = size if hard == resource.RLIM_INFINITY else min(size, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):
        pass


_shared: ParserPool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int | None = None) -> ParserPool:
    """The process's pool, started on first use; `workers` counts only then."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed or _shared._pid != os.getpid():
            _shared = ParserPool(workers)
        return _shared


def close_shared_pool() -> None:
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.close()


atexit.register(close_shared_pool)
