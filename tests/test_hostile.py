"""Every cost bounded: each limit of `parsers/limits.py` that protects the
main process (header size and count, HTML size and depth, body length,
rows and cells per sheet, pixels per page), hit on a small scale through
low limits, says which limit it was, and leaves the rest of the message
read, archived and counted. The full-size families run in `bench/hostile.py`."""

from __future__ import annotations

import email
import email.policy
import io
import re
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.hostile_corpus import nested_tables, pdf_of_image, png_of, xlsx_rows
from bilan.mailbox.raw import RawMessage
from bilan.parsers import ParseStatus, parse_message
from bilan.parsers.header_block import bound_header_block
from bilan.parsers.limits import Limits
from bilan.parsers.registry import parse_outcome
from bilan.parsers.spreadsheet import parse_csv
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Attachment, Message
from tests.mail import docx_bytes, message

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def with_files(mail: EmailMessage, *files: tuple[str, tuple[str, str], bytes]) -> bytes:
    for filename, (maintype, subtype), data in files:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def a_docx() -> tuple[str, tuple[str, str], bytes]:
    return ("contribution.docx", DOCX, docx_bytes("Recommandations", ["Associer les habitants dès le début"]))


def statuses(parsed) -> dict[str, tuple[ParseStatus, str | None]]:
    return {a.filename: (a.status, a.error) for a in parsed.attachments}


# Headers -----------------------------------------------------------------------

def test_a_header_field_over_its_size_is_cut_before_the_parser_and_said():
    subject = "Contribution " + " ".join(f"mot{i}" for i in range(2_000))  # about 14 KB
    raw = with_files(message(subject=subject), a_docx())
    parsed = parse_message(raw, Limits(max_header_bytes=1_000))
    assert len(parsed.envelope.subject) < 1_000
    assert parsed.envelope.subject.startswith("Contribution mot0 mot1")
    [note] = parsed.limits_hit
    size = int(re.fullmatch(r"header fields cut to the limit of 1,000 bytes: subject \(([\d,]+) bytes\)", note)[1]
               .replace(",", ""))  # fmt: skip
    assert size > len(subject)  # as written: "Subject: ", folded
    assert parsed.envelope.sender_address == "jeanne.martin@aisne.gouv.fr"
    assert "Veuillez trouver" in parsed.body.text
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK


def test_beyond_the_count_of_header_fields_those_of_the_envelope_are_kept():
    filler = b"".join(f"X-Filler-{i}: valeur {i}\r\n".encode() for i in range(2_000))
    raw = filler + with_files(message(), a_docx())  # the fillers come before From and Subject
    parsed = parse_message(raw, Limits(max_header_fields=100))
    assert parsed.envelope.sender_address == "jeanne.martin@aisne.gouv.fr"
    assert parsed.envelope.subject == "Contribution bilan démarches participatives"
    assert parsed.envelope.message_id == "<test-1@aisne.gouv.fr>"
    assert len(parsed.limits_hit) == 1
    assert parsed.limits_hit[0].startswith("2,00") and "over the limit of 100" in parsed.limits_hit[0]
    assert "x-filler-1999" not in parsed.envelope.headers
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK


def test_a_header_block_within_the_limits_is_left_as_it_is():
    raw = with_files(message(), a_docx())
    assert bound_header_block(raw, Limits()) == (raw, [])


def test_a_cut_header_block_is_still_one_well_formed_message():
    raw = b"Received: from a\r\n\tby b; Mon, 2 Dec 2024 10:00:00 +0100\r\n" + message(subject="x" * 3_000).as_bytes()
    bounded, notes = bound_header_block(raw, Limits(max_header_bytes=500))
    assert len(notes) == 1 and "limit of 500 bytes: subject (3," in notes[0]
    parsed = email.message_from_bytes(bounded, policy=email.policy.default)
    assert parsed["Received"].startswith("from a")
    assert parsed.get_content().startswith("Madame, Monsieur")


# Bodies ------------------------------------------------------------------------

def html_message(html: str, *files) -> bytes:
    mail = message()
    mail.set_content(html, subtype="html")
    return with_files(mail, *files)


def test_html_nested_deeper_than_the_limit_is_read_as_text_without_its_tree():
    parsed = parse_message(html_message(nested_tables(60), a_docx()), Limits(max_html_depth=20))
    assert parsed.body.text.count("cellule") == 60
    assert parsed.limits_hit == ["HTML nested 60 deep: over the limit of 20, read as plain text"]
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK


def test_html_within_the_limits_keeps_its_tables():
    html = "<html><body><p>Bonjour</p><table><tr><td>Laon</td><td>12</td></tr></table></body></html>"
    parsed = parse_message(html_message(html), Limits(max_html_depth=20))
    assert parsed.limits_hit == []
    assert [block.rows for block in parsed.body.tables] == [[["Laon", "12"]]]


def test_html_longer_than_the_limit_is_read_as_text_up_to_it():
    html = "<html><body><script>alert(1)</script>" + "<p>Les habitants participent.</p>" * 400 + "</body></html>"
    parsed = parse_message(html_message(html), Limits(max_html_chars=5_000))
    assert "alert" not in parsed.body.text
    assert 100 < parsed.body.text.count("Les habitants participent.") < 5_000 / 33
    assert parsed.limits_hit == [
        f"HTML of {len(html) + 1:,} characters: over the limit of 5,000, its first 5,000 read as plain text"
    ]


def test_an_html_attachment_nested_too_deep_is_read_as_text_with_the_reason():
    outcome = parse_outcome(nested_tables(60).encode(), "tableau.html", "html", Limits(max_html_depth=20))
    assert outcome.status is ParseStatus.OK
    assert outcome.reason == "HTML nested 60 deep: over the limit of 20, read as plain text"
    assert outcome.document.text.count("cellule") == 60


def test_a_body_longer_than_the_limit_is_cut_and_the_files_are_still_read():
    body = "Les habitants ont participé aux ateliers.\n\n" * 500
    parsed = parse_message(with_files(message(body=body), a_docx()), Limits(max_body_chars=2_000))
    assert 1_500 < len(parsed.body.text) <= 2_000
    assert parsed.limits_hit == [f"text of {len(body):,} characters: cut to the limit of 2,000"]
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK


# Sheets ------------------------------------------------------------------------

def test_a_workbook_over_the_row_limit_is_refused_before_it_is_loaded():
    raw = with_files(message(), ("annexe1.xlsx", XLSX, xlsx_rows(2_000)), a_docx())
    parsed = parse_message(raw, Limits(max_sheet_rows=1_000))
    status, reason = statuses(parsed)["annexe1.xlsx"]
    assert status is ParseStatus.TOO_LARGE
    assert reason == ("sheet 'Annexe 1' has 2,001 rows, more than 1,000 of them filled: "
                      "over the limit of 1,000 filled rows; workbook not read")  # fmt: skip
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK
    assert "Veuillez trouver" in parsed.body.text


def test_a_workbook_over_the_cell_limit_is_refused():
    outcome = parse_outcome(xlsx_rows(300), "annexe1.xlsx", "xlsx", Limits(max_sheet_cells=1_000))
    assert outcome.status is ParseStatus.TOO_LARGE
    assert outcome.reason == "sheet 'Annexe 1' has 1,505 filled cells: over the limit of 1,000; workbook not read"


def test_a_workbook_at_the_limit_is_read():
    outcome = parse_outcome(xlsx_rows(999), "annexe1.xlsx", "xlsx", Limits(max_sheet_rows=1_000))
    assert outcome.status is ParseStatus.OK
    assert len(outcome.document.tables[0].rows) == 1_000


def test_rows_formatted_but_empty_do_not_count():
    """A sheet formatted down to row 50,000 holds three rows of data: it is read."""
    filled = "".join(f'<row r="{r}"><c t="inlineStr"><is><t>v{r}</t></is></c></row>' for r in (1, 2, 3))
    empty = "".join(f'<row r="{r}" ht="15" customHeight="1"/>' for r in range(4, 50_001))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><sheetData>{filled}{empty}</sheetData></worksheet>').encode()  # fmt: skip
    outcome = parse_outcome(xlsx_rows(1, sheet_xml=sheet), "annexe1.xlsx", "xlsx", Limits(max_sheet_rows=1_000))
    assert outcome.status is ParseStatus.OK
    assert outcome.document.tables[0].rows == [["v1"], ["v2"], ["v3"]]


def test_a_csv_over_the_row_limit_is_refused():
    data = b"Commune;Code QPV\n" + b"".join(f"Laon;QN0{i:05d}\n".encode() for i in range(2_000))
    outcome = parse_outcome(data, "annexe1.csv", "csv", Limits(max_sheet_rows=1_000))
    assert outcome.status is ParseStatus.TOO_LARGE
    assert outcome.reason == "table has 2,001 filled rows: over the limit of 1,000; file not read"
    assert parse_csv(data, "annexe1.csv", Limits(max_sheet_rows=3_000)).tables[0].rows[2_000] == ["Laon", "QN001999"]


def test_an_ods_sheet_over_the_row_limit_is_refused():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Annexe 1")
    for number in range(1_200):
        row = TableRow()
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=f"QN0{number:05d}"))
        row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    outcome = parse_outcome(buffer.getvalue(), "annexe1.ods", "ods", Limits(max_sheet_rows=1_000))
    assert outcome.status is ParseStatus.TOO_LARGE
    assert outcome.reason == "sheet 'Annexe 1' has 1,200 filled rows: over the limit of 1,000; file not read"


# Pixels ------------------------------------------------------------------------

def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded():
    raw = with_files(message(), ("scan.png", ("image", "png"), png_of(2_000, 1_500)), a_docx())
    parsed = parse_message(raw, Limits(max_page_pixels=1_000_000))
    assert statuses(parsed)["scan.png"] == (
        ParseStatus.TOO_LARGE, "image of 3 million pixels: over the limit of 1 million, not decoded"
    )
    assert statuses(parsed)["contribution.docx"][0] is ParseStatus.OK


def test_an_image_over_pillows_own_limit_is_too_large_with_ours():
    outcome = parse_outcome(png_of(15_000, 15_000), "scan.png", "png", Limits(max_page_pixels=1_000_000))
    assert (outcome.status, outcome.reason) == (
        ParseStatus.TOO_LARGE, "image of 225 million pixels: over the limit of 1 million, not decoded"
    )


def test_a_pdf_page_whose_images_are_over_the_pixel_limit_is_not_rendered():
    outcome = parse_outcome(pdf_of_image(2_000), "scan.pdf", "pdf", Limits(max_page_pixels=1_000_000))
    assert outcome.status is ParseStatus.TOO_LARGE
    assert outcome.reason == "page 1 holds images of 4 million pixels: over the limit of 1 million; not read"


def test_a_pdf_page_within_the_pixel_limit_is_still_a_scan():
    outcome = parse_outcome(pdf_of_image(1_000), "scan.pdf", "pdf", Limits(max_page_pixels=2_000_000))
    assert outcome.status is not ParseStatus.TOO_LARGE


# In the warehouse ----------------------------------------------------------------

def test_a_message_over_its_limits_is_archived_counted_and_says_why(warehouse):
    """One row, the original bytes archived, processed, the files read or
    refused with their reason, and the message's own limits in its review reason."""
    filler = b"".join(f"X-Filler-{i}: valeur {i}\r\n".encode() for i in range(500))
    subject = "Contribution Aisne (02) " + "x" * 3_000
    raw = filler + with_files(message(subject=subject), ("annexe1.xlsx", XLSX, xlsx_rows(2_000)), a_docx())
    archived = archive_raw(warehouse, RawMessage(raw=raw, source="test"))
    limits = Limits(max_header_fields=100, max_header_bytes=1_000, max_sheet_rows=1_000)
    summary = process_archived(Pipeline(warehouse, limits=limits), archived.sha256)
    assert summary.processed == 1 and summary.failed == 0
    assert warehouse.archive.path_for(archived.sha256).read_bytes() == raw
    with Session(warehouse.engine) as session:
        [row] = session.scalars(select(Message)).all()
        files = {a.filename: (a.parse_status, a.parse_error) for a in session.scalars(select(Attachment))}
    assert row.processed_at is not None and row.process_error is None
    assert row.sender == "jeanne.martin@aisne.gouv.fr"
    assert row.subject.startswith("Contribution Aisne (02) xxx") and len(row.subject) < 20_000
    assert row.needs_review
    assert "limit hit: 50" in row.review_reason and "over the limit of 100" in row.review_reason
    assert "header fields cut to the limit of 1,000 bytes: subject" in row.review_reason
    assert files["annexe1.xlsx"][0] == "too_large" and "over the limit of 1,000 filled rows" in files["annexe1.xlsx"][1]
    assert files["contribution.docx"] == ("ok", None)
