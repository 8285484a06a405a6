"""The shared work list of a reprocessing run split in parts.

A fixed split (part i takes the messages whose hash leaves i modulo N) makes
every part wait for the slowest: the parts' messages differ in cost (a scan
to OCR against an auto-reply), a part's machine may be slower or busier, and
the run ends when its last part does. Measured on 2,000 messages over two
pinned Prefect workers: the parts ended 4.9 to 8 s apart in runs of 65 to
78 s. So the run lists its selection once, in groups, and its parts take
groups from the list a few at a time as they finish the previous ones
(`take`): a part that is slower takes fewer, and the parts end within the
few messages each has taken ahead (0.3 s apart in the same measure).

Taking is one UPDATE ... RETURNING of the next groups nobody took: on
PostgreSQL its row choice skips rows another part is taking at that moment
(FOR UPDATE SKIP LOCKED), so parts never wait for each other; SQLite runs
one writer at a time, which gives the same guarantee. A group is taken by
exactly one part. A part that dies loses the groups it took and did not
finish: its run fails (the other parts still empty the list), and running
the reprocessing again does them, as it does everything.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bilan.storage.db import transaction
from bilan.storage.models import WorkItem

log = logging.getLogger(__name__)

#: Rows inserted per statement when a list is written.
_INSERT_BATCH = 1000


class WorkList:
    """A run's groups of messages (sha256), in the order the parts take them."""

    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.name = name

    @classmethod
    def create(cls, engine: Engine, groups: Iterable[list[str]]) -> WorkList:
        """A new list holding `groups`, in their order, under a new name."""
        work_list = cls(engine, uuid.uuid4().hex)
        rows = [
            {"work_list": work_list.name, "position": position, "messages": " ".join(group)}
            for position, group in enumerate(groups)
            if group
        ]
        with transaction(engine) as session:
            for start in range(0, len(rows), _INSERT_BATCH):
                session.execute(insert(WorkItem), rows[start : start + _INSERT_BATCH])
        return work_list

    def take(self, part: int, groups: int) -> list[list[str]]:
        """The next `groups` groups nobody took yet, now taken by `part`
        (fewer at the end of the list, none once it is empty)."""
        mine = WorkItem.work_list == self.name
        # A CTE, not `position IN (subquery)`: PostgreSQL may run such a
        # subquery again for each row it updates, and then takes more than
        # `groups` (seen in the tests). A CTE that locks rows runs once.
        free = (
            select(WorkItem.position)
            .where(mine, WorkItem.taken_by.is_(None))
            .order_by(WorkItem.position)
            .limit(groups)
            .with_for_update(skip_locked=True)
            .cte("free")
        )
        statement = (
            update(WorkItem)
            .where(mine, WorkItem.taken_by.is_(None), WorkItem.position == free.c.position)
            .values(taken_by=part)
            .returning(WorkItem.position, WorkItem.messages)
        )
        with transaction(self.engine) as session:
            taken = session.execute(statement).all()
        return [messages.split() for _, messages in sorted(taken)]

    def messages(self, part: int, groups_per_take: int) -> Iterable[str]:
        """The messages `part` takes, lazily: `groups_per_take` more groups
        each time it has gone through the previous ones, until the list is empty."""
        while taken := self.take(part, groups_per_take):
            for group in taken:
                yield from group

    def counts(self) -> dict[int | None, int]:
        """Groups per part that took them (None: not taken yet)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(WorkItem.taken_by, func.count()).where(WorkItem.work_list == self.name).group_by(WorkItem.taken_by)
            )
            return {part: count for part, count in rows}

    def drop(self) -> None:
        with transaction(self.engine) as session:
            session.execute(delete(WorkItem).where(WorkItem.work_list == self.name))

    def discard(self) -> None:
        """Drop the list once its run has ended, however it ended. Failing to
        (the database gone meanwhile) is only a warning: it must not hide why
        the run failed, a later run makes a list of its own, and the rows
        left are only taken space."""
        try:
            self.drop()
        except SQLAlchemyError as exc:
            log.warning("could not drop the work list %s: %s", self.name, exc)
