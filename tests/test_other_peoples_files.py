"""Other people's mail and files, read right: charsets, file names, empty and
look-alike files, and text that used to be lost (issue 16). Each test builds
the kind of input real senders' software writes; none reads a corpus."""

from __future__ import annotations

import base64
import datetime as dt
import io
import string
import zipfile

import pytest
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bilan.flows.pipeline import archive_raw, process_archived
from bilan.flows.sources import EmlFileSource, RawMessage, open_local_source
from bilan.parsers import parse_message
from bilan.parsers.charset import may_be_mojibake, repair
from bilan.parsers.document import BlockKind, ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.registry import parse_outcome
from bilan.parsers.sniff import sniff_format
from bilan.storage.models import Attachment, Message
from bilan.storage.status import department_statuses
from tests.documents import (
    biff4_xls_bytes,
    blank_scan_pdf_bytes,
    lines_pdf_bytes,
    nested_table_docx_bytes,
    pdf_bytes,
    pptx_bytes,
    spreadsheetml_bytes,
    tnef_rtf_bytes,
    xlsb_bytes,
)
from tests.loading import load_raw
from tests.mail import XLSX, message

ROWS = [["Commune", "Habitants"], ["Laon", 12], ["Soissons", 8]]
AISNE = {
    "subject": "Contribution bilan démarches participatives - Aisne (02)",
    "received": dt.datetime(2021, 12, 1, 9, 0, tzinfo=dt.timezone.utc),
}


def _raw(headers: list[bytes], parts: list[tuple[bytes, bytes]] | None = None, body: bytes = b"Bonjour.") -> bytes:
    """A message as a sender's software writes it, bytes as they are: headers
    may carry 8-bit text, parts are (headers, payload) pairs of a multipart/mixed."""
    head = b"From: x@aisne.gouv.fr\r\nTo: participation-habitants@anct.gouv.fr\r\nMIME-Version: 1.0\r\n"
    head += b"".join(h + b"\r\n" for h in headers)
    if parts is None:
        return head + b"\r\n" + body
    out = head + b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    for part_headers, payload in parts:
        out += b"--b1\r\n" + part_headers + b"\r\n\r\n" + payload + b"\r\n"
    return out + b"--b1--\r\n"


# --- 2. Charsets --------------------------------------------------------------------


def test_charsets_are_decoded_as_mail_readers_decode_them():
    stray = parse_message(_raw([b"Content-Type: text/plain; charset=utf-8"],
                               body="Профиль пользователя".encode() + b"\xff" + " обновлён".encode()))  # fmt: skip
    assert "Профиль пользователя" in stray.body.text and "обновлён" in stray.body.text
    gbk = parse_message(_raw([b"Content-Type: text/plain; charset=gb2312"], body="测试邮件：鍀".encode("gbk")))
    assert gbk.body.text == "测试邮件：鍀"  # gb2312 names GBK here; gb18030 reads it
    windows = parse_message(_raw([b"Content-Type: text/plain; charset=iso-8859-1"],
                                 body="Le c\x9cur du projet \x96 l\x92atelier".encode("latin-1")))  # fmt: skip
    assert windows.body.text == "Le cœur du projet – l’atelier"


def test_raw_8bit_headers_and_names_are_stored_readable(warehouse):
    raw = _raw(
        [b"Subject: R\xe9ponse \xe0 l'enqu\xeate - Aisne (02)", b"Date: Wed, 01 Dec 2021 10:00:00 +0100"],
        parts=[
            (b"Content-Type: text/plain; charset=iso-8859-1", b"Veuillez trouver notre synth\xe8se."),
            ((b'Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="Synth\xe8se pr\xe9conisations.pdf"\r\n'
              b"Content-Transfer-Encoding: base64"), base64.b64encode(pdf_bytes())),
        ],
    ).replace(b"From: x@aisne.gouv.fr", b"From: Ingo L\xfctkebohle <ingo@aisne.gouv.fr>")
    load_raw(warehouse, raw)
    with warehouse.engine.connect() as connection:
        stored = connection.execute(select(Message.subject, Message.sender_name)).one()
        names = connection.execute(select(Attachment.filename)).scalars().all()
    assert stored == ("Réponse à l'enquête - Aisne (02)", "Ingo Lütkebohle")
    assert names == ["Synthèse préconisations.pdf"]


def test_mojibake_in_headers_is_repaired_and_accents_are_left_alone():
    raw = _raw(["Subject: RÃ©ponse Ã  l'enquÃªte - Aisne (02)".encode()])
    assert parse_message(raw).envelope.subject == "Réponse à l'enquête - Aisne (02)"
    written = "Réponse à l’enquête – Aisne (02) : cœur du projet"
    assert repair(written) == written


#: Every character ftfy's mojibake patterns name, and ASCII to set them apart.
_MOJIBAKE_CHARS = sorted(set("".join(MOJIBAKE_CATEGORIES.values()) + "ÃÂÎÐØÙ√≈‚вβā€ВГРСΒΓΞΟ°µ×²³") - set(string.printable))
_ASCII = st.text(alphabet=string.ascii_letters + string.digits + " .,;:!?'-()\n", min_size=1, max_size=3)


@given(st.text(alphabet=string.printable + "".join(_MOJIBAKE_CHARS), max_size=12))
def test_the_quick_mojibake_test_lets_through_all_that_ftfy_finds(text):
    assert may_be_mojibake(text) or not is_bad(text)


@given(st.lists(st.tuples(_ASCII, st.sampled_from(_MOJIBAKE_CHARS)), max_size=4), _ASCII)
def test_lone_non_ascii_characters_are_mojibake_only_when_the_quick_test_says_so(pieces, end):
    """Each non-ASCII character set apart by ASCII: the quick test's own case."""
    text = "".join(before + char for before, char in pieces) + end
    assert may_be_mojibake(text) or not is_bad(text)


# --- 3. File names ------------------------------------------------------------------


def test_file_names_written_loosely_are_read_whole():
    encoded = base64.b64encode("Synthèse des ateliers.pdf".encode()).decode()
    raw = _raw([b"Subject: Envoi"], parts=[
        (b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename==?utf-8?B?" + encoded.encode()
         + b"?=\r\nContent-Transfer-Encoding: base64", base64.b64encode(pdf_bytes())),
        (b"Content-Type: text/plain; name=This is a test.txt\r\nContent-Disposition: attachment", b"Un texte."),
        (b"Content-Type: text/plain\r\nContent-Disposition: attachment; filename*=utf-8''Compte%20rendu%20%C3%A9t%C3%A9.txt",
         b"Le compte rendu."),
    ])  # fmt: skip
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == [
        "Synthèse des ateliers.pdf", "This is a test.txt", "Compte rendu été.txt"
    ]


# --- 4. Empty and look-alike files --------------------------------------------------


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    return buffer.getvalue()


def test_empty_files_are_empty_and_never_annexes_received(warehouse):
    mail = message(**AISNE)
    mail.add_attachment(b"", *XLSX, filename="Annexe 1 bilan conseils citoyens.xlsx")
    mail.add_attachment(_empty_zip(), *XLSX, filename="Annexe 2 pratiques participatives.xlsx")
    mail.add_attachment(b"  \r\n", "application", "pdf", filename="Annexe 1.pdf")
    load_raw(warehouse, mail.as_bytes())
    with warehouse.engine.connect() as connection:
        rows = connection.execute(select(Attachment.format, Attachment.parse_status, Attachment.role)).all()
    assert rows == [("empty", "empty", "other")] * 3
    aisne = {s.code: s for s in department_statuses(warehouse.engine, warehouse.campaign)}["02"]
    assert aisne.status == "on_time" and aisne.annexes == frozenset()


def test_decks_and_other_spreadsheets_are_read_as_one_document():
    deck = pptx_bytes("Bilan des démarches participatives", ["Former les conseillers", "Associer les habitants"])
    mail = message()
    mail.add_attachment(deck, "application", "vnd.openxmlformats-officedocument.presentationml.presentation",
                        filename="Présentation.pptx")  # fmt: skip
    parsed = parse_message(mail.as_bytes())
    assert [(a.format, a.status) for a in parsed.attachments] == [("pptx", ParseStatus.OK)]
    assert "Associer les habitants" in parsed.attachments[0].document.text

    for data, name, fmt in [
        (xlsb_bytes(ROWS), "annexe.xlsb", "xlsb"),
        (spreadsheetml_bytes(ROWS), "annexe.xls", "spreadsheetml"),
        (biff4_xls_bytes(ROWS), "annexe.xls", "xls"),
    ]:
        assert sniff_format(data, name) == fmt
        outcome = parse_outcome(data, name, fmt)
        assert outcome.status is ParseStatus.OK, outcome.reason
        assert outcome.document.tables[0].rows == ROWS

    text = "Commune;Habitants\r\nLaon;12\r\nSaint-Quentin;8\r\n"
    for encoding, name, fmt in [("utf-16", "a.txt", "txt"), ("utf-32", "a.txt", "txt"),
                                ("utf-16", "a.csv", "csv"), ("utf-16-le", "a.csv", "csv")]:  # fmt: skip
        data = text.encode(encoding)
        assert sniff_format(data, name) == fmt
        assert "Saint-Quentin" in parse_outcome(data, name, fmt).document.text
    html = "<html><body><p>Atelier à Laon</p></body></html>".encode("utf-16")
    assert sniff_format(html, "a.html") == "html"
    assert parse_outcome(html, "a.html", "html").document.text == "Atelier à Laon"


# --- 5. Text that used to be lost ---------------------------------------------------

RTF_PLAIN = rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}\f0\fs20 Bilan des d\'e9marches du quartier.\par}"
RTF_FROM_TEXT = (rb"{\rtf1\ansi\ansicpg1252\fromtext \deff0{\fonttbl{\f0\fswiss Arial;}}{\*\htmltag64}"
                 rb"\uc1\pard\plain\f0\fs20 Atelier des habitants de Laon.\par}")  # fmt: skip


@pytest.mark.parametrize(("rtf", "expected"), [(RTF_PLAIN, "Bilan des démarches du quartier."),
                                               (RTF_FROM_TEXT, "Atelier des habitants de Laon.")])  # fmt: skip
def test_winmail_bodies_held_only_as_rtf_are_read(rtf, expected):
    outcome = parse_outcome(tnef_rtf_bytes(rtf), "winmail.dat", "tnef")
    assert outcome.status is ParseStatus.OK and expected in outcome.document.text


def test_scans_and_pdfs_that_viewers_read_are_read():
    blank = parse_outcome(blank_scan_pdf_bytes(), "scan.pdf", "pdf")
    assert blank.status is ParseStatus.SCANNED, blank.reason  # a blank scan: a scan, not a damaged file
    unterminated = pdf_bytes().replace(b"%%EOF", b"")
    outcome = parse_outcome(unterminated, "sans-fin.pdf", "pdf")
    assert outcome.status is ParseStatus.OK and "Préconisations" in outcome.document.text


def test_words_of_nested_word_tables_are_kept():
    outcome = parse_outcome(nested_table_docx_bytes("Commune", ["Laon", "Soissons"]), "tableau.docx", "docx")
    assert outcome.document.tables[0].rows == [["Commune", "Laon Soissons"]]


def test_a_hyphen_at_a_line_end_stays_in_compounds():
    lines = ["Le comité de Saint-", "Denis a nommé un porte-", "parole. Une dé-", "marche, puis une autre démarche."]
    text = parse_outcome(lines_pdf_bytes(lines), "cr.pdf", "pdf").document.text
    assert "Saint-Denis" in text and "porte-parole" in text and "une démarche" in text.replace("Une", "une")


def test_a_file_cut_by_a_limit_says_so_in_its_department_status(warehouse):
    pages = parse_outcome(pdf_bytes(pages=3), "long.pdf", "pdf", Limits(max_pages=2))
    assert pages.status is ParseStatus.OK and "2 of 3 pages" in pages.reason
    mail = message(**AISNE)
    mail.add_attachment(pdf_bytes(pages=3), "application", "pdf", filename="long.pdf")
    archived = archive_raw(warehouse, RawMessage(raw=mail.as_bytes(), source="test"))
    process_archived(warehouse, archived.sha256, limits=Limits(max_pages=2))
    with warehouse.engine.connect() as connection:
        status, error = connection.execute(select(Attachment.parse_status, Attachment.parse_error)).one()
    assert status == "ok" and "truncated" in error
    aisne = {s.code: s for s in department_statuses(warehouse.engine, warehouse.campaign)}["02"]
    assert aisne.files_read_in_part == 1 and aisne.unreadable_files == 0


def test_parts_behind_an_undeclared_boundary_are_read_and_flagged(warehouse):
    raw = _raw([b"Subject: Envoi", b'Content-Type: multipart/mixed; boundary="declared"'], body=(
        b"--actual\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoici le bilan.\r\n"
        b"--actual\r\nContent-Type: application/pdf; name=\"bilan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(pdf_bytes()) + b"\r\n--actual--\r\n"))  # fmt: skip
    parsed = parse_message(raw)
    assert [(a.filename, a.format, a.status) for a in parsed.attachments] == [("bilan.pdf", "pdf", ParseStatus.OK)]
    assert parsed.body.text == "Voici le bilan."
    assert any(b.kind is BlockKind.TABLE for b in parsed.attachments[0].document.blocks)
    load_raw(warehouse, raw)
    with warehouse.engine.connect() as connection:
        flagged, reason = connection.execute(select(Message.needs_review, Message.review_reason)).one()
    assert flagged and "structure repaired" in reason


@pytest.mark.parametrize("content", [b"", b"  \r\nFrom: x@aisne.gouv.fr\r\nSubject: Bilan\r\n\r\nTexte."])
def test_import_of_one_file_accepts_what_a_folder_import_accepts(tmp_path, content):
    path = tmp_path / "message.eml"
    path.write_bytes(content)
    source = open_local_source(path)
    assert isinstance(source, EmlFileSource) and len(source) == 1
