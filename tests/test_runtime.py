"""One runtime per run instead of process globals: `Pipeline.open(settings)`
builds the warehouse, the parser workers, the parse cache, the limits and the
review thresholds from the settings it is given (not from whatever the
process saw first), and closing it stops the workers it started."""

from __future__ import annotations

import time

import pytest

from bilan.mailbox.raw import RawMessage
from bilan.parsers import ParseStatus
from bilan.parsers.pool import ParserPool
from bilan.pipeline import Pipeline, archive_raw, process_archived
from tests import documents
from tests.mail import message
from tests.processes import alive


def with_csv(n: int) -> bytes:
    mail = message(message_id=f"<runtime-{n}@aisne.gouv.fr>")
    mail.add_attachment(documents.csv_bytes(), "text", "csv", filename="annexe.csv")
    return mail.as_bytes()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_each_pipeline_is_built_from_its_own_settings_and_stops_its_workers(settings_env, tmp_path):
    one = settings_env.model_copy(update={"parse_workers": 1, "cache_dir": tmp_path / "cache-1",
                                          "max_attachment_bytes": 100_000, "review_below_kind": 0.9})
    two = settings_env.model_copy(update={"parse_workers": 2, "cache_dir": tmp_path / "cache-2"})
    with Pipeline.open(one, warm_up=False) as first, Pipeline.open(two, warm_up=False) as second:
        assert (first.pool.size, second.pool.size) == (1, 2)  # no count fixed by whoever came first
        assert first.limits.max_file_bytes == 100_000 and second.limits.max_file_bytes == 5 * 1024 * 1024
        assert first.thresholds.kind == 0.9 and second.thresholds.kind == 0.6
        archived = archive_raw(first.warehouse, RawMessage(raw=with_csv(1), source="test:1"))
        assert process_archived(first, archived.sha256).processed == 1
        assert first.parse(archived.sha256).attachments[0].status is ParseStatus.OK
        assert first.cache.hits >= 1 and any((tmp_path / "cache-1").rglob("*.json"))
        workers = first.pool.worker_pids()
        assert workers
    assert first.pool.closed and second.pool.closed
    time.sleep(0.2)
    assert not any(alive(pid) for pid in workers)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_pool_given_to_the_pipeline_stays_its_owners(settings_env):
    with ParserPool(workers=1) as pool:
        with Pipeline.open(settings_env, pool=pool, warm_up=False) as pipeline:
            archived = archive_raw(pipeline.warehouse, RawMessage(raw=with_csv(2), source="test:2"))
            assert process_archived(pipeline, archived.sha256).processed == 1
        assert not pool.closed and pool.worker_pids()
