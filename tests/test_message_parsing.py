"""Walking an e-mail: envelope, body, attachments at any depth, bad files."""

from __future__ import annotations

import datetime as dt

from bilan.parsers import ParseStatus, parse_message
from tests.mail import DOCX, XLSX, docx_bytes, message, xlsx_bytes, zip_bytes

PARIS_EVENING = dt.datetime(2021, 12, 10, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_receipt_time_is_the_topmost_received_header_in_utc():
    mail = message(received=PARIS_EVENING)
    mail["Date"] = "Fri, 10 Dec 2021 09:00:00 +0100"  # the sender's clock, ignored
    parsed = parse_message(mail.as_bytes())
    assert parsed.envelope.received_at == dt.datetime(2021, 12, 10, 22, 30, tzinfo=dt.UTC)
    assert parsed.envelope.date == dt.datetime(2021, 12, 10, 8, 0, tzinfo=dt.UTC)


def test_encoded_file_names_are_decoded():
    mail = message()
    mail.add_attachment(xlsx_bytes([["Commune"], ["Laon"]]), *XLSX, filename="Annexe 1 complétée.xlsx")
    raw = mail.as_bytes()
    assert b"filename*=" in raw  # RFC 2231 on the wire
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["Annexe 1 complétée.xlsx"]
    assert parsed.attachments[0].format == "xlsx"


def test_format_comes_from_the_bytes_not_the_name():
    mail = message()
    mail.add_attachment(xlsx_bytes([["a"]]), "application", "octet-stream", filename="annexe.xls")
    parsed = parse_message(mail.as_bytes())
    assert parsed.attachments[0].format == "xlsx"
    assert parsed.attachments[0].status is ParseStatus.OK


def test_attached_message_and_zip_children_point_to_their_container():
    inner = message(subject="Envoi initial", message_id="<inner@aisne.gouv.fr>")
    inner.add_attachment(docx_bytes("Préconisations", ["Former les conseillers"]), *DOCX, filename="note.docx")
    outer = message(subject="TR: Envoi initial")
    outer.add_attachment(inner, filename="Envoi initial.eml")
    outer.add_attachment(zip_bytes({"dossier/annexe2.xlsx": xlsx_bytes([["Type"]])}), "application", "zip", filename="annexes.zip")
    parsed = parse_message(outer.as_bytes())
    names = {a.filename: a for a in parsed.attachments}
    assert set(names) == {"Envoi initial.eml", "note.docx", "annexes.zip", "annexe2.xlsx"}
    assert names["note.docx"].parent == names["Envoi initial.eml"].index
    assert names["annexe2.xlsx"].parent == names["annexes.zip"].index  # folder stripped from the name
    assert names["Envoi initial.eml"].format == "eml"
    assert "Former les conseillers" in names["note.docx"].document.text


def test_a_corrupt_attachment_is_recorded_and_the_rest_is_still_parsed():
    mail = message()
    good = docx_bytes("Préconisations", ["Renforcer la formation"])
    mail.add_attachment(good[: len(good) // 2], *DOCX, filename="tronqué.docx")
    mail.add_attachment(b"%PDF-1.4\n1 0 obj\n<<", "application", "pdf", filename="coupé.pdf")
    mail.add_attachment(good, *DOCX, filename="bon.docx")
    parsed = parse_message(mail.as_bytes())
    statuses = {a.filename: a.status for a in parsed.attachments}
    assert statuses == {
        "tronqué.docx": ParseStatus.CORRUPT,
        "coupé.pdf": ParseStatus.CORRUPT,
        "bon.docx": ParseStatus.OK,
    }
    assert all(a.error for a in parsed.attachments if a.status is not ParseStatus.OK)
    assert "Renforcer la formation" in parsed.attachments[2].document.text
    assert "contribution" in parsed.body.text


def test_oversized_file_is_not_parsed(monkeypatch):
    from bilan.parsers.limits import Limits

    mail = message()
    mail.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 2000, "image", "png", filename="photo.png")
    parsed = parse_message(mail.as_bytes(), Limits(max_file_bytes=1000))
    assert parsed.attachments[0].status is ParseStatus.TOO_LARGE
    assert "limit" in parsed.attachments[0].error


def test_report_parts_are_not_attachments():
    raw = (
        b"From: MAILER-DAEMON@mx.anct.gouv.fr\r\nTo: x@anct.gouv.fr\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <b@mx>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\n<jean@aude.gouv.fr>: unknown user\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; jean@aude.gouv.fr\r\nAction: failed\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Relance\r\n"
        b"--B--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.attachments == []
    assert parsed.envelope.report_type == "delivery-status"
    assert "unknown user" in parsed.body.text


def test_html_only_body_becomes_blocks():
    mail = message(body="")
    mail.set_content(
        "<html><body><h2>Préconisations</h2><ul><li>Former les conseillers citoyens</li>"
        "<li>Associer les habitants au COPIL</li></ul><p>Cordialement</p></body></html>",
        subtype="html",
    )
    parsed = parse_message(mail.as_bytes())
    kinds = [(b.kind.value, b.text) for b in parsed.body.blocks]
    assert kinds == [
        ("heading", "Préconisations"),
        ("list_item", "Former les conseillers citoyens"),
        ("list_item", "Associer les habitants au COPIL"),
        ("paragraph", "Cordialement"),
    ]
