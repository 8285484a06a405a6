"""Departments from every signal combined: sender domain, subject, signature
(sous-préfecture, postal code), annex contents (department label, QPV codes,
communes), survey answers; undecided or conflicting cases go to review."""

from __future__ import annotations

from bilan.nlp.extraction import extract
from bilan.nlp.gazetteer import get_commune_gazetteer
from bilan.parsers import parse_message
from tests.mail import XLSX, message, xlsx_bytes

ANNEX_HEADER = ["Commune", "Code QPV", "Nom du quartier", "Conseil citoyen constitué", "Nombre de membres habitants"]


def _extract(mail):
    return extract(parse_message(mail.as_bytes()))


def _codes(result):
    return [d.code for d in result.departments]


def test_qpv_codes_of_the_annex_place_a_webmail_sender():
    mail = message(sender="Paul <paul.durand@gmail.com>", subject="Bilan", body="Bonjour,\n\nci-joint l'annexe 1.\n")
    rows = [ANNEX_HEADER, ["Pessac", "QN03301", "Saige", "oui", 12], ["Pessac", "QN03302", "Arago", "non", None]]
    mail.add_attachment(xlsx_bytes(rows), *XLSX, filename="annexe.xlsx")
    result = _extract(mail)
    assert _codes(result) == ["33"]
    assert "QPV code" in result.departments[0].evidence
    # Sure of the department; only the sender's webmail domain is for a person to check.
    assert result.needs_review and result.review_reason.startswith("sender domain gmail.com is not one of")


def test_the_department_label_of_an_annex():
    mail = message(sender="x@laposte.net", subject="Envoi", body="Bonjour, ci-joint nos annexes.\n")
    rows = [["Département :", "Loire-Atlantique (44)"], [None, None], ANNEX_HEADER, ["Nantes", None, "Bellevue", "oui", 9]]
    mail.add_attachment(xlsx_bytes(rows), *XLSX, filename="Annexe 1.xlsx")
    assert _codes(_extract(mail)) == ["44"]


def test_the_commune_of_the_conseil_citoyen_in_a_survey_answer():
    body = (
        "Bonjour je vous envoie le questionnaire rempli.\n"
        "1. Nom et prénom : DURAND Paul\n2. Téléphone : 06 11 22 33 44\n3. Adresse électronique : p@free.fr\n"
        "4. Conseil citoyen (quartier et commune) : Les Cèdres – Perpignan\n"
        "5. Depuis quand êtes-vous membre du conseil citoyen ? : 2016\n"
    )
    result = _extract(message(sender="Paul <p@free.fr>", subject="Questionnaire conseil citoyen", body=body))
    assert result.kind == "survey_response"
    assert _codes(result) == ["66"]


def test_a_sous_prefecture_in_the_signature():
    body = "Bonjour,\n\nVeuillez trouver ci-joint notre contribution écrite.\n\nCordialement,\n\nAïcha Le Goff\n" \
           "Sous-préfète de l'arrondissement – Sous-préfecture de Laval\n"
    result = _extract(message(sender="Aïcha <a.legoff@hotmail.fr>", subject="Bilan participation", body=body))
    assert _codes(result) == ["53"]


def test_a_postal_code_in_the_signature():
    body = "Bonjour,\n\nci-joint notre bilan.\n\nCordialement,\n\nA. Mercier\n31 place du Général de Gaulle\n" \
           "68000 Colmar\nTél : 03 02 85 70 21\n"
    assert _codes(_extract(message(sender="a.mercier@orange.fr", subject="Bilan", body=body))) == ["68"]


def test_a_commune_shared_by_several_departments_is_weak_evidence_for_review():
    body = "Bonjour,\n\nVoici le bilan des conseils citoyens de la commune de Saint-Denis.\n"
    result = _extract(message(sender="x@gmail.com", subject="Bilan conseils citoyens", body=body))
    assert len(result.departments) == 1
    assert result.needs_review and "low confidence: department" in result.review_reason


def test_conflicting_signals_are_flagged():
    mail = message(sender="Jeanne <jeanne.martin@aisne.gouv.fr>", subject="Bilan", body="Bonjour, ci-joint l'annexe.\n")
    rows = [["Département :", "Bouches-du-Rhône (13)"], ANNEX_HEADER, ["Marseille", "QN01301", "Noailles", "oui", 3]]
    mail.add_attachment(xlsx_bytes(rows), *XLSX, filename="Annexe 1.xlsx")
    result = _extract(mail)
    assert _codes(result) == ["02"]  # the sender's own prefecture speaks first
    assert result.needs_review and "conflicting signal: 13" in result.review_reason


def test_communes_are_named_after_a_cue_not_as_bare_words():
    finder = get_commune_gazetteer()
    mentions = finder.find("les questionnaires du conseil citoyen du quartier Les Lilas à Nancy")
    assert [(m.name, m.departments) for m in mentions] == [("Nancy", ["54"])]
    assert finder.find("Il fait beau ce matin") == []
    assert [m.via for m in finder.find("20 avenue Foch\n43000 Le Puy-en-Velay")] == ["postcode"]


def test_qpv_codes_in_text():
    assert get_commune_gazetteer().find_qpv_codes("QPV QN06801M et qn02a01, pas QN1") == ["QN06801M", "QN02A01"]


def test_spam_has_no_department_and_needs_no_review():
    result = _extract(message(sender="promo@offres.fr", subject="Offre spéciale Paris", body="Cliquez ici, à Paris"))
    assert result.kind == "spam" and result.departments == [] and not result.needs_review

