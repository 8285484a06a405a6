"""The worker processes that parse files: reused, shared between callers,
replaced when they die, and gone when the pool is closed."""

from __future__ import annotations

import os
import signal
import threading
import time

from bilan.parsers import ParseStatus, parse_message
from bilan.parsers.pool import ParseJob, ParserPool, close_default_pool, default_pool
from bilan.parsers.worker import NICENESS
from tests import documents
from tests.mail import message
from tests.processes import alive


def csv_job(n: int = 0) -> ParseJob:
    return ParseJob(documents.csv_bytes() + f"Ville{n};QN0{n};{n}\n".encode(), f"annexe{n}.csv", "csv")


def test_workers_are_reused_from_batch_to_batch_and_gone_after_close():
    pool = ParserPool(workers=2)
    first = pool.parse_many([csv_job(1), csv_job(2)])
    workers = sorted(pool.worker_pids())
    assert len(workers) == 2
    second = pool.parse_many([csv_job(3), csv_job(4), csv_job(5)])
    assert sorted(pool.worker_pids()) == workers
    assert [o.document.tables[0].rows[-1][0] for o in first + second] == [f"Ville{n}" for n in range(1, 6)]
    pool.close()
    time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)
    pool.close()  # twice is fine


def test_workers_started_ahead_are_the_ones_that_parse():
    """`start` launches the workers before any file comes (their imports
    overlap with the caller's first steps); the first files go to them, and
    no more are started than the pool's size."""
    with ParserPool(workers=2) as pool:
        pool.start()
        started = sorted(pool.worker_pids())
        assert len(started) == 2 and all(alive(pid) for pid in started)
        pool.start()  # again: the pool is full, nothing more
        assert sorted(pool.worker_pids()) == started
        pool.parse_many([csv_job(1), csv_job(2), csv_job(3)])
        assert sorted(pool.worker_pids()) == started
    with ParserPool(workers=0) as in_process:
        in_process.start()
        assert in_process.worker_pids() == []


def test_workers_give_way_to_extraction_when_cores_are_scarce():
    """Parser workers run at a lower priority than the process that started
    them (and so than the extraction workers it starts): parsing runs ahead
    and can wait, extraction is the stage that paces a run."""
    with ParserPool(workers=1) as pool:
        pool.parse_many([csv_job(1)])
        [pid] = pool.worker_pids()
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + NICENESS, 19)


def test_several_callers_share_the_workers():
    results: dict[int, list] = {}
    with ParserPool(workers=2) as pool:
        def call(n: int) -> None:
            results[n] = pool.parse_many([csv_job(n), csv_job(n + 100)])

        threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(pool.worker_pids()) <= 2
    assert sorted(results) == [0, 1, 2, 3]
    for n, (first, second) in results.items():
        assert first.document.tables[0].rows[-1][0] == f"Ville{n}"
        assert second.document.tables[0].rows[-1][0] == f"Ville{n + 100}"


def test_a_worker_killed_from_outside_is_replaced():
    with ParserPool(workers=1) as pool:
        pool.parse_many([csv_job()])
        [pid] = pool.worker_pids()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        [outcome] = pool.parse_many([csv_job()])
        assert outcome.status is ParseStatus.OK
        assert pool.worker_pids() != [pid]


def test_parse_message_without_a_pool_uses_the_default_one_until_it_is_closed():
    mail = message()
    mail.add_attachment(documents.csv_bytes(), "text", "csv", filename="annexe.csv")
    parse_message(mail.as_bytes())
    pool = default_pool()
    workers = pool.worker_pids()
    assert workers
    close_default_pool()
    time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)
    assert default_pool() is not pool  # the next use starts a new one
    assert parse_message(mail.as_bytes()).attachments[0].status is ParseStatus.OK


def test_without_workers_files_are_parsed_in_process():
    with ParserPool(workers=0) as pool:
        [outcome] = pool.parse_many([csv_job()])
        assert outcome.status is ParseStatus.OK
        assert pool.worker_pids() == []
