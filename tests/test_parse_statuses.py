"""The error kinds of the export, from files that carry them: encrypted,
corrupt, scanned without OCR."""

from __future__ import annotations

import io
import zipfile

from bilan.parsers import ParseStatus
from bilan.parsers import ocr as ocr_module
from bilan.parsers import pdf as pdf_module
from bilan.parsers.registry import parse_outcome
from tests import documents


def test_a_password_protected_pdf_is_encrypted():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Contribution confidentielle")
    pdf.set_encryption(owner_password="proprietaire", user_password="secret")
    outcome = parse_outcome(bytes(pdf.output()), "contribution.pdf", "pdf")
    assert outcome.status is ParseStatus.ENCRYPTED
    assert outcome.document is None


def test_a_pdf_with_only_an_owner_password_is_read():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Contribution en lecture seule")
    pdf.set_encryption(owner_password="proprietaire")  # printing and copying restricted, reading free
    outcome = parse_outcome(bytes(pdf.output()), "contribution.pdf", "pdf")
    assert outcome.status is ParseStatus.OK
    assert "Contribution en lecture seule" in outcome.document.text


def test_a_password_protected_zip_member_is_encrypted():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("annexe.csv", documents.csv_bytes())
    data = bytearray(buffer.getvalue())
    # Set the "encrypted" flag, as an archiver with a password does, in both headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.index(signature) + offset
        data[position] |= 0x01
    outcome = parse_outcome(bytes(data), "annexes.zip", "zip")
    assert outcome.status is ParseStatus.ENCRYPTED


def test_truncated_files_are_corrupt():
    for fmt, data in (
        ("pdf", documents.pdf_bytes()),
        ("docx", documents.docx_bytes()),
        ("xlsx", documents.xlsx_workbook_bytes()),
        ("ods", documents.ods_bytes()),
        ("odt", documents.odt_bytes()),
    ):
        outcome = parse_outcome(data[: len(data) * 2 // 3], f"coupé.{fmt}", fmt)
        assert outcome.status is ParseStatus.CORRUPT, (fmt, outcome.reason)
        assert outcome.reason


def test_scans_without_ocr_installed_are_scanned_and_say_why(monkeypatch):
    # OCR is installed here: its absence is simulated, as on a machine without tesseract-ocr-fra.
    monkeypatch.setattr(pdf_module, "ocr_available", lambda: False)
    monkeypatch.setattr(ocr_module, "ocr_available", lambda: False)  # images look it up there when they need it
    outcome = parse_outcome(documents.scanned_pdf_bytes(), "Scan.pdf", "pdf")
    assert outcome.status is ParseStatus.SCANNED
    assert "OCR is not installed" in outcome.reason
    picture = parse_outcome(documents.png_bytes(documents.text_image(documents.SCANNED_LINES)), "photo.png", "png")
    assert picture.status is ParseStatus.SCANNED
    assert "OCR is not installed" in picture.reason
    logo = parse_outcome(documents.logo_png(), "image001.png", "png")
    assert logo.status is ParseStatus.OK  # a logo needs no OCR to be known for one
