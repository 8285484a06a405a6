"""Extraction in worker processes (`bilan/extraction_pool.py`): the rows are those of an
extraction in the main process, the workers share one loaded model (forked
from the process that loaded it), a worker's exception comes back as
itself, and a worker that dies fails its message only."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from bilan.extraction_pool import ExtractionFailed, ExtractionPool, default_workers, plan_workers
from bilan.ingestion import import_path
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.settings import get_settings
from bilan.storage.warehouse import Warehouse
from tests.conftest import SAMPLES
from tests.processes import alive
from tests.warehouse_dump import canonical_rows, differences


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _imported(monkeypatch, tmp_path: Path, name: str, extract_workers: int):
    monkeypatch.setenv("BILAN_DATABASE_URL", f"sqlite:///{tmp_path / name / 'bilan.db'}")
    monkeypatch.setenv("BILAN_ARCHIVE_DIR", str(tmp_path / name / "archive"))
    monkeypatch.setenv("BILAN_EXTRACT_WORKERS", str(extract_workers))
    settings = get_settings()
    with Pipeline.open(settings) as pipeline:
        assert (pipeline.extractors is None) == (extract_workers == 0)
        summary = import_path(pipeline, SAMPLES)
        pids = pipeline.extractors.worker_pids() if pipeline.extractors else []
        parents = [_parent_of(pid) for pid in pids]
        cpu = pipeline.extractors.cpu_seconds if pipeline.extractors else 0.0
    return Warehouse.open(settings), summary, list(zip(pids, parents)), cpu


@pytest.mark.slow  # starts workers that load the model
def test_workers_write_the_rows_the_main_process_writes(monkeypatch, tmp_path):
    alone, alone_summary, _, _ = _imported(monkeypatch, tmp_path, "in-process", 0)
    pooled, pooled_summary, pids, cpu = _imported(monkeypatch, tmp_path, "workers", 2)
    assert pooled_summary.processed == alone_summary.processed == len(list(SAMPLES.glob("*.eml")))
    assert pooled_summary.failed == 0
    assert not differences(canonical_rows(alone.engine), canonical_rows(pooled.engine))
    # Two workers, the second forked from the first (one load of the model), both used.
    [(first, _), (second, parent)] = pids
    assert parent == first
    assert cpu > 0 and pooled_summary.cpu_seconds["extract"] == pytest.approx(cpu)
    time.sleep(0.2)
    assert not alive(first) and not alive(second)  # closing the pipeline stopped them


@pytest.mark.slow  # starts workers that load the model
def test_an_exception_in_a_worker_is_raised_as_itself():
    with ExtractionPool(1) as pool:
        with pytest.raises(AttributeError):
            pool.read(object())  # not a parsed message
        assert pool.jobs_run == 1  # and the worker is still there for the next one


@pytest.mark.slow  # starts workers that load the model
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_dead_worker_fails_its_message_only(settings_env, monkeypatch):
    from tests.mail import message

    monkeypatch.setenv("BILAN_EXTRACT_WORKERS", "1")
    with Pipeline.open(get_settings()) as pipeline:
        first = archive_raw(pipeline.warehouse, _raw(message(message_id="<dead-1@aisne.gouv.fr>")))
        second = archive_raw(pipeline.warehouse, _raw(message(message_id="<dead-2@aisne.gouv.fr>")))
        assert process_archived(pipeline, first.sha256).processed == 1
        [pid] = pipeline.extractors.worker_pids()
        os.kill(pid, signal.SIGKILL)
        summary = process_archived(pipeline, second.sha256)
        assert summary.failed == 1 and pipeline.warehouse.unprocessed() == [second.sha256]
        # The next message starts the workers again.
        assert process_archived(pipeline, second.sha256).processed == 1
        assert pipeline.extractors.worker_pids() and pipeline.extractors.worker_pids() != [pid]


def test_a_closed_pool_refuses_work():
    pool = ExtractionPool(1)
    pool.close()
    with pytest.raises(RuntimeError):
        pool.read(object())
    assert issubclass(ExtractionFailed, RuntimeError)


def test_the_worker_count_follows_cores_and_the_memory_budget():
    assert default_workers(cores=1, budget_mib=8192) == 1
    assert default_workers(cores=8, budget_mib=8192, parse_workers=4) == 8
    assert default_workers(cores=64, budget_mib=8192, parse_workers=4) < 64  # the budget decides
    assert default_workers(cores=2, budget_mib=1024, parse_workers=2) == 1  # this machine: measured, one fits
    assert default_workers(cores=8, budget_mib=100) == 1  # always one


def _raw(mail):
    from bilan.mailbox.raw import RawMessage

    return RawMessage(raw=mail.as_bytes(), source="test")


def test_parser_and_extraction_workers_share_the_cores_unless_set():
    # This machine kind: one extraction worker (the budget holds one), one parser worker on the other core.
    assert plan_workers(None, None, cores=2) == (1, 1)
    assert plan_workers(None, None, cores=1) == (1, 1)  # never no parser worker
    parse, extract = plan_workers(None, None, cores=16)
    assert extract >= 1 and 1 <= parse <= 4
    assert plan_workers(3, None, cores=2) == (3, 1)  # what is set is kept
    assert plan_workers(None, 2, cores=2) == (1, 2)
    assert plan_workers(None, 2, cores=8)[0] == 4  # the parser pool's cap
    assert plan_workers(2, 0, cores=8) == (2, 0)
    assert plan_workers(None, 0, cores=2)[1] == 0  # extraction in the calling process: the parser pool's default


def test_a_run_starts_the_planned_workers(tmp_path):
    """What `Pipeline.open` builds from unset settings is `plan_workers`'s split of this machine's cores."""
    from bilan.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/b.db", archive_dir=tmp_path / "archive",
                        parse_workers=None, extract_workers=None)  # fmt: skip
    with Pipeline.open(settings, warm_up=False) as pipeline:
        assert (pipeline.pool.size, pipeline.extractors.size) == plan_workers(None, None)


@pytest.mark.slow  # starts a worker that loads the model
def test_workers_started_early_are_the_run_s_own(tmp_path):
    """`start_early` starts what `Pipeline.open` would (the command then
    imports the rest while the models load); the pipeline takes that pool,
    extracts with it and closes it, and closes its warehouse's connections
    (SQLite folds its log into the database file then)."""
    from bilan.extraction_pool import start_early
    from bilan.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/b.db", archive_dir=tmp_path / "archive",
                        parse_workers=1, extract_workers=1)  # fmt: skip
    early = start_early(settings)
    assert early is not None and early.size == 1
    with Pipeline.open(settings, extractors=early) as pipeline:
        assert pipeline.extractors is early
        summary = import_path(pipeline, SAMPLES)
        assert summary.processed > 0 and early.jobs_run == summary.processed
        pids = early.worker_pids()
    assert early.closed and not any(alive(pid) for pid in pids)
    assert not (tmp_path / "b.db-wal").exists()

    none = Settings(database_url=f"sqlite:///{tmp_path}/c.db", archive_dir=tmp_path / "archive",
                    parse_workers=1, extract_workers=0)  # fmt: skip
    assert start_early(none) is None


def test_an_early_pool_is_closed_if_the_warehouse_cannot_open(tmp_path):
    from bilan.errors import DatabaseUnavailable
    from bilan.settings import Settings

    pool = ExtractionPool(1)  # not started: nothing to load for this test
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", archive_dir=tmp_path / "a",
                        parse_workers=1, extract_workers=1)  # fmt: skip
    with pytest.raises(DatabaseUnavailable):
        Pipeline.open(settings, extractors=pool)
    assert pool.closed


def test_one_parse_thread_more_than_parser_workers(tmp_path):
    """While one thread waits for the parser worker's answer, another walks
    the next message's MIME parts, so that the worker never idles through a
    walk: with one parser worker, two parse threads."""
    import threading

    from bilan.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path}/b.db", archive_dir=tmp_path / "archive",
                        parse_workers=1, extract_workers=0)  # fmt: skip
    seen: set[str] = set()

    class Watch:
        def start(self, total, label=""):
            pass

        def advance(self, count=1):
            seen.update(t.name for t in threading.enumerate() if t.name.startswith("bilan-parse"))

        def finish(self):
            pass

    with Pipeline.open(settings, warm_up=False) as pipeline:
        assert pipeline.pool.size == 1
        summary = import_path(pipeline, SAMPLES, progress=Watch())
    assert summary.processed > 2 and len(seen) == 2, seen
