"""What each attached file is, from its content first, then its name."""

from __future__ import annotations

import io

import docx

from bilan.nlp.extraction import extract
from bilan.parsers import parse_message
from tests.mail import DOCX, XLSX, message, xlsx_bytes, zip_bytes

ANNEX1 = [["Commune", "Code QPV", "Nom du quartier", "Conseil citoyen constitué", "Nombre de membres habitants"],
          ["Laon", "QN00201", "Champagne", "oui", 8]]
ANNEX2 = [["Type de démarche", "Commune", "Code QPV", "Structure porteuse", "Année de création"],
          ["FPH", "Laon", "QN00201", "Centre social", 2015]]


def _docx(title: str) -> bytes:
    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("Texte.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _roles(mail):
    parsed = parse_message(mail.as_bytes())
    roles = extract(parsed).attachment_roles
    return {a.filename: roles[a.index] for a in parsed.attachments}


def test_roles_from_content_and_names():
    mail = message()
    mail.add_attachment(xlsx_bytes(ANNEX1), *XLSX, filename="tableau.xlsx")  # content says Annexe 1
    mail.add_attachment(xlsx_bytes(ANNEX2), *XLSX, filename="Annexe 1.xlsx")  # content wins over the name
    mail.add_attachment(_docx("Compte rendu de la rencontre territoriale"), *DOCX, filename="doc1.docx")
    mail.add_attachment(_docx("Contribution écrite – bilan des démarches participatives"), *DOCX, filename="doc2.docx")
    mail.add_attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image", "png", filename="image001.png", cid="<logo>")
    mail.add_attachment(zip_bytes({"x.txt": b"x"}), "application", "zip", filename="envoi.zip")
    assert _roles(mail) == {
        "tableau.xlsx": "annexe1", "Annexe 1.xlsx": "annexe2", "doc1.docx": "compte_rendu",
        "doc2.docx": "contribution", "image001.png": "signature_image", "envoi.zip": "other", "x.txt": "contribution",
    }


def test_unreadable_files_are_judged_by_name_and_message():
    mail = message()
    mail.add_attachment(b"\xd0\xcf\x11\xe0 encrypted", *XLSX, filename="annexe1_66.xlsx")
    mail.add_attachment(b"%PDF-1.4 broken", "application", "pdf", filename="SCAN_24.pdf")
    assert _roles(mail) == {"annexe1_66.xlsx": "annexe1", "SCAN_24.pdf": "contribution"}
    survey = message(sender="Paul <paul@free.fr>", subject="Questionnaire conseil citoyen",
                     body="Voici mes réponses au questionnaire.")
    survey.add_attachment(b"%PDF-1.4 broken", "application", "pdf", filename="Scan_2794.pdf")
    assert _roles(survey) == {"Scan_2794.pdf": "annexe3"}


def _record(title: str, lines: list[str]) -> bytes:
    document = docx.Document()
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_meeting_record_is_a_report_whatever_its_title_and_name():
    record = _record("Rencontre de la participation – Laon", [
        "Date : jeudi 2 décembre 2021", "Lieu : maison de quartier Champagne",
        "Participants : 34 habitants et professionnels", "Les échanges ont porté sur la place des habitants."])
    written = _record("Les démarches participatives dans l'Aisne", [
        "La rencontre du 2 décembre a réuni 34 participants.", "Nous proposons de former les conseillers citoyens."])
    mail = message()
    mail.add_attachment(record, *DOCX, filename="document1.docx")
    mail.add_attachment(written, *DOCX, filename="document2.docx")
    assert _roles(mail) == {"document1.docx": "compte_rendu", "document2.docx": "contribution"}
