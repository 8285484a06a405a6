"""The shared work list of a run split in parts (`storage/work_list.py`), on
a real SQLite file and on the real PostgreSQL: parts taking groups at once
each get different ones, none is lost, and a slower part takes fewer."""

from __future__ import annotations

import threading
import time

from bilan.storage.models import WorkItem
from bilan.storage.work_list import WorkList


def groups(count: int, size: int = 1) -> list[list[str]]:
    return [[f"{n:04d}-{k}" for k in range(size)] for n in range(count)]


def rows(warehouse) -> int:
    from sqlalchemy import func, select

    with warehouse.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(WorkItem))


def test_groups_are_taken_in_order_a_few_at_a_time_then_none(warehouse):
    work_list = WorkList.create(warehouse.engine, groups(5, size=2))
    assert work_list.take(part=0, groups=2) == [["0000-0", "0000-1"], ["0001-0", "0001-1"]]
    assert work_list.take(part=1, groups=2) == [["0002-0", "0002-1"], ["0003-0", "0003-1"]]
    assert work_list.take(part=0, groups=2) == [["0004-0", "0004-1"]]
    assert work_list.take(part=1, groups=2) == []
    assert work_list.counts() == {0: 3, 1: 2}


def test_lists_are_apart_and_a_dropped_list_leaves_no_row(warehouse):
    first = WorkList.create(warehouse.engine, groups(3))
    second = WorkList.create(warehouse.engine, groups(4))
    assert first.name != second.name
    assert [m for m in first.messages(part=0, groups_per_take=2)] == ["0000-0", "0001-0", "0002-0"]
    first.drop()
    assert rows(warehouse) == 4
    assert len(list(second.messages(part=0, groups_per_take=3))) == 4
    second.drop()
    assert rows(warehouse) == 0


def test_parts_taking_at_once_share_every_group_exactly_once(warehouse):
    """Four threads, each with its own connection, take from one list as
    fast as they can: nothing is taken twice, nothing is left."""
    work_list = WorkList.create(warehouse.engine, groups(400))
    taken: dict[int, list[str]] = {}
    start = threading.Barrier(4)

    def part(index: int) -> None:
        start.wait()
        taken[index] = list(work_list.messages(part=index, groups_per_take=3))

    threads = [threading.Thread(target=part, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [sha for part in taken.values() for sha in part]
    assert sorted(everything) == [g[0] for g in groups(400)]  # none lost, none twice
    assert sum(bool(part) for part in taken.values()) >= 2, "one part took everything: the test raced nothing"
    assert work_list.counts().get(None, 0) == 0


def test_a_slower_part_takes_fewer(warehouse):
    """What a fixed split cannot do: the part that spends longer on each
    message ends with fewer of them, and both end at about the same time."""
    work_list = WorkList.create(warehouse.engine, groups(60))
    done: dict[int, int] = {}
    ended: dict[int, float] = {}

    def part(index: int, seconds_per_message: float) -> None:
        count = 0
        for _ in work_list.messages(part=index, groups_per_take=2):
            time.sleep(seconds_per_message)
            count += 1
        done[index], ended[index] = count, time.monotonic()

    threads = [threading.Thread(target=part, args=(0, 0.005)), threading.Thread(target=part, args=(1, 0.02))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done[0] + done[1] == 60
    assert done[0] > 2 * done[1], done
    assert abs(ended[0] - ended[1]) < 0.5, "the parts ended far apart"


def test_discarding_a_list_whose_database_is_gone_only_warns(caplog):
    """The end of a run drops its list whatever happened; a database gone
    meanwhile must not hide why the run failed."""
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    WorkList(engine, "gone").discard()
    assert "could not drop the work list gone" in caplog.text
