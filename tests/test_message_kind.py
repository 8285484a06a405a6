"""Message kind from headers, body and attachments together: questions,
announcements and acknowledgements are not contributions."""

from __future__ import annotations

import pytest

from bilan.nlp.extraction import extract
from bilan.parsers import parse_message
from tests.mail import XLSX, message, xlsx_bytes

OFFICIAL = "Jeanne Martin <jeanne.martin@aisne.gouv.fr>"
ANNEX = [["Commune", "Code QPV", "Nom du quartier", "Conseil citoyen constitué", "Nombre de membres habitants"],
         ["Laon", "QN00201", "Champagne", "oui", 8]]


def _kind(subject, body, sender=OFFICIAL, attachment: bytes | None = None, filename="Annexe 1.xlsx"):
    mail = message(subject=subject, body=body, sender=sender)
    if attachment is not None:
        mail.add_attachment(attachment, *XLSX, filename=filename)
    return extract(parse_message(mail.as_bytes())).kind


@pytest.mark.parametrize(
    ("subject", "body", "kind"),
    [
        ("Question sur les annexes", "Les annexes doivent-elles être remplies par QPV ou par conseil citoyen ?",
         "question"),
        ("Bilan - envoi à venir", "Nous vous transmettrons notre contribution dans les prochains jours.", "question"),
        ("Demande de délai", "Serait-il possible de bénéficier d'un délai supplémentaire ?", "question"),
        ("RE: bilan", "Bien reçu, merci pour votre message.", "question"),
        ("Contribution 02", "Veuillez trouver ci-dessous notre bilan. " + "Les conseils citoyens se réunissent. " * 60,
         "contribution"),
    ],
)
def test_words(subject, body, kind):
    assert _kind(subject, body) == kind


def test_a_question_with_the_blank_template_attached_is_a_question():
    blank = xlsx_bytes(ANNEX[:1])
    assert _kind("Annexe 1 au format Excel", "Pouvez-vous nous renvoyer l'annexe 1 au format Excel ?",
                 attachment=blank) == "question"


def test_annex_rows_make_a_contribution_even_without_words():
    assert _kind("Envoi", "Bonjour,", attachment=xlsx_bytes(ANNEX)) == "contribution"
    assert _kind("Envoi", "Bonjour, pouvez-vous accuser réception ?", attachment=xlsx_bytes(ANNEX)) == "contribution"


def test_a_forwarded_contribution_is_a_contribution():
    inner = message(subject="Contribution 02", body="Veuillez trouver ci-joint notre contribution.")
    inner.add_attachment(xlsx_bytes(ANNEX), *XLSX, filename="Annexe 1.xlsx")
    outer = message(subject="TR: Contribution 02", body="Bonjour, je vous transfère notre envoi.")
    outer.add_attachment(inner)
    assert extract(parse_message(outer.as_bytes())).kind == "contribution"


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        ("Formaction <contact@formaction.fr>", "Formation : animer un conseil citoyen - inscriptions ouvertes",
         "Notre organisme propose une formation. Tarif : 890 € HT par participant. Cliquez ici."),
        ("Service <admin@secure-update.com>", "Votre quota de messagerie est dépassé",
         "Cliquez ici pour valider votre compte."),
        ("Voyages <info@voyages.fr>", "Promotions d'hiver", "Partez au soleil cet hiver."),
    ],
)
def test_advertising_and_phishing_are_spam(sender, subject, body):
    assert _kind(subject, body, sender=sender) == "spam"


def test_a_resident_answering_the_survey():
    assert _kind("Re: Enquête auprès des membres des conseils citoyens", "Voici mes réponses au questionnaire.",
                 sender="Paul <paul@free.fr>") == "survey_response"
