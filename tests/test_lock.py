"""The ingestion lock on SQLite and PostgreSQL: exclusive between processes,
and released by the system when its holder is killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from bilan.storage.db import transaction
from bilan.storage.follow_up_links import FOLLOW_UPS_LOCK
from bilan.storage.lock import LockTimeout, hold_for_transaction, named_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from bilan.storage.db import get_engine
    from bilan.storage.lock import named_lock
    with named_lock(get_engine(sys.argv[1]), "imap:anct@mx:993/INBOX"):
        print("held", flush=True)
        time.sleep(600)
    """
)


@pytest.fixture
def holder(warehouse, database_url):
    """Another process holding the lock until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, database_url], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait(10)


def test_a_second_process_waits_then_gives_up_with_a_clear_error(warehouse, holder):
    started = time.monotonic()
    with pytest.raises(LockTimeout, match="still held by another process"):
        with warehouse.lock("imap:anct@mx:993/INBOX", timeout=1.0):
            pass
    assert time.monotonic() - started >= 1.0
    with warehouse.lock("imap:anct@mx:993/Archives", timeout=1.0):  # another name is free
        pass


def test_a_killed_holder_leaves_no_stale_lock(warehouse, holder):
    holder.kill()  # SIGKILL: the holder cleans nothing up
    holder.wait(10)
    with warehouse.lock("imap:anct@mx:993/INBOX", timeout=10.0):
        pass


def test_threads_of_one_process_are_excluded_too(warehouse):
    inside: list[int] = []
    overlaps: list[int] = []

    def work(n: int) -> None:
        with named_lock(warehouse.engine, "imap:shared", timeout=30):
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_transactions_that_link_follow_ups_run_one_after_the_other(warehouse):
    """Two loads that recompute follow-up links at once could deadlock on
    PostgreSQL, or each miss the other's message: the second waits for the
    first to commit."""
    events: list[str] = []
    held = threading.Event()

    def first() -> None:
        with transaction(warehouse.engine) as session:
            hold_for_transaction(session, FOLLOW_UPS_LOCK)
            held.set()
            time.sleep(0.5)
            events.append("first commits")

    thread = threading.Thread(target=first)
    thread.start()
    assert held.wait(30)
    with transaction(warehouse.engine) as session:
        hold_for_transaction(session, FOLLOW_UPS_LOCK)
        events.append("second holds")
    thread.join(30)
    assert events == ["first commits", "second holds"]
