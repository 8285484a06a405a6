"""Text PostgreSQL cannot store (NUL characters) is made storable in one
place, the warehouse's text type, whoever writes it: a header, the extracted
text. The raw archive keeps the original bytes. Same data on SQLite and
PostgreSQL; and a run counts the messages that failed, not the attempts."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from bilan.cli import app
from bilan.storage.models import ExtractedText, Message
from tests.mail import message


def _crlf(mail) -> bytes:
    return mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))


def _import(path) -> str:
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_nul_in_a_header_is_left_out_of_the_row_and_kept_in_the_archive(warehouse, tmp_path):
    raw = _crlf(message(subject="Contribution\x00 Aisne", sender="Jeanne\x00 Martin <jeanne.martin@aisne.gouv.fr>"))
    assert b"\x00" in raw
    path = tmp_path / "nul.eml"
    path.write_bytes(raw)
    assert "1 new, 0 already known, 1 processed, 0 failed" in _import(path)
    with warehouse.engine.connect() as connection:
        row = connection.execute(select(Message)).one()
    assert (row.subject, row.sender_name, row.process_error) == ("Contribution Aisne", "Jeanne Martin", None)
    assert warehouse.archive.load(row.sha256) == raw


def test_a_nul_in_the_extracted_text_does_not_fail_the_message(warehouse, tmp_path):
    path = tmp_path / "nul-body.eml"
    path.write_bytes(_crlf(message(body="Bonjour,\x00 veuillez trouver la contribution du Nord.\n")))
    assert "1 processed, 0 failed" in _import(path)
    with warehouse.engine.connect() as connection:
        body = connection.scalar(select(ExtractedText.text).where(ExtractedText.position == -1))
        error = connection.scalar(select(Message.process_error))
    assert error is None
    assert body.startswith("Bonjour, veuillez trouver la contribution du Nord")


def test_a_run_counts_failed_messages_once(warehouse, tmp_path, monkeypatch):
    """The run processes its source, then what earlier runs left: a message
    that failed in the first step is not tried (and counted) again."""

    def extractor_bug(parsed, thresholds=None):
        raise RuntimeError("extractor bug")

    monkeypatch.setattr("bilan.pipeline.extract", extractor_bug)
    folder = tmp_path / "messages"
    folder.mkdir()
    for n in range(2):
        (folder / f"{n}.eml").write_bytes(_crlf(message(message_id=f"<fail-{n}@aisne.gouv.fr>")))
    assert "2 new, 0 already known, 0 processed, 2 failed" in _import(folder)
    with warehouse.engine.connect() as connection:
        errors = connection.scalars(select(Message.process_error)).all()
    assert len(errors) == 2 and all("extractor bug" in e for e in errors)
