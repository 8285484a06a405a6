"""How the department answered (modality 1/2/3) and the meeting it reports."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest

from bilan.nlp.extraction import extract
from bilan.nlp.modality import parse_french_date
from bilan.parsers import parse_message
from tests.mail import DOCX, message


def _report(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _extract(body: str, report: bytes | None = None, subject: str = "Contribution 93 - bilan"):
    mail = message(subject=subject, body=body, received=dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC))
    if report is not None:
        mail.add_attachment(report, *DOCX, filename="document.docx")
    return extract(parse_message(mail.as_bytes()))


@pytest.mark.parametrize(
    ("body", "modality"),
    [
        ("Veuillez trouver ci-joint le compte rendu de la rencontre territoriale de la participation.", 1),
        ("Veuillez trouver ci-joint le compte rendu de la réunion en ligne sur la plateforme Grande Équipe.", 2),
        ("Veuillez trouver ci-joint notre contribution écrite.", 3),
        ("La rencontre territoriale n'a pas pu se tenir ; voici notre contribution écrite.", 3),
        ("Le département a retenu la modalité 2. Ci-joint le compte rendu de la rencontre territoriale.", 2),
        ("En complément de notre envoi du 6 décembre 2021, veuillez trouver ci-joint les annexes.", None),
    ],
)
def test_modality(body, modality):
    assert _extract(body, _report("Annexe")).modality == modality


def test_the_report_says_it_better_than_its_file_name():
    report = _report("Compte rendu de la rencontre territoriale de la participation (modalité 1).")
    mail = message(subject="Bilan", body="Bonjour, ci-joint notre compte rendu.")
    mail.add_attachment(report, *DOCX, filename="Compte rendu réunion Grande Equipe.docx")
    assert extract(parse_message(mail.as_bytes())).modality == 1


@pytest.mark.parametrize(
    ("paragraphs", "table", "meeting"),
    [
        (["La rencontre s'est tenue le jeudi 4 novembre 2021 au centre social et a réuni 60 participants."], None,
         (dt.date(2021, 11, 4), 60)),
        (["Date : samedi 13 novembre 2021", "Lieu : mairie", "Nombre de participants : 33 (dont 6 conseillers)"], None,
         (dt.date(2021, 11, 13), 33)),
        (["Compte rendu de la réunion en ligne"], [["Date", "Lieu", "Participants"],
                                                   ["25 octobre 2021", "en visioconférence", "35 personnes"]],
         (dt.date(2021, 10, 25), 35)),
        # A two-column PDF may lose the year: the latest such date before receipt.
        (["La rencontre s'est tenue le samedi 13 novembre à la maison de quartier et a réuni 60 personnes."], None,
         (dt.date(2021, 11, 13), 60)),
    ],
)
def test_meeting_date_and_participants(paragraphs, table, meeting):
    result = _extract("Ci-joint le compte rendu de la rencontre territoriale.", _report(*paragraphs, table=table))
    assert (result.meeting_date, result.meeting_participants) == meeting


def test_a_written_contribution_has_no_meeting():
    result = _extract("Ci-joint notre contribution écrite.", _report("Lors de la réunion du 3 mars 2019, 40 personnes."))
    assert result.modality == 3 and result.meeting_date is None


def test_french_dates():
    reference = dt.date(2021, 12, 10)
    assert parse_french_date("le 1er décembre 2021", reference) == dt.date(2021, 12, 1)
    assert parse_french_date("04/11/2021", reference) == dt.date(2021, 11, 4)
    assert parse_french_date("le 20 décembre", reference) == dt.date(2020, 12, 20)
    assert parse_french_date("bientôt", reference) is None
