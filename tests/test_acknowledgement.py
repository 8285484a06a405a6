"""Acknowledgement of receipt: off by default; when on, one French message per
new contribution, listing the files received and those that could not be read."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from bilan.flows.ingest import ingest_mailbox
from bilan.outgoing.acknowledgements import acknowledge_contributions
from bilan.settings import get_settings
from tests.conftest import SAMPLES
from tests.loading import load_raw
from tests.mail import DOCX, docx_bytes, message

RECEIVED = dt.datetime(2021, 12, 8, 10, 0, tzinfo=dt.UTC)
SOON_AFTER = RECEIVED + dt.timedelta(minutes=5)


def _contribution() -> bytes:
    mail = message(
        subject="Contribution bilan démarches participatives - Aisne (02)",
        received=RECEIVED,
        message_id="<contribution-1@aisne.gouv.fr>",
    )
    mail.add_attachment(docx_bytes("Bilan", ["Former les conseillers citoyens"]), *DOCX, filename="Bilan Aisne.docx")
    mail.add_attachment(b"%PDF-1.4\n1 0 obj << /Type /Catalog", "application", "pdf", filename="Annexe 1.pdf")
    return mail.as_bytes()


def test_each_contribution_is_acknowledged_once(warehouse, smtp_env):
    load_raw(warehouse, _contribution())
    load_raw(warehouse, message(
        subject="Question sur l'annexe 2", body="Faut-il remplir l'annexe 2 pour chaque QPV ?",
        received=RECEIVED, message_id="<question@aisne.gouv.fr>",
    ).as_bytes())
    settings = get_settings()
    run = acknowledge_contributions(warehouse, settings, SOON_AFTER)
    assert len(run.sent) == 1 and not run.failed
    (received,) = smtp_env.received
    assert received.rcpt_tos == ["jeanne.martin@aisne.gouv.fr"] and received.tls
    mail = received.message
    assert mail["Subject"].startswith("Accusé de réception – Contribution bilan")
    assert mail["In-Reply-To"] == "<contribution-1@aisne.gouv.fr>" and mail["Auto-Submitted"] == "auto-replied"
    body = mail.get_content()
    assert "8 décembre 2021 à 11 h 00" in body
    assert "Bilan Aisne.docx" in body.split("Fichiers reçus et lus")[1].split("Nous n'avons pas pu lire")[0]
    assert "Annexe 1.pdf : endommagé ou incomplet" in body
    assert acknowledge_contributions(warehouse, settings, SOON_AFTER).sent == []
    assert len(smtp_env.received) == 1
    with warehouse.engine.connect() as connection:
        assert connection.execute(text("SELECT status, recipient FROM acknowledgement")).one() == (
            "sent", "jeanne.martin@aisne.gouv.fr"
        )


def test_old_contributions_are_never_acknowledged(warehouse, smtp_env):
    load_raw(warehouse, _contribution())
    run = acknowledge_contributions(warehouse, get_settings(), RECEIVED + dt.timedelta(days=30))
    assert run.sent == [] and smtp_env.received == []


def test_an_unreachable_server_does_not_stop_anything(warehouse, monkeypatch, smtp_env):
    load_raw(warehouse, _contribution())
    monkeypatch.setenv("BILAN_SMTP_PORT", "1")  # nothing listens there
    run = acknowledge_contributions(warehouse, get_settings(), SOON_AFTER)
    assert run.sent == [] and "smtp://127.0.0.1:1" in run.error
    monkeypatch.setenv("BILAN_SMTP_PORT", str(smtp_env.port))  # back: it is still due
    assert len(acknowledge_contributions(warehouse, get_settings(), SOON_AFTER).sent) == 1


@pytest.mark.parametrize("enabled", [False, True])
def test_the_ingest_flow_acknowledges_only_when_asked(prefect_server, settings_env, smtp_env, monkeypatch, enabled):
    if enabled:
        monkeypatch.setenv("BILAN_ACKNOWLEDGE", "true")
        monkeypatch.setenv("BILAN_ACKNOWLEDGE_WITHIN_DAYS", "100000")  # the samples date from 2021
    ingest_mailbox(from_dir=str(SAMPLES))
    if not enabled:
        assert smtp_env.received == []
        return
    # samples/README.md: messages 06 to 12 are the 7 contributions.
    assert len(smtp_env.received) == 7
    ingest_mailbox(from_dir=str(SAMPLES))
    assert len(smtp_env.received) == 7
