"""`bilan reprocess --shard I/N`: the parts of a selection partition it, and
N processes reprocessing their parts at once write the same rows as one
process reprocessing everything (on SQLite and on PostgreSQL).
`bilan reprocess --shards N` runs the N parts itself: as N processes here
without a Prefect API, as N runs of the `reprocess` deployment on the
workers of a real Prefect server's pool with one."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.mailbox.raw import RawMessage
from bilan.parsers.pool import default_pool
from bilan.pipeline import Pipeline, Selection, Shard, archive_raw, plan_parts, reprocess
from bilan.settings import Settings
from bilan.storage.db import get_engine
from bilan.storage.warehouse import Warehouse
from tests.conftest import REPO, SAMPLES, empty_database
from tests.mail import DOCX, docx_bytes, message
from tests.processes import PREFECT, PrefectServer, stop_group
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


def test_the_work_list_of_a_processed_warehouse_keeps_the_copies_of_a_file_together(database_url, tmp_path):
    """Once the warehouse knows the messages' files, the copies of a message
    (which carry the same files) are one group of the run's work list, so
    one part reads them; two parts taking from the list at once still
    partition the selection."""
    settings = archived_warehouse(database_url, tmp_path)
    with Pipeline.open(settings, pool=default_pool()) as pipeline:
        reprocess(pipeline, Selection())
        warehouse = pipeline.warehouse
        everything = Selection().matching(warehouse)
        keys = warehouse.content_keys()
        work_list = plan_parts(warehouse, Selection())
        groups = [group for part in (0, 1) for group in work_list.take(part, 2)]
        while taken := work_list.take(0, 5):
            groups.extend(taken)
    assert sorted(sha for group in groups for sha in group) == sorted(everything)  # none lost, none twice
    by_file: dict[str, set[str]] = {}
    for sha, file in keys.items():
        by_file.setdefault(file, set()).add(sha)
    shared = [shas for shas in by_file.values() if len(shas) >= COPIES]
    assert shared, "no file carried by several messages: nothing to keep together"
    for shas in shared:
        assert sum(bool(shas & set(group)) for group in groups) == 1, "copies of a file in several groups"
    sizes = warehouse.message_sizes()
    largest = [max(sizes[sha] for sha in group) for group in groups]
    assert largest == sorted(largest, reverse=True), "the largest groups are not first"


def test_parts_taking_from_one_work_list_process_each_message_once(database_url, tmp_path):
    """Two parts of one run, each with its own pipeline, reprocess from the
    same list at once: every message is processed by exactly one of them,
    and the list is empty after."""
    import threading

    settings = archived_warehouse(database_url, tmp_path)
    work_list = plan_parts(Warehouse.open(settings), Selection())
    summaries = {}

    def part(index: int) -> None:
        with Pipeline.open(settings, pool=default_pool()) as pipeline:
            summaries[index] = reprocess(pipeline, Selection(), shard=Shard(index, 2, work_list.name))

    threads = [threading.Thread(target=part, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    processed = [m.sha256 for index in (0, 1) for m in summaries[index].ingested]
    assert sorted(processed) == sorted(Selection().matching(Warehouse.open(settings)))  # none lost, none twice
    assert work_list.counts().get(None, 0) == 0


def shard_env(settings: Settings) -> dict[str, str]:
    """The settings as a user's environment, with no Prefect API anywhere."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {
        **environment,
        "BILAN_DATABASE_URL": settings.database_url,
        "BILAN_ARCHIVE_DIR": str(settings.archive_dir),
        "BILAN_CACHE_DIR": str(settings.cache_dir),
        "BILAN_IMAP_HOST": "imap.invalid",
    }


def reprocessed_by_one_process(settings: Settings) -> dict:
    """The warehouse's rows after one in-process reprocess of everything."""
    with Pipeline.open(settings, pool=default_pool()) as pipeline:
        summary = reprocess(pipeline, Selection())
    assert (summary.processed, summary.failed) == (TOTAL, 0)
    return canonical_rows(get_engine(settings.database_url))


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


def work_items(settings: Settings) -> int:
    from sqlalchemy import func, select

    from bilan.storage.models import WorkItem

    engine = get_engine(settings.database_url)
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(WorkItem))


def bilan_command(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / ".venv" / "bin" / "bilan"), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=900)  # fmt: skip


@pytest.mark.slow  # two processes, each starting Python and spaCy
def test_the_shards_option_runs_every_part_in_a_process_of_its_own_without_prefect(
    database_url, second_database_url, tmp_path
):
    expected = reprocessed_by_one_process(archived_warehouse(database_url, tmp_path / "one"))
    two = archived_warehouse(second_database_url, tmp_path / "two")
    report = tmp_path / "report.json"
    env = {**shard_env(two), "PREFECT_HOME": str(tmp_path / "prefect-home")}
    result = bilan_command(["reprocess", "--shards", "2", "--report", str(report)], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(in 2 parts)" in result.stdout and "Traceback" not in result.stdout + result.stderr
    summary = json.loads(report.read_text())
    assert (summary["processed"], summary["failed"]) == (TOTAL, 0)
    assert "[shard 0/2]" in result.stderr and "[shard 1/2]" in result.stderr  # both parts did work
    assert work_items(two) == 0, "the run left its work list behind"
    found = canonical_rows(get_engine(two.database_url))
    assert found == expected, "\n".join(differences(expected, found))


def test_a_part_that_fails_fails_the_run_and_says_which(tmp_path):
    """Each part opens the warehouse itself: here none can (nothing listens
    on that port), so every process ends without a summary."""
    from bilan.local_shards import PartFailed, reprocess_in_processes

    settings = Settings(database_url="postgresql://postgres@127.0.0.1:1/nowhere", archive_dir=tmp_path / "archive")
    with pytest.raises(PartFailed, match=r"2 of 2 part\(s\) failed: part 0 \(exit code 1\), part 1 \(exit code 1\)"):
        reprocess_in_processes(settings, Selection(), 2)


def test_one_part_or_all_parts_not_both(settings_env):
    result = CliRunner().invoke(app, ["reprocess", "--shard", "0/2", "--shards", "2"])
    assert result.exit_code != 0 and "not both" in result.output


@pytest.mark.slow  # a Prefect server, two workers and three flow-run processes
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_shards_run_as_deployment_runs_on_the_workers_of_the_pool(database_url, second_database_url, tmp_path):
    expected = reprocessed_by_one_process(archived_warehouse(database_url, tmp_path / "one"))
    two = archived_warehouse(second_database_url, tmp_path / "two")
    server = PrefectServer(tmp_path / "prefect-home")
    env = {**shard_env(two), **{k: v for k, v in server.env.items() if k.startswith("PREFECT_")},
           "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "prefect-results")}  # fmt: skip
    server.env.update(env)
    workers = []
    try:
        server.wait_healthy()
        server.run("work-pool", "create", "bilan", "--type", "process")
        server.run("deploy", "--name", "reprocess")
        for index in range(2):
            log = (tmp_path / f"worker{index}.log").open("wb")
            workers.append(server.spawn([PREFECT, "worker", "start", "--pool", "bilan", "--limit", "1",
                                         "--name", f"worker-{index}"], log))  # fmt: skip
        report = tmp_path / "report.json"
        result = bilan_command(["reprocess", "--shards", "2", "--report", str(report)], env, REPO)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = json.loads(report.read_text())
        assert (summary["processed"], summary["failed"]) == (TOTAL, 0)
        runs = server.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["reprocess"]}}})
        assert sorted(run["parameters"]["shard"] for run in runs) == [0, 1]
        assert all(run["state_type"] == "COMPLETED" for run in runs)
        assert {run["parameters"]["shards"] for run in runs} == {2}
        assert len({run["parameters"]["work_list"] for run in runs}) == 1  # both parts took from one list
        assert work_items(two) == 0, "the run left its work list behind"
        # One part asked for: it runs on a worker of the pool too, not in the command.
        result = bilan_command(["reprocess", "--shards", "1"], env, REPO)
        assert result.returncode == 0 and "(in 1 part)" in result.stdout, result.stdout + result.stderr
        runs = server.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["reprocess"]}}})
        alone = [run for run in runs if run["parameters"]["shards"] == 1]
        assert len(alone) == 1 and alone[0]["state_type"] == "COMPLETED"
    finally:
        for worker in workers:
            stop_group(worker)
        stop_group(server.process)
        server.log.close()
    found = canonical_rows(get_engine(two.database_url))
    assert found == expected, "\n".join(differences(expected, found))
