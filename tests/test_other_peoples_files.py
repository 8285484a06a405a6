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

from bilan.mailbox.local import EmlFileSource, open_local_source
from bilan.mailbox.raw import RawMessage
from bilan.parsers import parse_message
from bilan.parsers.charset import may_be_mojibake, repair
from bilan.parsers.document import BlockKind, ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.registry import parse_outcome
from bilan.parsers.sniff import sniff_format
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Attachment, ExtractedText, Message
from bilan.storage.status import department_statuses
from tests.documents import (
    biff4_xls_bytes,
    blank_scan_pdf_bytes,
    cjk_pdf_bytes,
    lines_pdf_bytes,
    nested_table_docx_bytes,
    pdf_bytes,
    pptx_bytes,
    ragged_table_docx_bytes,
    spreadsheetml_bytes,
    text_box_docx_bytes,
    text_image,
    tnef_rtf_bytes,
    wrapped_table_pdf_bytes,
    xlsb_bytes,
)
from tests.loading import load_folder, load_raw
from tests.mail import XLSX, message

ROWS = [["Commune", "Habitants"], ["Laon", 12], ["Soissons", 8]]
AISNE = {
    "subject": "Contribution bilan démarches participatives - Aisne (02)",
    "received": dt.datetime(2021, 12, 1, 9, 0, tzinfo=dt.UTC),
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


def test_text_saved_twice_as_utf8_is_repaired():
    """UTF-8 read as Latin-1 and saved again as UTF-8 holds C1 control codes,
    which no writer means: the text is what was typed."""
    typed = "La saison 1990–91 : un budget de 275 000 € et l’atelier « cœur de quartier »."
    twice = typed.encode("utf-8").decode("latin-1").encode("utf-8")
    assert parse_outcome(twice, "notes.txt", "txt").document.text == typed
    parsed = parse_message(_raw([b"Content-Type: text/plain; charset=utf-8"], body=twice))
    assert parsed.body.text == typed


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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_message_file_saved_as_utf16_is_read(warehouse, tmp_path, encoding):
    """A message saved by a Windows program as "Unicode" text, with or
    without a byte order mark, imported from a folder (whose source makes
    line ends CRLF byte by byte)."""
    text = ("From: Jeanne Hébert <j.hebert@aisne.gouv.fr>\nTo: participation-habitants@anct.gouv.fr\n"
            "Subject: Réponse à l'enquête - Aisne (02)\nDate: Wed, 01 Dec 2021 10:00:00 +0100\n"
            "Content-Type: text/plain; charset=utf-8\n\nBilan des ateliers de quartier.\n")  # fmt: skip
    (tmp_path / "message.eml").write_bytes(text.encode(encoding))
    load_folder(warehouse, tmp_path)
    with warehouse.engine.connect() as connection:
        stored = connection.execute(select(Message.subject, Message.sender_name)).one()
        body = connection.execute(select(ExtractedText.text).where(ExtractedText.position == -1)).scalar_one()
    assert stored == ("Réponse à l'enquête - Aisne (02)", "Jeanne Hébert")
    assert body == "Bilan des ateliers de quartier."


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


def test_a_windows_bitmap_is_an_image_read_by_ocr():
    buffer = io.BytesIO()
    text_image(["Bilan des ateliers de quartier", "Les habitants ont choisi trois projets"]).save(buffer, format="BMP")
    assert sniff_format(buffer.getvalue(), "scan.bmp") == "bmp"
    outcome = parse_outcome(buffer.getvalue(), "scan.bmp", "bmp")
    assert outcome.status is ParseStatus.SCANNED and "ateliers de quartier" in outcome.document.text


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


def test_words_of_word_text_boxes_and_ragged_tables_are_kept():
    boxed = parse_outcome(text_box_docx_bytes("Voir le cadre.", "Former les conseillers citoyens"), "cr.docx", "docx")
    assert [block.text for block in boxed.document.blocks] == ["Voir le cadre.", "Former les conseillers citoyens"]
    ragged = parse_outcome(ragged_table_docx_bytes(), "tableau.docx", "docx")
    assert ragged.status is ParseStatus.OK, ragged.reason
    assert ragged.document.tables[0].rows == [
        ["Commune", "Ateliers de Laon et Soissons"], ["Laon", None], ["Soissons", None],
    ]  # fmt: skip


def test_html_text_outside_any_paragraph_is_read():
    """Outlook's signature after a paragraph closed too early, and text beside
    the paragraphs of a <div>: no block holds them, they are read all the same."""
    html = ("<p class=MsoNormal>Veuillez trouver notre bilan.</p><FONT size=2><P><B>Jeanne H&eacute;bert</B></P>"
            "<P></FONT><FONT size=2>T&eacute;l. 03 23 00 00 00<BR>Pr&eacute;fecture de l'Aisne</FONT> </P>"
            "<div>Cordialement,<p>Le bureau de la politique de la ville</p></div>")  # fmt: skip
    blocks = [block.text for block in parse_outcome(html.encode(), "body.html", "html").document.blocks]
    assert blocks == ["Veuillez trouver notre bilan.", "Jeanne Hébert", "Tél. 03 23 00 00 00 Préfecture de l'Aisne",
                      "Cordialement,", "Le bureau de la politique de la ville"]  # fmt: skip


def test_a_hyphen_at_a_line_end_stays_in_compounds():
    lines = ["Le comité de Saint-", "Denis a nommé un porte-", "parole. Une dé-", "marche, puis une autre démarche."]
    text = parse_outcome(lines_pdf_bytes(lines), "cr.pdf", "pdf").document.text
    assert "Saint-Denis" in text and "porte-parole" in text and "une démarche" in text.replace("Une", "une")


def test_a_hyphen_at_a_line_end_goes_only_where_it_cut_a_real_word():
    """No word is written whole elsewhere on the page: the French lexicon decides."""
    lines = ["Le porte-", "parole de la sous-", "préfecture salue une dé-", "marche et des ateliers participa-",
             "tifs pour le bien-", "être et la co-", "construction du projet."]  # fmt: skip
    text = parse_outcome(lines_pdf_bytes(lines), "cr.pdf", "pdf").document.text
    for kept in ("porte-parole", "sous-préfecture", "bien-être", "co-construction"):
        assert kept in text
    assert "une démarche et des ateliers participatifs pour" in text


def test_a_soft_hyphen_only_says_where_a_word_may_be_cut():
    """In a PDF it marks a line end (a PDF shows it as a hyphen within a line);
    in HTML and plain text it may stand anywhere."""
    pdf = parse_outcome(lines_pdf_bytes(["Une dé\u00ad", "marche participative."]), "cr.pdf", "pdf")
    html = parse_outcome("<p>Une d&eacute;&shy;marche participa\u00adtive.</p>".encode(), "cr.html", "html")
    text = parse_outcome("Une dé\u00ad\nmarche participa\u00adtive.".encode(), "cr.txt", "txt")
    assert pdf.document.text == html.document.text == text.document.text == "Une démarche participative."


def test_words_of_table_cells_that_wrap_stay_apart():
    """Each word placed on its own, as report generators write tables: the
    last word of a cell's line and the first of its next line are two words."""
    rows = [[["Frais de mission", "jusqu'à"], ["37,499.96"]], [["Atelier à Laon", "Soissons"], ["Dupont", "Martin"]]]
    outcome = parse_outcome(wrapped_table_pdf_bytes(rows), "frais.pdf", "pdf")
    assert outcome.document.tables[0].rows == [
        ["Frais de mission jusqu'à", "37,499.96"], ["Atelier à Laon Soissons", "Dupont Martin"],
    ]  # fmt: skip


def test_cjk_text_of_pdfs_is_read():
    """A scanner's OCR layer in a CJK font the file does not embed, one
    character per string: PDFium drops those strings, pdfminer reads them."""
    lines = ["安徽省建设用地使用标准（2020年版）", "东北电气发展股份有限公司"]
    outcome = parse_outcome(cjk_pdf_bytes(lines), "rapport.pdf", "pdf")
    assert outcome.status is ParseStatus.OK, outcome.reason
    assert [block.text for block in outcome.document.blocks] == [" ".join(lines)]
    whole_strings = parse_outcome(cjk_pdf_bytes(lines, one_string_per_character=False), "rapport.pdf", "pdf")
    assert whole_strings.document.text == outcome.document.text


def test_a_file_cut_by_a_limit_says_so_in_its_department_status(warehouse):
    pages = parse_outcome(pdf_bytes(pages=3), "long.pdf", "pdf", Limits(max_pages=2))
    assert pages.status is ParseStatus.OK and "2 of 3 pages" in pages.reason
    mail = message(**AISNE)
    mail.add_attachment(pdf_bytes(pages=3), "application", "pdf", filename="long.pdf")
    archived = archive_raw(warehouse, RawMessage(raw=mail.as_bytes(), source="test"))
    process_archived(Pipeline(warehouse, limits=Limits(max_pages=2)), archived.sha256)
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


@pytest.mark.parametrize(("body", "text"), [(b"\r\n\r\n", ""), (b"Voici le bilan de l'Aisne.\r\n", "Voici le bilan de l'Aisne.")])
def test_a_multipart_without_parts_is_no_file(body, text):
    """A client that declares a multipart and writes no part in it: no
    `part-1.bin` is made up; what text there is is the body."""
    parsed = parse_message(_raw([b"Subject: Bilan", b'Content-Type: multipart/alternative; boundary="b2"'], body=body))
    assert parsed.attachments == [] and parsed.body.text == text


@pytest.mark.parametrize("content", [b"", b"  \r\nFrom: x@aisne.gouv.fr\r\nSubject: Bilan\r\n\r\nTexte."])
def test_import_of_one_file_accepts_what_a_folder_import_accepts(tmp_path, content):
    path = tmp_path / "message.eml"
    path.write_bytes(content)
    source = open_local_source(path)
    assert isinstance(source, EmlFileSource) and len(source) == 1
