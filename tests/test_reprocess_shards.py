"""`bilan reprocess --shard I/N`: the parts of a selection partition it, and
N processes reprocessing their parts at once write the same rows as one
process reprocessing everything (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bilan.mailbox.raw import RawMessage
from bilan.parsers.pool import default_pool
from bilan.pipeline import Pipeline, Selection, Shard, archive_raw, reprocess
from bilan.settings import Settings
from bilan.storage.db import get_engine
from bilan.storage.warehouse import Warehouse
from tests.conftest import REPO, SAMPLES, empty_database
from tests.mail import DOCX, docx_bytes, message
from tests.replicas import replicated
from tests.warehouse_dump import canonical_rows, differences

#: Three copies of the sample mailbox, each with a chain of follow-ups:
#: several contributions, follow-ups and bounces per department, so that the
#: follow-up links depend on messages that the other shard loads.
COPIES = 3
PARIS = dt.timezone(dt.timedelta(hours=1))


def follow_up_chain(copy: int) -> list[bytes]:
    """A contribution from the Gard, then its complement and its corrected version."""
    chain = []
    for day, subject, body in (
        (6, "Contribution - Gard", "Veuillez trouver ci-joint notre contribution écrite."),
        (8, "Complément - annexes", "En complément de notre envoi du 6 décembre 2021, les annexes."),
        (9, "ANNULE ET REMPLACE", "Version corrigée, qui annule et remplace la version du 6 décembre 2021."),
    ):
        mail = message(subject=subject, body=body, sender="jeanne.martin@gard.gouv.fr",
                       message_id=f"<{day}.{copy}@gard.gouv.fr>",
                       received=dt.datetime(2021, 12, day, 10 + copy, tzinfo=PARIS))  # fmt: skip
        mail.add_attachment(docx_bytes("Contribution écrite", ["Former les conseillers"]), *DOCX, filename="note.docx")
        chain.append(mail.as_bytes())
    return chain


@functools.cache
def sample_copies() -> tuple[bytes, ...]:
    """Built once: built messages hold random boundaries and dates."""
    messages = [path.read_bytes() for path in sorted(SAMPLES.glob("*.eml"))]
    copies = replicated(messages, COPIES * len(messages))
    return tuple(copies + [raw for copy in range(COPIES) for raw in follow_up_chain(copy)])


#: Messages in the warehouse.
TOTAL = COPIES * (len(list(SAMPLES.glob("*.eml"))) + 3)


def archived_warehouse(database_url: str, folder: Path) -> Settings:
    """The copies archived (raw file and row), none processed yet."""
    settings = Settings(database_url=database_url, archive_dir=folder / "archive", cache_dir=folder / "parse-cache")
    warehouse = Warehouse.open(settings)
    for position, raw in enumerate(sample_copies()):
        archive_raw(warehouse, RawMessage(raw=raw, source=f"test:copy/{position}"))
    return settings


@pytest.fixture
def second_database_url(database_url, tmp_path, request) -> Iterator[str]:
    """Another empty database of the same kind as `database_url`."""
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with empty_database(kind, tmp_path / "second.db", request) as url:
        yield url


def test_shard_arguments():
    assert Shard.parse("1/2") == Shard(1, 2)
    for wrong in ("2/2", "-1/2", "0/0", "1", "a/b"):
        with pytest.raises(ValueError):
            Shard.parse(wrong)


def test_the_shards_partition_the_selection(database_url, tmp_path):
    settings = archived_warehouse(database_url, tmp_path)
    everything = Selection().matching(Warehouse.open(settings))
    assert len(everything) == TOTAL
    for count in (2, 3, 5):
        parts = [Shard(index, count).of(everything) for index in range(count)]
        assert sorted(sha for part in parts for sha in part) == sorted(everything)  # none lost, none twice
        assert all(parts), f"an empty part of {count}: the sha256 do not spread"
    assert Shard(0, 1).of(everything) == everything


def run_shards(settings: Settings, count: int) -> list[dict]:
    """`bilan reprocess --shard i/count` for every i, all at once, each in its
    own process; their JSON summaries."""
    env = {
        **os.environ,
        "BILAN_DATABASE_URL": settings.database_url,
        "BILAN_ARCHIVE_DIR": str(settings.archive_dir),
        "BILAN_CACHE_DIR": str(settings.cache_dir),
        "BILAN_IMAP_HOST": "imap.invalid",
    }
    reports = [settings.archive_dir.parent / f"shard{i}.json" for i in range(count)]
    processes = [
        subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "bilan"), "reprocess", "--shard", f"{i}/{count}", "--report", str(report)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i, report in enumerate(reports)
    ]  # fmt: skip
    for process in processes:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output[-3000:]
    return [json.loads(report.read_text()) for report in reports]


@pytest.mark.slow  # two `bilan reprocess` processes, each starting Python and spaCy
def test_two_processes_write_the_same_rows_as_one(database_url, second_database_url, tmp_path):
    one = archived_warehouse(database_url, tmp_path / "one")
    with Pipeline.open(one, pool=default_pool()) as pipeline:
        summary = reprocess(pipeline, Selection())
    assert (summary.processed, summary.failed) == (TOTAL, 0)
    expected = canonical_rows(get_engine(one.database_url))

    two = archived_warehouse(second_database_url, tmp_path / "two")
    summaries = run_shards(two, 2)
    assert [s["failed"] for s in summaries] == [0, 0]
    assert all(s["processed"] > 0 for s in summaries)  # both shards did part of the work
    assert sum(s["processed"] for s in summaries) == summary.processed
    found = canonical_rows(get_engine(two.database_url))
    assert found == expected, "\n".join(differences(expected, found))
    # the comparison is not empty: follow-up links and derived rows exist
    links = [(dict(row)["supersedes_id"], dict(row)["complements_id"]) for row in found["message"]]
    assert sum(bool(s) for s, _ in links) >= COPIES and sum(bool(c) for _, c in links) >= COPIES
    assert found["attachment"] and found["recommendation"]


def test_settling_restores_the_links_a_concurrent_load_missed(warehouse, pipeline):
    """What a shard can leave behind: a follow-up loaded while its original,
    in the other shard, was not committed yet, so without a link. The
    settlement at the end of every run recomputes the links from all rows."""
    from sqlalchemy import select, update

    from bilan.storage.db import transaction
    from bilan.storage.models import Message

    for position, raw in enumerate(follow_up_chain(0)):
        archive_raw(warehouse, RawMessage(raw=raw, source=f"test:{position}"))
    reprocess(pipeline, Selection())

    def links() -> list[tuple]:
        with warehouse.engine.connect() as connection:
            return connection.execute(
                select(Message.message_id, Message.supersedes_id, Message.complements_id).order_by(Message.message_id)
            ).all()

    linked = links()
    assert [bool(s or c) for _, s, c in linked] == [False, True, True]
    with transaction(warehouse.engine) as session:
        session.execute(update(Message).values(supersedes_id=None, complements_id=None))
    warehouse.settle_follow_ups()
    assert links() == linked
