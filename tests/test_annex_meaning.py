"""Annex columns read by what their headers mean and what their values are,
not by the template's wording: headers in other words, shuffled columns, no
header at all, two-row headers, transposed tables, practices named otherwise."""

from __future__ import annotations

import io

import docx
import pytest

from bilan.nlp.annex_columns import ENV_ANCHORS, anchor_mode, practice_type
from bilan.nlp.annex_tables import extract_annex_tables, row_contract, tables_in_block
from bilan.parsers import parse_message
from bilan.parsers.document import Block, Provenance
from tests.mail import XLSX, message, xlsx_bytes

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def _block(rows, file="annexe.xlsx", sheet="Feuil1"):
    return Block.table(rows, Provenance(file=file, sheet=sheet, page=None, cell_range=f"A1:M{len(rows)}"))


def _rows(rows, anchors=None):
    return [row_contract(r) for t in tables_in_block(_block(rows), anchors=anchors) for r in t.rows]


def _docx_table(rows: list[list[object]]) -> bytes:
    document = docx.Document()
    document.add_paragraph("Pratiques participatives hors conseils citoyens")
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = "" if value is None else str(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ANNEXE2_OTHER_WORDS = [
    "Nature de la démarche participative", "Commune(s)", "Identifiant QPV", "Organisme porteur",
    "Mise en place (année)", "Participants (habitants)", "Remarques",
]
ANNEXE2_ROWS = [
    ["Table de quartier", "Tours", "QN03701", "Centre social Léo Lagrange", 2017, 35, "Réunions mensuelles"],
    ["Fonds d'initiatives habitants", "Tours", "QN03702M", "Association Quartiers Vivants", 2019, 120, None],
    ["Autre : Comité d'usagers", "Joué-lès-Tours", "NC", "Ville de Joué-lès-Tours", "2020", "15", None],
    ["Maison du projet", "Tours", "QN03701", "Tours Métropole", 2018, "NC", "Rénovation urbaine"],
]
ANNEXE2_EXPECTED = [
    {"type": "table_de_quartier", "commune": "Tours", "qpv_code": "QN03701",
     "porteur": "Centre social Léo Lagrange", "annee_creation": 2017, "habitants_mobilises": 35},
    {"type": "fph", "commune": "Tours", "qpv_code": "QN03702M", "porteur": "Association Quartiers Vivants",
     "annee_creation": 2019, "habitants_mobilises": 120},
    {"type": "autre", "commune": "Joué-lès-Tours", "qpv_code": None, "porteur": "Ville de Joué-lès-Tours",
     "annee_creation": 2020, "habitants_mobilises": 15},
    {"type": "maison_du_projet", "commune": "Tours", "qpv_code": "QN03701", "porteur": "Tours Métropole",
     "annee_creation": 2018, "habitants_mobilises": None},
]


def test_annexe_2_headed_in_other_words_in_a_word_table():
    mail = message()
    mail.add_attachment(_docx_table([ANNEXE2_OTHER_WORDS, *ANNEXE2_ROWS]), *DOCX, filename="pratiques.docx")
    tables = extract_annex_tables(parse_message(mail.as_bytes()))
    assert [row_contract(r) for r in tables.annexe2] == ANNEXE2_EXPECTED
    assert tables.annexe1 == []


def test_annexe_2_in_other_words_shuffled_in_a_sheet():
    order = [5, 3, 0, 6, 2, 4, 1]
    rows = [[row[i] for i in order] for row in [ANNEXE2_OTHER_WORDS, *ANNEXE2_ROWS]]
    mail = message()
    mail.add_attachment(xlsx_bytes([["Bilan des pratiques participatives"], [], *rows], title="Pratiques"), *XLSX,
                        filename="pratiques.xlsx")
    tables = extract_annex_tables(parse_message(mail.as_bytes()))
    assert [row_contract(r) for r in tables.annexe2] == ANNEXE2_EXPECTED
    first = tables.annexe2[0]
    assert first.source.row == 4  # the sheet's row: two title rows, then the header
    assert first.source.cells["qpv_code"] == "E4"


ANNEXE1_OTHER_WORDS = [
    "Effectif acteurs locaux", "Localité", "Identifiant du quartier", "Appellation du quartier",
    "Existence d'un conseil citoyen", "Mois et année de création", "Effectif habitants",
    "Fonctionne en 2021 ?", "Organisme d'appui", "Associé aux instances du contrat de ville ?",
    "Membres formés ?", "Dotation annuelle (€)",
]


def test_annexe_1_headed_in_other_words_and_shuffled():
    rows = [
        ANNEXE1_OTHER_WORDS,
        [4, "Reims", "QN05101", "Orgeval", "oui", "03/2016", 12, "oui", "Centre social Orgeval", "non", "oui",
         "3 000 €"],
        [None, "Châlons-en-Champagne", "QN05102M", "Le Verbeau", "non", None, None, None, None, None, None, None],
        [2, "Épernay", "QN05103", "Bernon", "oui", "mai 2018", 7, "non", "NC", "oui", "non", "NC"],
    ]
    assert _rows(rows) == [
        {"commune": "Reims", "qpv_code": "QN05101", "qpv_nom": "Orgeval", "conseil_constitue": True,
         "date_creation": "2016-03", "membres_habitants": 12, "membres_acteurs_locaux": 4, "actif": True,
         "structure_porteuse": "Centre social Orgeval", "participation_pilotage": False, "formation_suivie": True,
         "budget_annuel_eur": 3000},
        {"commune": "Châlons-en-Champagne", "qpv_code": "QN05102M", "qpv_nom": "Le Verbeau",
         "conseil_constitue": False, "date_creation": None, "membres_habitants": None,
         "membres_acteurs_locaux": None, "actif": None, "structure_porteuse": None,
         "participation_pilotage": None, "formation_suivie": None, "budget_annuel_eur": None},
        {"commune": "Épernay", "qpv_code": "QN05103", "qpv_nom": "Bernon", "conseil_constitue": True,
         "date_creation": "2018-05", "membres_habitants": 7, "membres_acteurs_locaux": 2, "actif": False,
         "structure_porteuse": None, "participation_pilotage": True, "formation_suivie": False,
         "budget_annuel_eur": None},
    ]


def test_a_table_without_header_is_read_from_its_values():
    rows = [[row[i] for i in range(6)] for row in ANNEXE2_ROWS]
    assert _rows(rows) == ANNEXE2_EXPECTED


def test_a_list_without_header_that_is_no_annex_is_ignored():
    rows = [["Reims", "Marne", 182000], ["Épernay", "Marne", 22000], ["Troyes", "Aube", 61000]]
    assert tables_in_block(_block(rows)) == []


def test_header_on_two_rows_in_other_words():
    rows = [
        ["Localité", "Quartier prioritaire", "Quartier prioritaire", "Effectifs", "Effectifs", "Moyens"],
        [None, "identifiant", "appellation", "habitants", "acteurs locaux", "dotation annuelle (€)"],
        ["Metz", "QN05701", "Borny", 15, 6, "2 000"],
        ["Metz", "QN05702", "Bellecroix", "NC", 3, None],
    ]
    assert [(r["commune"], r["qpv_code"], r["qpv_nom"], r["membres_habitants"], r["membres_acteurs_locaux"],
             r["budget_annuel_eur"]) for r in _rows(rows)] == [
        ("Metz", "QN05701", "Borny", 15, 6, 2000), ("Metz", "QN05702", "Bellecroix", None, 3, None)]


def test_transposed_table_in_other_words():
    rows = [
        ["Démarche", "Budget participatif", "Fonds pour les initiatives des habitants"],
        ["Localité", "Amiens", "Abbeville"],
        ["Identifiant du quartier", "QN08001", "NC"],
        ["Organisme qui la porte", "Ville d'Amiens", "Centre social du Soleil Levant"],
        ["Lancée en", 2016, 2012],
        ["Habitants impliqués", 640, 25],
    ]
    assert _rows(rows) == [
        {"type": "budget_participatif", "commune": "Amiens", "qpv_code": "QN08001", "porteur": "Ville d'Amiens",
         "annee_creation": 2016, "habitants_mobilises": 640},
        {"type": "fph", "commune": "Abbeville", "qpv_code": None, "porteur": "Centre social du Soleil Levant",
         "annee_creation": 2012, "habitants_mobilises": 25},
    ]


def test_practices_named_in_other_words():
    assert [practice_type(t) for t in (
        "Fonds d'initiatives habitants", "Autre : Comité d'usagers", "Comité d'usagers", "Maison de quartier",
        "Budgets participatifs citoyens", "Tables de quartier", "Conseil de quartier", "Maison du projet (NPNRU)",
    )] == ["fph", "autre", "autre", "autre", "budget_participatif", "table_de_quartier", "autre", "maison_du_projet"]


def test_cell_confidence_says_which_values_are_sure():
    rows = [ANNEXE2_OTHER_WORDS, *ANNEXE2_ROWS,
            ["Table de quartier", "Tours", "QN03703", "Collectif", "depuis longtemps", 12, None]]
    (table,) = tables_in_block(_block(rows))
    for row in table.rows:
        assert set(row.cell_confidence) == set(row.values)
        assert all(0 < c <= 1 for c in row.cell_confidence.values())
    sure, unreadable = table.rows[0], table.rows[-1]
    assert unreadable.values["annee_creation"] is None
    assert unreadable.cell_confidence["annee_creation"] < sure.cell_confidence["annee_creation"]
    assert unreadable.confidence < sure.confidence


def test_template_only_anchors_still_read_the_template(monkeypatch):
    header = ["Type de démarche", "Commune", "Code QPV (le cas échéant)", "Structure porteuse", "Année de création",
              "Nombre d'habitants mobilisés en 2021", "Observations"]
    rows = [header, *ANNEXE2_ROWS]
    assert _rows(rows, anchors="templates") == ANNEXE2_EXPECTED
    monkeypatch.setenv(ENV_ANCHORS, "templates")
    assert anchor_mode() == "templates"
    assert _rows(rows) == ANNEXE2_EXPECTED
    monkeypatch.setenv(ENV_ANCHORS, "synonyms")
    with pytest.raises(ValueError):
        anchor_mode()


def test_a_questionnaire_of_long_questions_is_no_annex():
    rows = [
        ["Question", "Réponse"],
        ["Nom et prénom", "MARTIN Claire"],
        ["Commune et quartier de votre conseil", "Les Glycines – Vierzon"],
        ["Depuis combien de temps faites-vous partie du conseil ?", "deux ans"],
        ["Votre conseil a-t-il reçu une formation cette année ?", "Oui, sur l'animation de réunions."],
        ["Votre conseil participe-t-il aux instances du contrat de ville ?", "Non, jamais invité."],
        ["Combien de membres habitants compte votre conseil ?", "8"],
        ["Quelles suggestions feriez-vous ?", "Avoir un local et un petit budget."],
    ]
    assert [t.rows for t in tables_in_block(_block(rows))] in ([], [[]])


def test_a_field_the_table_lacks_is_not_doubtful_unless_a_column_was_left_over():
    header = ["Type de démarche", "Commune", "Code QPV", "Structure porteuse", "Année de création",
              "Nombre d'habitants mobilisés en 2021"]
    complete = [header, *[row[:6] for row in ANNEXE2_ROWS]]
    (table,) = tables_in_block(_block([[c for i, c in enumerate(r) if i != 3] for r in complete]))
    assert all(row.values["porteur"] is None and "porteur" not in row.cell_confidence for row in table.rows)
    # The same table with an extra column of values nobody could place: the missing field may be there.
    odd = [[*r[:3], "Zorglub" if i == 0 else f"xq{i}", *r[4:]] for i, r in enumerate(complete)]
    (table,) = tables_in_block(_block(odd))
    assert all(row.cell_confidence.get("porteur", 1.0) < 0.6 for row in table.rows)
