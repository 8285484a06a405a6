"""Annexe 3 questionnaires as question / answer pairs, with personal data flagged."""

from __future__ import annotations

import io

import docx

from bilan.nlp.extraction import extract
from bilan.nlp.survey import extract_survey_responses, question_topic
from bilan.parsers import parse_message
from tests.mail import DOCX, message

ANSWERS = [
    ("Nom et prénom", "DURAND Paul"), ("Téléphone", "06 11 22 33 44"), ("Adresse électronique", "paul.durand@free.fr"),
    ("Conseil citoyen (quartier et commune)", "Les Cèdres – Perpignan"),
    ("Depuis quand êtes-vous membre du conseil citoyen ?", "2016"),
    ("Quelles sont vos propositions pour améliorer la participation des habitants ?", "Un local pour se réunir."),
]


def _form(*respondents) -> bytes:
    document = docx.Document()
    document.add_heading("Annexe 3 – Enquête auprès des membres des conseils citoyens", level=1)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Question", "Réponse"
    for answers in respondents:
        for question, answer in answers:
            row = table.add_row()
            row.cells[0].text, row.cells[1].text = question, answer
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _mail(body="Bonjour, voici mes réponses au questionnaire.", form: bytes | None = None):
    mail = message(sender="Paul <paul.durand@free.fr>", subject="Questionnaire conseil citoyen", body=body)
    if form is not None:
        mail.add_attachment(form, *DOCX, filename="Annexe 3 - questionnaire.docx")
    return parse_message(mail.as_bytes())


def test_the_word_form():
    (response,) = extract_survey_responses(_mail(form=_form(ANSWERS)))
    assert [(a.number, a.topic) for a in response.answers] == [
        (1, "name"), (2, "phone"), (3, "email"), (4, "conseil"), (5, "since"), (11, "proposals")]
    assert response.conseil_citoyen == "Les Cèdres – Perpignan"
    assert response.proposals == "Un local pour se réunir."  # read by the recommendations extractor
    assert response.has_pii and [a.pii for a in response.answers][:4] == [True, True, True, False]


def test_answers_typed_in_the_email():
    body = "Bonjour je vous envoie le questionnaire rempli.\n" + "\n".join(
        f"{i}. {q} : {a}" for i, (q, a) in enumerate(ANSWERS, start=1))
    (response,) = extract_survey_responses(_mail(body=body))
    assert response.answer("phone") == "06 11 22 33 44" and response.source == "body"


def test_question_then_answer_on_the_next_line():
    body = "\n\n".join(f"{q}\n\n{a}" for q, a in ANSWERS)
    (response,) = extract_survey_responses(_mail(body=body))
    assert response.answer("conseil") == "Les Cèdres – Perpignan"


def test_several_members_in_one_table_and_the_same_form_twice():
    other = [(q, a.replace("DURAND Paul", "MARTIN Lea").replace("06 11", "07 99")) for q, a in ANSWERS]
    parsed = _mail(form=_form(ANSWERS, other))
    assert len(extract_survey_responses(parsed)) == 2
    mail = message(sender="Centre social <cs@free.fr>", subject="Questionnaires", body="Bonjour, les questionnaires.")
    mail.add_attachment(_form(ANSWERS), *DOCX, filename="a.docx")
    mail.add_attachment(_form(ANSWERS), *DOCX, filename="a (copie).docx")
    assert len(extract_survey_responses(parse_message(mail.as_bytes()))) == 1


def test_a_survey_message_is_flagged_pii_and_a_contribution_is_not():
    survey = extract(_mail(form=_form(ANSWERS)))
    assert survey.kind == "survey_response" and survey.pii
    assert survey.survey_responses[0].answer("name") == "DURAND Paul"
    contribution = extract(parse_message(message(body="Ci-joint notre contribution.\n\nJeanne Martin\nTél : 03 23 00 00 00")
                                         .as_bytes()))
    assert contribution.kind == "contribution" and not contribution.pii


def test_questions_are_recognised_in_other_words():
    assert question_topic("Tél.")[0] == "phone"
    assert question_topic("Courriel")[0] == "email"
    assert question_topic("11. Quelles sont vos propositions pour améliorer la participation des habitants ?")[0] == \
        "proposals"
    assert question_topic("Le budget annuel") is None


def test_a_free_answer_with_a_phone_number_is_personal_data():
    from bilan.nlp.survey import split_responses

    pairs = [
        ("Nom et prénom", "Jeanne Test"),
        ("Conseil citoyen (quartier et commune)", "Les Tilleuls – Laon"),
        ("Depuis quand êtes-vous membre du conseil citoyen ?", "2017"),
        ("Quelles difficultés rencontrez-vous ?", "Peu de moyens, rappelez-moi au 06 12 34 56 78"),
        ("Quelles sont vos propositions pour améliorer la participation des habitants ?", "Plus de réunions"),
    ]
    [response] = split_responses(pairs)
    flags = {a.topic: a.pii for a in response.answers}
    assert flags == {"name": True, "conseil": False, "since": False, "difficulties": True, "proposals": False}
