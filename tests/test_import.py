"""`bilan import PATH`: a folder of .eml, one .eml, an mbox file (Thunderbird
export) or a Maildir, detected by looking; the same message from any of them
and from IMAP is one row."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bilan.cli import app
from bilan.ingestion import import_path
from bilan.mailbox.cycle import account_from_settings, ingest_imap
from bilan.mailbox.errors import SourceError
from bilan.mailbox.local import (
    DirectorySource,
    EmlFileSource,
    MaildirSource,
    MboxSource,
    canonical_form,
    open_local_source,
)
from bilan.pipeline import Pipeline
from bilan.storage.export import export_contract
from bilan.storage.models import Message
from bilan.storage.raw_archive import sha256_of
from tests.conftest import SAMPLES
from tests.mail import message

SAMPLE_PATHS = sorted(SAMPLES.glob("*.eml"))


def write_mbox(path: Path, raws: list[bytes]) -> Path:
    box = mailbox.mbox(path)
    for raw in raws:
        box.add(raw)  # LF line ends and ">From " quoting, as mail programs write
    box.close()
    return path


def write_maildir(path: Path, raws: list[bytes]) -> Path:
    box = mailbox.Maildir(path)
    for raw in raws:
        box.add(raw)
    box.close()
    return path


def message_shas(warehouse) -> list[str]:
    with warehouse.engine.connect() as connection:
        return sorted(connection.scalars(select(Message.sha256)))


def test_the_format_is_detected_by_looking(tmp_path):
    raws = [p.read_bytes() for p in SAMPLE_PATHS[:3]]
    assert isinstance(open_local_source(SAMPLES), DirectorySource)
    assert isinstance(open_local_source(SAMPLE_PATHS[0]), EmlFileSource)
    mbox = write_mbox(tmp_path / "Inbox", raws)  # Thunderbird's files have no extension
    assert isinstance(open_local_source(mbox), MboxSource) and len(open_local_source(mbox)) == 3
    maildir = write_maildir(tmp_path / "Maildir", raws)
    assert isinstance(open_local_source(maildir), MaildirSource) and len(open_local_source(maildir)) == 3


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"", "empty file"), (b"\x89PNG\r\n\x1a\n\x00\x00", "neither an e-mail"), (None, "no .eml file")],
)
def test_what_is_not_a_mailbox_gets_a_clear_error(tmp_path, content, error):
    path = tmp_path / "thing"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(SourceError, match=error):
        open_local_source(path)


def test_mbox_and_maildir_give_the_imap_rows(imap_env, warehouse, pipeline, tmp_path):
    """Same sha256, hence nothing new, when the messages already came by IMAP."""
    raws = [p.read_bytes() for p in SAMPLE_PATHS]
    imap_env.append_many(raws)
    from bilan.settings import get_settings

    by_imap = ingest_imap(pipeline, account_from_settings(get_settings()))
    assert by_imap.new == len(raws)
    before = export_contract(warehouse)
    for path in (write_mbox(tmp_path / "export.mbox", raws), write_maildir(tmp_path / "Maildir", raws)):
        summary = import_path(pipeline, path)
        assert (summary.new, summary.already_known, summary.failed) == (0, len(raws), 0), path
    assert export_contract(warehouse) == before
    assert message_shas(warehouse) == sorted(sha256_of(raw) for raw in raws)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_mbox_alone_gives_the_same_rows_as_imap(imap_env, warehouse, pipeline, settings_env, tmp_path):
    from bilan.settings import get_settings
    from bilan.storage.warehouse import Warehouse

    raws = [p.read_bytes() for p in SAMPLE_PATHS]
    imap_env.append_many(raws)
    ingest_imap(pipeline, account_from_settings(get_settings()))
    other = settings_env.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'mbox.db'}", "archive_dir": tmp_path / "mbox-archive"}
    )
    with Pipeline.open(other, pool=pipeline.pool) as elsewhere:
        import_path(elsewhere, write_mbox(tmp_path / "export.mbox", raws))

    def rows(target) -> list[dict]:
        return sorted(
            ({k: v for k, v in m.items() if k != "file"} for m in export_contract(target)["messages"]),
            key=lambda m: m["message_id"],
        )

    assert rows(Warehouse.open(other)) == rows(warehouse)
    assert export_contract(Warehouse.open(other))["departments"] == export_contract(warehouse)["departments"]


def test_the_maildir_dovecot_writes_is_read_as_imap_delivers_it(imap_env, pipeline):
    """Dovecot stores LF line ends and serves CRLF: both give one sha256."""
    raws = [p.read_bytes() for p in SAMPLE_PATHS[:4]]
    imap_env.append_many(raws)
    from bilan.settings import get_settings

    stored = imap_env.mail_root / imap_env.user / "Maildir"
    assert b"\r\n" not in next((stored / "new").iterdir()).read_bytes()[:200]
    assert import_path(pipeline, stored).new == 4
    assert ingest_imap(pipeline, account_from_settings(get_settings())).already_known == 4


def test_a_thunderbird_export_is_undone_to_the_message_as_received(tmp_path, warehouse, pipeline):
    mail = message(received=dt.datetime(2021, 12, 9, 16, 30, tzinfo=dt.UTC), message_id="<tb@aisne.gouv.fr>")
    mail.set_content("Bonjour,\n\nFrom the prefecture of Aisne, our contribution.\nCordialement\n")
    as_received = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
    head, body = as_received.split(b"\r\n\r\n", 1)
    thunderbird_copy = (
        b"From - Thu Dec 09 17:31:02 2021\n"
        + b"X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nX-Mozilla-Keys:                 \n"
        + head.replace(b"\r\n", b"\n")
        + b"\n\n"
        + body.replace(b"\r\n", b"\n").replace(b"\nFrom the", b"\n>From the")
        + b"\n"
    )
    path = tmp_path / "Bilan"
    path.write_bytes(thunderbird_copy)
    (raw,) = [m.raw for m in open_local_source(path)]
    assert raw == as_received
    summary = import_path(pipeline, path)
    assert summary.new == 1
    with warehouse.engine.connect() as connection:
        row = connection.execute(select(Message.sha256, Message.received_at)).one()
    assert row.sha256 == sha256_of(as_received)
    assert row.received_at == dt.datetime(2021, 12, 9, 16, 30, tzinfo=dt.UTC)  # topmost Received


def test_without_received_header_the_mailbox_dates_are_used(tmp_path):
    mail = message()
    raw = mail.as_bytes()
    mbox = tmp_path / "box"
    mbox.write_bytes(b"From MAILER-DAEMON Fri Dec 10 21:05:00 2021\n" + raw.replace(b"\r\n", b"\n") + b"\n")
    (from_mbox,) = list(open_local_source(mbox))
    assert from_mbox.received_at == dt.datetime(2021, 12, 10, 21, 5, tzinfo=dt.UTC)
    maildir = write_maildir(tmp_path / "Maildir", [raw])
    (from_maildir,) = list(open_local_source(maildir))
    assert abs(from_maildir.received_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_canonical_form_only_drops_local_state_headers():
    raw = (
        b"Status: RO\nX-Status: A\nReceived: from a\n by b; Thu, 9 Dec 2021 10:00:00 +0100\n"
        b"X-Statusbar: kept\nSubject: x\n  continued\n\nStatus: body line kept\n"
    )
    assert canonical_form(raw) == (
        b"Received: from a\r\n by b; Thu, 9 Dec 2021 10:00:00 +0100\r\nX-Statusbar: kept\r\n"
        b"Subject: x\r\n  continued\r\n\r\nStatus: body line kept\r\n"
    )


def test_the_import_command_detects_and_summarises(settings_env, tmp_path):
    mbox = write_mbox(tmp_path / "Inbox", [p.read_bytes() for p in SAMPLE_PATHS])
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(mbox)])
    assert result.exit_code == 0, result.output
    assert f"messages: {len(SAMPLE_PATHS)} new, 0 already known" in result.output
    again = runner.invoke(app, ["import", str(SAMPLES)])
    assert f"0 new, {len(SAMPLE_PATHS)} already known" in again.output
    broken = tmp_path / "not-mail.bin"
    broken.write_bytes(b"\x00\x01\x02")
    refused = runner.invoke(app, ["import", str(broken)])
    assert refused.exit_code == 1 and "neither an e-mail" in refused.output


def test_import_counts_rows_per_source_once(warehouse, pipeline, tmp_path):
    raws = [p.read_bytes() for p in SAMPLE_PATHS[:5]]
    import_path(pipeline, write_mbox(tmp_path / "a.mbox", raws))
    import_path(pipeline, write_mbox(tmp_path / "b.mbox", raws[2:] + raws[:2]))
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Message)) == 5
