"""Nothing lost, nothing doubled, whatever happens between the mailbox and
the warehouse: a killed process, a UIDVALIDITY change, two ingestions at
once, a message that breaks processing. Real Dovecot, SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bilan.mailbox.cycle import MailboxOptions, account_from_settings, ingest_imap
from bilan.mailbox.imap import ImapSource
from bilan.pipeline import Pipeline
from bilan.storage.models import Attachment, ImapProgress, Message
from bilan.storage.warehouse import Warehouse
from tests.mail import numbered_messages
from tests.processes import BilanProcess, wait_until


def counts(warehouse) -> tuple[int, int, int, int]:
    """(rows, distinct Message-IDs, processed, attachments)."""
    with warehouse.engine.connect() as connection:
        return (
            connection.scalar(select(func.count()).select_from(Message)),
            connection.scalar(select(func.count(func.distinct(Message.message_id)))),
            connection.scalar(select(func.count()).where(Message.processed_at.is_not(None))),
            connection.scalar(select(func.count()).select_from(Attachment)),
        )


def ingest(**options):
    """One cycle, as `bilan ingest` runs it, with these options."""
    from bilan.settings import get_settings

    settings = get_settings()
    return ingest_imap(Pipeline(Warehouse.open(settings)), account_from_settings(settings), MailboxOptions(**options))


def server_flags(dovecot, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
    with dovecot.client() as imap:
        imap.select_folder(folder, readonly=True)
        return imap.get_flags(imap.search("ALL"))


@pytest.mark.slow
def test_ingestion_killed_mid_batch_then_restarted_gives_each_message_once(imap_env, warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("BILAN_IMAP_BATCH_SIZE", "5")
    monkeypatch.setenv("BILAN_EXTRACT_WORKERS", "2")  # as in production: killed with its extraction workers busy
    lot = numbered_messages(40, "killed")
    imap_env.append_many(lot)
    first = BilanProcess(["ingest"], tmp_path / "first.log")
    wait_until(lambda: counts(warehouse)[2] >= 8, 120, message="a few batches committed")
    first.kill()
    done = counts(warehouse)[2]
    assert done < len(lot), "the run ended before it was killed; nothing was tested"
    with warehouse.engine.connect() as connection:
        progress = connection.scalar(select(ImapProgress.last_uid))
    assert progress is not None and progress <= done  # only what is committed counts as done

    second = BilanProcess(["ingest"], tmp_path / "second.log")
    assert second.wait() == 0, second.output
    assert counts(warehouse) == (len(lot), len(lot), len(lot), len(lot))
    assert "already known" in second.output
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(ImapProgress.last_uid)) == len(lot)
    assert all(b"$BilanIngested" in flags for flags in server_flags(imap_env).values())


def test_a_new_uidvalidity_resyncs_without_doubling(imap_env, warehouse, caplog):
    lot = numbered_messages(6, "validity")
    imap_env.append_many(lot)
    first = ingest()
    assert (first.new, first.processed) == (6, 6)
    old_validity = imap_env.uidvalidity()

    new_validity = imap_env.recreate_folder("INBOX")  # emptied, new UIDVALIDITY
    assert new_validity != old_validity
    imap_env.append_many(lot + numbered_messages(1, "after-recreate"))
    with caplog.at_level("WARNING", logger="bilan"):
        again = ingest()
    assert (again.new, again.already_known, again.processed) == (1, 6, 1)
    assert "UIDVALIDITY" in caplog.text and "sha256" in caplog.text
    assert counts(warehouse)[:3] == (7, 7, 7)
    with warehouse.engine.connect() as connection:
        progress = dict(connection.execute(select(ImapProgress.uidvalidity, ImapProgress.last_uid)).all())
    assert progress[old_validity] == 6 and progress[new_validity] == max(progress.values()) >= 7
    # the messages seen again are marked in the new folder too
    assert all(b"$BilanIngested" in flags for flags in server_flags(imap_env).values())


@pytest.mark.slow
def test_two_ingestions_at_once_double_nothing(imap_env, warehouse, tmp_path):
    """Two `bilan ingest` processes (without Prefect) on one mailbox and one
    warehouse, on SQLite and PostgreSQL."""
    lot = numbered_messages(15, "twice")
    imap_env.append_many(lot)
    runs = [BilanProcess(["ingest"], tmp_path / f"run{n}.log") for n in range(2)]
    outputs = []
    for run in runs:
        assert run.wait() == 0, run.output
        outputs.append(run.output)
    assert counts(warehouse) == (15, 15, 15, 15)
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(ImapProgress.last_uid)) == 15
    assert sum(int(o.split(" new,")[0].rsplit(" ", 1)[-1]) for o in outputs) == 15, outputs


def test_ingested_messages_are_marked_never_seen_and_never_deleted(imap_env, warehouse):
    lot = numbered_messages(3, "marked")
    uids = imap_env.append_many(lot)
    ingest()
    flags = server_flags(imap_env)
    assert sorted(flags) == uids
    assert all(b"$BilanIngested" in f and b"\\Seen" not in f and b"\\Deleted" not in f for f in flags.values())


def test_without_keyword_the_folder_is_opened_read_only(imap_env, warehouse):
    imap_env.append_many(numbered_messages(2, "readonly"))
    summary = ingest(keyword="")
    assert summary.processed == 2
    flags = server_flags(imap_env)
    assert all(set(f) <= {b"\\Recent"} for f in flags.values()), flags  # \Recent stays: nothing was selected read-write


def test_ingested_messages_can_be_moved_to_a_folder(imap_env, warehouse):
    imap_env.append_many(numbered_messages(4, "moved"))
    summary = ingest(move_to="Traités par bilan", batch_size=3)
    assert summary.processed == 4
    assert server_flags(imap_env) == {}
    moved = server_flags(imap_env, "Traités par bilan")
    assert len(moved) == 4 and all(b"$BilanIngested" in f for f in moved.values())
    imap_env.append_many(numbered_messages(1, "moved-later"))
    assert ingest(move_to="Traités par bilan").new == 1  # progress is kept although UIDs left INBOX
    assert counts(warehouse)[:3] == (5, 5, 5)


def test_a_message_that_breaks_processing_is_recorded_and_does_not_block_the_folder(
    imap_env, warehouse, monkeypatch
):
    import bilan.pipeline as pipeline

    lot = numbered_messages(3, "broken")
    imap_env.append_many(lot)
    real_extract = pipeline.extract

    def extract_or_fail(parsed, thresholds=None):
        if parsed.envelope.message_id == "<broken-1@aisne.gouv.fr>":
            raise RuntimeError("extractor bug")
        return real_extract(parsed, thresholds)

    monkeypatch.setattr(pipeline, "extract", extract_or_fail)
    summary = ingest()
    assert (summary.new, summary.processed, summary.failed) == (3, 2, 1)
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(ImapProgress.last_uid)) == 3
        error = connection.scalar(select(Message.process_error).where(Message.process_error.is_not(None)))
    assert "extractor bug" in error
    assert len(warehouse.unprocessed()) == 1

    monkeypatch.setattr(pipeline, "extract", real_extract)  # the bug is fixed
    from bilan.pipeline import process_backlog

    assert process_backlog(Pipeline(warehouse)).processed == 1
    assert counts(warehouse)[:3] == (3, 3, 3)


def test_a_folder_is_read_with_peek_only(imap_env, warehouse):
    """Reading never marks a message read for the people sharing the mailbox."""
    imap_env.append_many(numbered_messages(2, "peek"))
    from bilan.settings import get_settings

    account = account_from_settings(get_settings())
    with ImapSource(account) as source:
        assert source.readonly
        assert len(list(source.fetch(source.uids_after(0)))) == 2
    assert all(b"\\Seen" not in f for f in server_flags(imap_env).values())
