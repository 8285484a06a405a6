"""First-cut extraction rules, each with a small example of its own."""

from __future__ import annotations

import pytest

from bilan.nlp.extraction import extract
from bilan.nlp.gazetteer import get_department_finder
from bilan.parsers import parse_message
from tests.mail import message


def _extract(**kwargs):
    return extract(parse_message(message(**kwargs).as_bytes()))


@pytest.mark.parametrize(
    ("headers", "subject", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Réponse automatique : bilan", "auto_reply"),
        ({}, "Absent(e) du bureau : RAPPEL", "auto_reply"),
        ({"Precedence": "bulk", "List-Unsubscribe": "<mailto:u@lettre.fr>"}, "La lettre de décembre", "spam"),
        ({}, "Read: Instruction ANCT", "read_receipt"),
    ],
)
def test_kind_from_the_envelope(headers, subject, kind):
    assert _extract(headers=headers, subject=subject).kind == kind


def test_a_question_is_not_a_contribution():
    result = _extract(subject="Annexe 1", body="Pouvez-vous nous renvoyer l'annexe 1 au format Excel ?")
    assert result.kind == "question"


def test_a_contribution_from_a_prefecture():
    result = _extract()
    assert result.kind == "contribution"
    assert [d.code for d in result.departments] == ["02"]
    assert "aisne.gouv.fr" in result.departments[0].evidence


def test_subject_wins_over_the_sender_domain_for_a_regional_sender():
    result = _extract(
        sender="SGAR <sgar@auvergne-rhone-alpes.gouv.fr>",
        subject="Contributions des départements Savoie (73) et Loire (42)",
    )
    assert sorted(d.code for d in result.departments) == ["42", "73"]


def test_webmail_sender_is_placed_by_the_signature():
    result = _extract(
        sender="Paul <paul.durand@gmail.com>",
        subject="Bilan participation",
        body="Bonjour,\n\nci-joint notre bilan.\n\nPaul Durand\nDélégué du préfet\nPréfecture du Cher\n",
    )
    assert [d.code for d in result.departments] == ["18"]


def test_undecided_department_is_flagged_for_review():
    result = _extract(sender="x@gmail.com", subject="Bilan", body="Voici notre bilan des démarches.")
    assert result.departments == [] and result.needs_review


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Préfecture des Côtes-d’Armor", ["22"]),
        ("COTES D ARMOR", ["22"]),
        ("la préfecture de la Haute-Savoie", ["74"]),  # not also Savoie
        ("Annexe(s) manquante(s) - 21", ["21"]),
        ("DDETS 82 - Politique de la ville", ["82"]),
        ("un lot de documents, cher collègue, au nord", []),  # common words are not departments
        ("Réunion - 12 participants", []),
        ("Préfecture de Saint-Pierre", []),
    ],
)
def test_gazetteer(text, codes):
    assert sorted({m.code for m in get_department_finder().find(text)}) == codes
