"""A named lock shared by every process that writes to one warehouse.

Why a lock when the database constraints already refuse a second row for the
same message: two ingestions of the same IMAP folder at once would fetch,
parse and load the same messages twice (wasted minutes during a burst), and
would set keywords, move messages and advance the folder's progress in an
interleaved order that is hard to reason about. With the lock, the second one
waits, then finds nothing left to do. Correctness never depends on it: the
sha256 key, `Warehouse.record_processing` (row lock) and the forward-only
progress make a run without the lock still safe, only slower.

How, per database:

* PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on
  one dedicated connection. The server releases it when that connection
  ends, so a process killed with SIGKILL never leaves it behind.
* SQLite: an exclusive `flock` on a small file beside the database
  (`<database>.locks/<name>.lock`). SQLite itself lives on a local file and
  relies on the same kernel locks; the kernel releases them when the process
  dies, again with nothing to clean up. Two alternatives were set aside: a
  lease row in a table survives a SIGKILL until its lease expires (the
  restarted run would wait, or guess that the holder is dead), and holding
  SQLite's own write lock (BEGIN IMMEDIATE) for a whole batch would block
  every other writer, including the holder's own archive and load
  transactions, which run on other connections of the pool.

The lock is re-entrant in neither case: take it once per ingestion cycle.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

#: How often a waiting process tries again.
RETRY_SECONDS = 0.2


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than we were willing to wait."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def named_lock(engine: Engine, name: str, timeout: float = 600.0) -> Iterator[None]:
    """Hold the lock `name` for the duration of the block, waiting at most
    `timeout` seconds for another holder (logged once while waiting)."""
    if engine.dialect.name == "postgresql":
        manager = _postgres_lock(engine, name, timeout)
    elif engine.dialect.name == "sqlite":
        manager = _sqlite_lock(engine, name, timeout)
    else:  # pragma: no cover - only the two databases above are supported
        raise NotImplementedError(f"no lock for {engine.dialect.name}")
    with manager:
        yield


def _wait(try_once, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    announced = False
    while not try_once():
        if time.monotonic() >= deadline:
            raise LockTimeout(f"lock {name!r} still held by another process after {timeout:.0f} s")
        if not announced:
            log.info("waiting for lock %r (another ingestion is running)", name)
            announced = True
        time.sleep(RETRY_SECONDS)


@contextlib.contextmanager
def _postgres_lock(engine: Engine, name: str, timeout: float) -> Iterator[None]:
    key = advisory_key(name)
    with engine.connect() as connection:
        # Autocommit: the lock belongs to the session, not to a transaction,
        # and no transaction stays open while the holder works.
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        _wait(lambda: bool(connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})), name, timeout)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except Exception:  # never give back to the pool a session that may still hold it
                connection.invalidate()


_MEMORY_LOCKS: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def _sqlite_lock(engine: Engine, name: str, timeout: float) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":
        # One process only can see an in-memory database.
        lock = _MEMORY_LOCKS.setdefault(name, threading.Lock())
        _wait(lambda: lock.acquire(blocking=False), name, timeout)
        try:
            yield
        finally:
            lock.release()
        return
    folder = Path(database).expanduser().resolve().parent / (Path(database).name + ".locks")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] + f"-{advisory_key(name) & 0xFFFFFFFF:08x}.lock")
    # One open file description per acquisition: flock conflicts between two
    # of them even inside one process, so threads are excluded too.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(try_once, name, timeout)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for a curious human; not read back
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def hold_for_transaction(session, name: str) -> None:
    """Make the rest of the current transaction wait for, then exclude, every
    other transaction that asks for `name`, until it commits or rolls back.

    PostgreSQL: a transaction-level advisory lock. Taken as the first
    statement, it orders whole transactions, so two of them cannot each hold
    row locks the other wants (a deadlock), and the second one reads what the
    first committed. SQLite lets one writing transaction run at a time
    (`BEGIN IMMEDIATE`, see `storage/db.py`): the transaction only has to
    begin now rather than at its first statement."""
    connection = session.connection()  # begins the transaction (SQLite: takes its write lock)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(name)})
