"""A header that Python's e-mail parser cannot read never loses the message
nor stops a folder: the header is kept as written, the message is archived,
gets its row and goes on, by `bilan import FILE`, `--from-dir`, IMAP and
`bilan watch` (real Dovecot, SQLite and PostgreSQL)."""

from __future__ import annotations

import email
import threading

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bilan.cli import app
from bilan.parsers.headers import LENIENT, unreadable_headers
from bilan.storage.models import ImapProgress, Message
from tests.mail import message
from tests.processes import wait_until

#: Header forms on which the standard library's parser raises (Python 3.11):
#: IndexError, RecursionError (twice), AttributeError, IndexError.
POISON = {
    "cc_lone_quote": ("Cc", b'jean@aisne.gouv.fr, "'),
    "content_type_nested_comments": ("Content-Type", b"text/plain; charset=utf-8 " + b"(" * 2000 + b")" * 2000),
    "to_nested_comments": ("To", b"participation@anct.gouv.fr " + b"(" * 2000 + b")" * 2000),
    "from_domain_literal": ("From", b"jean.martin@[192.168.0.1"),
    "message_id_bracket": ("Message-ID", b"<["),
}


def good(n: int) -> bytes:
    mail = message(subject=f"Contribution bilan {n}", message_id=f"<good-{n}@aisne.gouv.fr>")
    return mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))


def poisoned(form: str, n: int = 0) -> bytes:
    """A contribution whose `form` header replaces the well-formed one."""
    name, value = POISON[form]
    mail = message(subject=f"Contribution bilan {form} {n}", message_id=f"<{form}-{n}@aisne.gouv.fr>")
    del mail[name]
    head, _, body = mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")).partition(b"\r\n\r\n")
    return head + b"\r\n" + name.encode() + b": " + value + b"\r\n\r\n" + body


def rows(warehouse) -> list:
    with warehouse.engine.connect() as connection:
        return list(connection.execute(select(Message).order_by(Message.id)).all())


def archived(warehouse) -> int:
    return len(list(warehouse.archive))


@pytest.mark.parametrize("form", sorted(POISON))
def test_import_file_keeps_the_message_and_its_readable_headers(form, warehouse, tmp_path):
    path = tmp_path / f"{form}.eml"
    path.write_bytes(poisoned(form))
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "0 failed" in result.output, result.output
    [row] = rows(warehouse)
    assert row.processed_at is not None and row.process_error is None
    assert row.subject == f"Contribution bilan {form} 0"
    assert row.needs_review and POISON[form][0].lower() in row.review_reason
    if form != "from_domain_literal":
        assert row.sender == "jeanne.martin@aisne.gouv.fr"
    assert archived(warehouse) == 1


@pytest.mark.parametrize("form", sorted(POISON))
def test_a_header_read_again_reads_the_same(form):
    """Header objects are kept per value (every read of a header parsed it
    again): a second message, or a second read, gets the same reading."""
    first, second = (email.message_from_bytes(poisoned(form), policy=LENIENT) for _ in range(2))
    name = POISON[form][0]
    assert [str(v) for v in first.get_all(name)] == [str(v) for v in second.get_all(name)]
    assert unreadable_headers(first) == unreadable_headers(second) == [name.lower()]
    assert first["Subject"] is second["Subject"]


def test_from_dir_stores_every_message(warehouse, tmp_path):
    folder = tmp_path / "messages"
    folder.mkdir()
    raws = [good(n) for n in range(3)] + [poisoned(form) for form in sorted(POISON)]
    for position, raw in enumerate(raws):
        (folder / f"{position:02d}.eml").write_bytes(raw)
    result = CliRunner().invoke(app, ["ingest", "--from-dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert f"{len(raws)} new" in result.output and f"{len(POISON)} with headers kept as written" in result.output
    stored = rows(warehouse)
    assert len(stored) == len(raws) and all(row.processed_at is not None for row in stored)
    assert archived(warehouse) == len(raws)


def _imap_folder(dovecot) -> list[bytes]:
    """Good messages with a poison one between each two."""
    raws = [good(0)]
    for n, form in enumerate(sorted(POISON), start=1):
        raws += [poisoned(form), good(n)]
    dovecot.append_many(raws)
    return raws


def _server_flags(dovecot) -> list[tuple]:
    with dovecot.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        return list(imap.get_flags(imap.search("ALL")).values())


def test_imap_folder_with_poison_messages_is_ingested_to_its_end(imap_env, warehouse):
    raws = _imap_folder(imap_env)
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    stored = rows(warehouse)
    assert len(stored) == len(raws) and all(row.processed_at is not None for row in stored)
    assert archived(warehouse) == len(raws)
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(ImapProgress.last_uid)) == len(raws)
    flags = _server_flags(imap_env)
    assert len(flags) == len(raws) and all(b"$BilanIngested" in f for f in flags), flags


def test_watch_stores_messages_arriving_after_a_poison_one(imap_env, warehouse, settings_env, pipeline):
    from bilan.mailbox.watcher import Watcher

    watcher = Watcher(settings_env, pipeline)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert watcher.ready.wait(60)
        imap_env.append_many([poisoned("cc_lone_quote"), poisoned("to_nested_comments")])
        imap_env.append_many([good(1)])

        def count() -> int:
            with warehouse.engine.connect() as connection:
                return connection.scalar(select(func.count()).where(Message.processed_at.is_not(None)))

        wait_until(lambda: count() == 3, 30, message="the good message after the poison ones committed")
    finally:
        watcher.stop()
        thread.join(30)
    assert watcher.backoff.attempt == 0
