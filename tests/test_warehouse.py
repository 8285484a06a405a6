"""The warehouse on SQLite and PostgreSQL: archive first, natural keys,
replacing derived rows, IMAP progress that only moves forward."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Attachment, Department, ExtractedText, Message, MessageDepartment
from tests.mail import DOCX, docx_bytes, message

RECEIVED = dt.datetime(2021, 12, 9, 10, 0, tzinfo=dt.UTC)


def _raw(**kwargs) -> bytes:
    mail = message(received=RECEIVED, **kwargs)
    mail.add_attachment(docx_bytes("Préconisations", ["Former les conseillers"]), *DOCX, filename="note.docx")
    return mail.as_bytes()


def _count(warehouse, model) -> int:
    with warehouse.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_reference_data_is_loaded_once(warehouse, settings_env):
    from bilan.storage.warehouse import Warehouse

    Warehouse.open(settings_env)  # a second start must not duplicate anything
    assert _count(warehouse, Department) == 101
    with warehouse.engine.connect() as connection:
        codes = set(connection.scalars(select(Department.code)))
    assert {"01", "2A", "2B", "59", "971", "976"} <= codes


def test_message_is_archived_raw_before_processing(warehouse):
    raw = _raw()
    archived = archive_raw(warehouse, RawMessage(raw=raw, source="test:1"))
    assert archived.new and not archived.processed
    assert warehouse.archive.load(archived.sha256) == raw
    assert warehouse.archive.path_for(archived.sha256).name == f"{archived.sha256}.eml"
    assert warehouse.unprocessed() == [archived.sha256]
    with warehouse.engine.connect() as connection:
        row = connection.execute(select(Message.received_at, Message.kind)).one()
    assert row.received_at == RECEIVED and row.kind is None


def test_a_batch_is_archived_files_first_then_rows_in_one_transaction(warehouse, monkeypatch):
    from bilan.pipeline import read_headers

    raws = [_raw(message_id=f"<batch-{n}@aisne.gouv.fr>") for n in range(3)]
    known = archive_raw(warehouse, RawMessage(raw=raws[0], source="test:0"))
    batch = [(raw, read_headers(raw), f"test:{n}", RECEIVED) for n, raw in enumerate(raws)]
    archived = warehouse.archive_messages(batch + [batch[1]])  # a message twice in one batch
    assert [a.sha256 for a in archived][:3] == [known.sha256, *(a.sha256 for a in archived[1:3])]
    assert [a.new for a in archived] == [False, True, True, False]
    assert all(warehouse.archive.load(a.sha256) == raw for a, raw in zip(archived, raws))
    assert _count(warehouse, Message) == 3 and not any(warehouse.archive.root.glob(".incoming-*"))

    # Rows are written only once every file of the batch is on disk: a file
    # that cannot be written leaves no row, and no temporary file behind.
    import bilan.storage.raw_archive as raw_archive

    def disk_full(*args):
        raise OSError("No space left on device")

    monkeypatch.setattr(raw_archive, "_flush_files", disk_full)
    late = _raw(message_id="<batch-late@aisne.gouv.fr>")
    with pytest.raises(OSError):
        warehouse.archive_messages([(late, read_headers(late), "test:late", RECEIVED)])
    assert _count(warehouse, Message) == 3 and not any(warehouse.archive.root.glob(".incoming-*"))


def test_archiving_and_processing_twice_changes_nothing(warehouse):
    raw = _raw()
    first = archive_raw(warehouse, RawMessage(raw=raw, source="test:1"))
    assert process_archived(Pipeline(warehouse), first.sha256).processed == 1
    counts = [_count(warehouse, m) for m in (Message, Attachment, ExtractedText, MessageDepartment)]
    second = archive_raw(warehouse, RawMessage(raw=raw, source="test:2"))
    assert not second.new and second.processed
    assert process_archived(Pipeline(warehouse), first.sha256).processed == 0
    assert [_count(warehouse, m) for m in (Message, Attachment, ExtractedText, MessageDepartment)] == counts
    assert counts[:2] == [1, 1]


def test_reprocessing_replaces_derived_rows(warehouse):
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    process_archived(Pipeline(warehouse), archived.sha256)
    process_archived(Pipeline(warehouse), archived.sha256, replace=True)
    assert _count(warehouse, Attachment) == 1
    assert _count(warehouse, MessageDepartment) == 1


def test_a_message_that_breaks_processing_is_kept_and_marked(warehouse, monkeypatch):
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))

    def explode(parsed, thresholds=None):
        raise RuntimeError("extractor bug")

    monkeypatch.setattr("bilan.pipeline.extract", explode)
    summary = process_archived(Pipeline(warehouse), archived.sha256)
    assert summary.failed == 1
    with warehouse.engine.connect() as connection:
        error = connection.scalar(select(Message.process_error))
    assert "extractor bug" in error
    assert warehouse.unprocessed() == [archived.sha256]  # retried by the next run


def test_imap_progress_never_moves_backward(warehouse):
    warehouse.advance_imap("anct@mx:993", "INBOX", 7, 10)
    warehouse.advance_imap("anct@mx:993", "INBOX", 7, 4)
    assert warehouse.imap_last_uid("anct@mx:993", "INBOX", 7) == 10
    assert warehouse.imap_last_uid("anct@mx:993", "INBOX", 8) == 0  # a new UIDVALIDITY starts over
    warehouse.advance_imap("anct@mx:993", "INBOX", 7, 12)
    assert warehouse.imap_last_uid("anct@mx:993", "INBOX", 7) == 12


def test_naive_datetimes_are_refused(warehouse):
    from bilan.storage.db import transaction

    with pytest.raises(Exception, match="naive"):
        with transaction(warehouse.engine) as session:
            session.add(Message(sha256="x" * 64, subject="", source="t", size=1, archived_at=dt.datetime(2021, 1, 1)))
