"""The pages are French, though extraction's notes and the correction
layer's refusals are English (for the command line, the logs and SQL
users): `bilan/web/french.py` translates them where a page shows them. The
reasons are made here by the functions extraction and storage use, so that
a change of their wording fails this test rather than showing English."""

from __future__ import annotations

import re

import pytest

from bilan.nlp.annex_tables import AnnexRow, RowSource
from bilan.nlp.departments import DepartmentGuess
from bilan.nlp.extraction import Extraction
from bilan.nlp.findings import Recommendation
from bilan.nlp.review import ReviewThresholds, uncertain_values
from bilan.parsers.document import Provenance
from bilan.web import french

#: Words that would betray an English sentence left on a page.
ENGLISH = re.compile(r"\b(confidence|weakest|recommendation|named|sender|department|commune of|row|is not|already|undone)\b")


def french_only(text: str) -> str:
    assert not ENGLISH.search(text), text
    return text


def _extraction() -> Extraction:
    """What extraction could find of a message it is unsure of, value by value."""
    rows = [AnnexRow(1, {}, RowSource("Annexe 1.xlsx", "Feuil1", None, n + 2), confidence)
            for n, confidence in enumerate(({"commune": 0.9}, {"actif": 0.3, "commune": 0.5}))]
    found = [Recommendation(f"Préconisation {n}", Provenance("Contribution.pdf"), 0, "heading", confidence=confidence,
                            theme="formation", theme_score=score)
             for n, (confidence, score) in enumerate(((0.9, 0.3), (0.3, 0.2), (0.9, 0.9), (0.9, 0.2)))]
    departments = [DepartmentGuess("38", 0.42, "commune named in the body (Saint-Denis, homonyms elsewhere); QPV code QP038001")]
    return Extraction(kind="question", modality=3, confidence={"kind": 0.5, "modality": 0.45}, departments=departments,
                      annexe1_rows=rows, recommendations=found)


def test_the_reasons_for_review_read_in_french():
    thresholds = ReviewThresholds(kind=0.6, sender_role=0.35, modality=0.6, department=0.5, annex_cell=0.6,
                                  recommendation=0.6, theme=0.5)
    reasons = "; ".join([
        *uncertain_values(_extraction(), thresholds),
        "sender not authenticated by mx.anct.gouv.fr: dkim=fail, spf=fail, dmarc=fail",
        "sender domain gmail.com is not one of the department 39's or its region's (jura.gouv.fr, jura.pref.gouv.fr...)",
        "no department could be identified",
        "conflicting signal: 75 (named in the body)",
    ])
    shown = french_only(french.review_reason(reasons))
    assert shown.startswith("confiance faible : nature question (0,50 < 0,60) ; confiance faible : modalité 3 (0,45 < 0,60)")
    assert "département 38 (0,42 < 0,50) : commune nommée dans le corps du message (Saint-Denis, homonymes ailleurs) ; code QPV QP038001" in shown
    assert "3 thèmes de préconisation, le plus faible n° 2 (0,20 < 0,50)" in shown
    assert "confiance faible : préconisation 2 (0,30 < 0,60)" in shown
    assert "2 cellules de l'Annexe 1, la plus faible ligne 2, « Actif » (0,30 < 0,60)" in shown
    assert "expéditeur non authentifié par mx.anct.gouv.fr : dkim=fail" in shown
    assert "le domaine gmail.com n'est ni celui du département 39 ni celui de sa région" in shown
    assert "indice contraire : 75 (nommé dans le corps du message)" in shown
    assert french.review_reason(None) == ""
    assert french.review_reason("a reason from a newer extractor") == "a reason from a newer extractor"  # never lost


def test_where_a_department_was_read_reads_in_french():
    shown = french.evidence("named in the subject; sender domain isere.gouv.fr; named in the signature; "
                            "commune in the signature (Vienne, homonyms elsewhere); department of the annex; "
                            "QPV code QN03801M; commune of the annex (Grenoble); commune of the conseil citoyen (Échirolles); "
                            "named in the body; address that could not be reached")
    assert french_only(shown).startswith("nommé dans l'objet ; domaine de l'expéditeur isere.gouv.fr ; ")
    assert "commune de la signature (Vienne, homonymes ailleurs) ; département indiqué dans l'annexe" in shown
    assert french.evidence("correction") == "corrigé par une personne"
    assert french.origin("heading") == "sous un titre" and french.origin("table") == "dans un tableau"


def test_annex_columns_are_named_as_in_the_spreadsheets():
    from bilan.storage.models import Annexe1Row, Annexe2Row

    for name in (*Annexe1Row.cell_fields(), *Annexe2Row.cell_fields(), "department_code"):
        assert french.field(name) != name, name
    assert french.field("budget_annuel_eur") == "Budget annuel (€)" and french.field("theme") == "thème"


@pytest.mark.parametrize(("english", "expected"), [
    ("message " + "a" * 64 + " is not in this warehouse", "le message aaaaaaaaaaaa… n'est pas (ou plus) dans l'entrepôt"),
    ("row 2 of annexe1 of message " + "b" * 64 + " is not in this warehouse", "la ligne n° 3 de l'Annexe 1 du message"),
    ("recommendation 0 of message " + "c" * 64 + " is not in this warehouse", "la préconisation n° 1 du message"),
    ("annexe1.commune holds at most 200 characters, not 250", "« Commune » tient en 200 caractères au plus"),
    ("annexe1.date_creation is a month written YYYY-MM (e.g. 2016-03), not '2016'", "mois écrit AAAA-MM"),
    ("annexe2.annee_creation is a whole number (0 or more) or null, not -3", "« Année de création » est un nombre entier"),
    ("unknown type of practice 'x': use one of fph, autre", "« x » n'est pas un type de démarche : table de quartier"),
    ("unknown department code '99': use an INSEE code such as 01, 2A, 75 or 974", "« 99 » n'est pas un code de département"),
    ("a message cannot supersede itself", "un message ne peut pas se remplacer lui-même"),
    ("there is no correction #12: see `bilan corrections list`", "il n'y a pas de correction n° 12"),
    ("correction #3 was already undone by claire at 2021-12-11 10:00 UTC", "la correction n° 3 a déjà été annulée par claire"),
])
def test_the_refusals_a_form_can_meet_read_in_french(english, expected):
    assert expected in french_only(french.refusal(english))


def test_a_refusal_no_rule_knows_keeps_its_text():
    assert french.refusal("a new kind of refusal") == "a new kind of refusal (message technique, en anglais)"
