"""Message kinds told by the envelope (auto-replies, read receipts, delivery
failures), and the original message they answer, linked where it is quoted."""

from __future__ import annotations

import datetime as dt
import zlib

import pytest
from sqlalchemy import select

from bilan.mailbox.raw import RawMessage
from bilan.nlp.extraction import extract
from bilan.parsers import parse_message
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Message
from tests.mail import message

ORIGINAL = "<instruction-2021-10@anct.gouv.fr>"


def report(report_type: str, machine_part: str, *, sender: str, subject: str) -> bytes:
    """A multipart/report (RFC 6522) as mail servers write them."""
    return (
        f"Received: from mx.example by mx.anct.gouv.fr; Wed, 1 Dec 2021 09:03:40 +0100\r\n"
        f"From: {sender}\r\nTo: participation-habitants@anct.gouv.fr\r\nSubject: {subject}\r\n"
        f"Message-ID: <{report_type}-{zlib.crc32(machine_part.encode())}@mx.example>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis is an automatic notice.\r\n"
        f"{machine_part}--B--\r\n"
    ).encode()


DSN = report(
    "delivery-status",
    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.sarthe.gouv.fr\r\n\r\n"
    "Final-Recipient: rfc822; pref@sarthe.gouv.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: participation-habitants@anct.gouv.fr\r\n"
    f"Subject: Bilan des demarches participatives\r\nMessage-ID: {ORIGINAL}\r\n\r\n",
    sender="Mail Delivery System <MAILER-DAEMON@mx.sarthe.gouv.fr>",
    subject="Undelivered Mail Returned to Sender",
)
MDN = report(
    "disposition-notification",
    "--B\r\nContent-Type: message/disposition-notification\r\n\r\nReporting-UA: Microsoft Outlook\r\n"
    "Final-Recipient: rfc822;pref@isere.gouv.fr\r\n"
    f"Original-Message-ID: {ORIGINAL}\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n\r\n",
    sender="Préfecture de l'Isère <pref@isere.gouv.fr>",
    subject="Lu : Bilan des démarches participatives",
)
BOUNCE_WITH_ORIGINAL = report(
    "delivery-status",
    "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
    "Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: participation-habitants@anct.gouv.fr\r\n"
    f"Subject: Rappel\r\nMessage-ID: {ORIGINAL}\r\n\r\nMadame, Monsieur,\r\n\r\n",
    sender="postmaster@example.org",
    subject="Delivery Status Notification (Failure)",
)


def auto_reply(**headers) -> bytes:
    return message(
        subject="Réponse automatique : Bilan des démarches participatives",
        body="Je suis absente jusqu'au 13 décembre.",
        message_id="<ooo-1@nord.gouv.fr>",
        sender="Agent <agent@nord.gouv.fr>",
        headers={"Auto-Submitted": "auto-replied", **headers},
    ).as_bytes()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (DSN, "bounce"),
        (BOUNCE_WITH_ORIGINAL, "bounce"),
        (MDN, "read_receipt"),
        (auto_reply(**{"In-Reply-To": ORIGINAL}), "auto_reply"),
        (auto_reply(References=f"<older@anct.gouv.fr> {ORIGINAL}"), "auto_reply"),
    ],
    ids=["dsn-headers", "dsn-original-attached", "mdn", "auto-reply-in-reply-to", "auto-reply-references"],
)
def test_envelope_kinds_name_the_message_they_answer(raw, kind):
    extraction = extract(parse_message(raw))
    assert extraction.kind == kind
    assert extraction.original_message_id == ORIGINAL


@pytest.mark.parametrize(
    ("headers", "subject"),
    [({"X-Autoreply": "yes"}, "Re: bilan"), ({}, "Absence du bureau"), ({}, "Réponse automatique : bilan")],
)
def test_auto_replies_are_recognised_from_their_headers_or_subject(headers, subject):
    raw = message(subject=subject, body="Je suis absent.", headers=headers).as_bytes()
    assert extract(parse_message(raw)).kind == "auto_reply"


def test_a_plain_bounce_quoting_the_original_in_its_text():
    raw = message(
        sender="MAILER-DAEMON@mx.example.org",
        subject="Undelivered Mail Returned to Sender",
        body=f"Your message could not be delivered.\n\n> Message-ID: {ORIGINAL}\n> Subject: Rappel\n",
    ).as_bytes()
    extraction = extract(parse_message(raw))
    assert (extraction.kind, extraction.original_message_id) == ("bounce", ORIGINAL)


def test_a_contribution_that_replies_is_not_an_answer_of_that_kind():
    raw = message(headers={"In-Reply-To": ORIGINAL}).as_bytes()
    extraction = extract(parse_message(raw))
    assert extraction.kind == "contribution" and extraction.original_message_id is None


def _ingest(warehouse, raw: bytes) -> str:
    archived = archive_raw(warehouse, RawMessage(raw=raw, source="test:"))
    assert process_archived(Pipeline(warehouse), archived.sha256).processed == 1
    return archived.sha256


def _links(warehouse) -> dict[str, tuple[str | None, str | None]]:
    """Message-ID -> (original Message-ID, Message-ID of the linked row)."""
    with warehouse.engine.connect() as connection:
        rows = connection.execute(select(Message.id, Message.message_id, Message.original_message_id,
                                         Message.original_id)).all()  # fmt: skip
    by_id = {r.id: r.message_id for r in rows}
    return {r.message_id: (r.original_message_id, by_id.get(r.original_id)) for r in rows}


def test_answers_are_linked_to_their_original_in_the_warehouse_whatever_the_order(warehouse):
    original = message(
        subject="Bilan des démarches participatives",
        message_id=ORIGINAL,
        sender="ANCT <participation-habitants@anct.gouv.fr>",
        received=dt.datetime(2021, 10, 20, 9, 0, tzinfo=dt.UTC),
    ).as_bytes()
    _ingest(warehouse, DSN)  # the answer arrives first (e.g. an import of an older export)
    assert _links(warehouse)[_message_id(DSN)] == (ORIGINAL, None)
    _ingest(warehouse, original)
    _ingest(warehouse, MDN)
    links = _links(warehouse)
    assert links[_message_id(DSN)] == (ORIGINAL, ORIGINAL)
    assert links[_message_id(MDN)] == (ORIGINAL, ORIGINAL)
    assert links[ORIGINAL] == (None, None)


def _message_id(raw: bytes) -> str:
    return parse_message(raw).envelope.message_id
