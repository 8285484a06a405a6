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


# -- questions in other words ------------------------------------------------------------------------

HISTORY = ("\n\nLe 2 déc. 2021 à 10:12, Participation Habitants ANCT <participation-habitants@anct.gouv.fr> a écrit :\n"
           "> Madame, Monsieur, vous trouverez ci-joint l'instruction relative au bilan des démarches "
           "participatives.\n")


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # a reply in a thread: inversion, with a question mark
        ("RE: Compte rendu de la rencontre territoriale",
         "Bonjour,\n\nLe compte rendu peut-il vous être adressé sous forme de diaporama ?\n\nMerci,\nJulie Bernard"
         + HISTORY),
        # inversion without a question mark
        ("RE: Bilan des démarches participatives",
         "Bonjour,\nLe diaporama présenté en réunion tient-il lieu de compte rendu\nCordialement\nJulie Bernard"
         + HISTORY),
        # an indirect question, no question mark
        ("Bilan participation",
         "Bonjour,\n\nJe souhaiterais savoir si le bilan peut être transmis après la réunion du comité de pilotage.\n\n"
         "Bien cordialement,\n\nLucas Bernard\nDDETS du Cantal"),
        # "est-ce que", no question mark
        ("Contribution 15", "Bonjour,\nEst-ce que la contribution doit comporter les trois annexes\nMerci\nLucas"),
        # an interrogative word opening the sentence
        ("TR: Compte rendu", "Bonjour,\nQuelle est la date limite pour l'envoi du compte rendu ?\nCordialement"),
        # one paragraph: the line breaks were lost
        ("Compte rendu", "Bonjour,\nLe compte rendu pourra-t-il être transmis après le 10 décembre\nCordialement\n"
         "Julie Bernard\nDDETS des Landes"),
        # a request under a thanks
        ("Bilan 2021", "Bonjour,\n\nJe vous remercie de bien vouloir m'indiquer le format attendu pour le bilan.\n\n"
         "Cordialement,\nAgnès Giraud / DDETS de l'Essonne"),
    ],
)
def test_questions_in_other_words(subject, body):
    assert _kind(subject, body) == "question"


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # short, no attachment, a contribution stated in the body: no question in it
        ("Bilan démarches participatives - Cantal",
         "Bonjour,\n\nAucune rencontre n'a pu être organisée cette année ; nos deux conseils citoyens ne se sont pas "
         "réunis. Nous souhaitons vous indiquer que leur renouvellement est engagé.\n\nCordialement,\nLucas Bernard"),
        # polite imperatives and offers are not questions
        ("Contribution 15", "Bonjour,\nNotre contribution : les conseils citoyens de Aurillac se sont réunis "
         "deux fois. "
         "Envoyez-nous vos remarques. N'hésitez pas à nous contacter.\nCordialement"),
    ],
)
def test_short_contributions_stay_contributions(subject, body):
    assert _kind(subject, body) == "contribution"


def test_a_short_contribution_with_its_report_attached_is_a_contribution():
    blank_free = xlsx_bytes(ANNEX)
    assert _kind("RE: Compte rendu", "Bonjour,\nLe compte rendu est-il bien arrivé ?\nMerci", attachment=blank_free) \
        == "contribution"


def test_a_questionnaire_typed_in_the_mail_is_not_a_question():
    body = ("1. Nom et prénom : Paul Durand\n2. Depuis quand êtes-vous membre du conseil citoyen ? : 2016\n"
            "3. Comment jugez-vous le fonctionnement du conseil citoyen ? : bien")
    assert _kind("Enquête conseils citoyens", body, sender="Paul <paul.durand@free.fr>") == "survey_response"


def test_the_kind_comes_with_a_confidence():
    mail = message(subject="Lu : bilan", body="Votre message a été lu.",
                   headers={"Auto-Submitted": "auto-replied"})
    by_headers = extract(parse_message(mail.as_bytes()))
    by_words = extract(parse_message(message(subject="RE: Compte rendu", body="Bonjour,\nLe compte rendu "
                                                     "peut-il être envoyé en PDF ?").as_bytes()))
    assert by_words.kind == "question"
    assert 0 < by_words.confidence["kind"] < by_headers.confidence["kind"] <= 1
