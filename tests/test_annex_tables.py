"""Annexe 1 / Annexe 2 tables found in any layout and read as typed rows."""

from __future__ import annotations

from bilan.nlp.annex_tables import (
    extract_annex_tables,
    find_annex_tables,
    normalise_qpv_code,
    practice_type,
    row_contract,
    tables_in_block,
)
from bilan.parsers import parse_message
from bilan.parsers.document import Block, Document, Provenance
from bilan.reference import department_of_qpv
from tests.mail import XLSX, message, xlsx_bytes

TEMPLATE_HEADER = [
    "Commune", "Code QPV", "Nom du quartier prioritaire (QPV)", "Conseil citoyen constitué (oui/non)",
    "Date de création (mm/aaaa)", "Nombre de membres - collège habitants", "Nombre de membres - collège acteurs locaux",
    "Conseil citoyen actif en 2021 (oui/non)", "Structure porteuse",
    "Participation aux instances de pilotage du contrat de ville (oui/non)",
    "Formation suivie par les membres (oui/non)", "Budget annuel de fonctionnement (€)",
]


def _block(rows, file="annexe.xlsx", sheet="Feuil1", page=None):
    return Block.table(rows, Provenance(file=file, sheet=sheet, page=page, cell_range=None if page else "A1:L20"))


def _rows(block):
    return [row_contract(r) for t in tables_in_block(block) for r in t.rows]


def test_template_layout_with_title_rows_comments_and_totals():
    rows = [
        ["ANNEXE 1 – BILAN DES CONSEILS CITOYENS"] * 12,
        ["Département :", "Marne (51)", "Date de transmission :", "01/12/2021"] + [None] * 8,
        [None] * 12,
        TEMPLATE_HEADER,
        ["Reims", "QN05101", "Orgeval", "oui", "03/2016", 12, "NC", "oui", "Centre social Orgeval", "non", "oui",
         "3 000 €"],
        ["Commentaire : données de la commune"] * 12,
        ["Châlons-en-Champagne", "qn 051 02 m", "Le Verbeau", "Non", None, None, None, None, None, None, None, None],
        ["TOTAL", None, None, None, None, 12, 0, None, None, None, None, 3000],
    ]
    tables = tables_in_block(_block(rows))
    assert [t.spec.number for t in tables] == [1]
    assert tables[0].department_labels == ["Marne (51)"]
    got = [row_contract(r) for r in tables[0].rows]
    assert got == [
        {"commune": "Reims", "qpv_code": "QN05101", "qpv_nom": "Orgeval", "conseil_constitue": True,
         "date_creation": "2016-03", "membres_habitants": 12, "membres_acteurs_locaux": None, "actif": True,
         "structure_porteuse": "Centre social Orgeval", "participation_pilotage": False, "formation_suivie": True,
         "budget_annuel_eur": 3000},
        {"commune": "Châlons-en-Champagne", "qpv_code": "QN05102M", "qpv_nom": "Le Verbeau",
         "conseil_constitue": False, "date_creation": None, "membres_habitants": None,
         "membres_acteurs_locaux": None, "actif": None, "structure_porteuse": None,
         "participation_pilotage": None, "formation_suivie": None, "budget_annuel_eur": None},
    ]
    assert [r.source.row for r in tables[0].rows] == [5, 7]  # the sheet's row numbers


def test_renamed_reordered_columns_under_a_group_row():
    rows = [
        ["Identification"] * 3 + ["Composition et fonctionnement"] * 9,
        ["Ville", "N° QPV", "Quartier", "CC constitué ?", "Création", "Nb habitants", "Nb acteurs locaux", "Actif ?",
         "Porteur", "Associé au pilotage ?", "Budget (€)", "Formation ?"],
        ["Lyon", "QN06901", "Mermoz", "Oui", "2019-05-01", 9, 4, "Non", "Mairie de Lyon", "Oui", "1 200,00 €", "Non"],
    ]
    assert _rows(_block(rows)) == [
        {"commune": "Lyon", "qpv_code": "QN06901", "qpv_nom": "Mermoz", "conseil_constitue": True,
         "date_creation": "2019-05", "membres_habitants": 9, "membres_acteurs_locaux": 4, "actif": False,
         "structure_porteuse": "Mairie de Lyon", "participation_pilotage": True, "formation_suivie": False,
         "budget_annuel_eur": 1200},
    ]


def test_ticks_mean_yes_and_blank_boxes_no():
    rows = [
        TEMPLATE_HEADER,
        ["Nîmes", "QN03001", "Pissevin", "X", "juin 2015", 10, 2, None, "CCAS", "X", "NC", 500],
    ]
    (row,) = _rows(_block(rows))
    assert (row["conseil_constitue"], row["actif"], row["participation_pilotage"], row["formation_suivie"]) == (
        True, False, True, None)


def test_header_on_two_rows():
    rows = [
        ["Commune", "Code QPV", "Quartier", "CC constitué", "Nombre de membres", "Nombre de membres", "Budget"],
        [None, None, None, None, "collège habitants", "collège acteurs locaux", None],
        ["Metz", "QN05701", "Borny", "oui", 15, 6, "2 000"],
    ]
    (row,) = _rows(_block(rows))
    assert (row["membres_habitants"], row["membres_acteurs_locaux"], row["budget_annuel_eur"]) == (15, 6, 2000)


def test_words_broken_by_pdf_extraction_and_repeated_header():
    header = ["Commu ne", "Code QP V", "Nom du quartier prioritaire (QPV)", "CC co nstitué ?", "Création",
              "Nb habi tants", "Nb a cteurs loc aux", "Actif ?", "Porteur", "Associé au pilotage ?", "Forma tion ?",
              "Budge t (€)"]
    rows = [header, ["Caen", "QN01401", "Grâce de Dieu", "oui", "NC", "8", "3", "oui", "NC", "non", "non", "NC"],
            header, ["Caen", "QN01402", "Chemin Vert", "non", None, None, None, None, None, None, None, None]]
    got = _rows(_block(rows, file="annexe1.pdf", sheet=None, page=1))
    assert [(r["qpv_code"], r["membres_habitants"], r["membres_acteurs_locaux"]) for r in got] == [
        ("QN01401", 8, 3), ("QN01402", None, None)]


def test_transposed_table():
    rows = [
        ["Commune", "Amiens", "Abbeville"],
        ["Code QPV", "QN08001", "QN08002"],
        ["Nom du quartier", "Étouvie", "Soleil Levant"],
        ["Conseil citoyen constitué", "oui", "oui"],
        ["Nombre de membres habitants", "14", "9"],
        ["Budget annuel", "1 000 €", "NC"],
    ]
    got = _rows(_block(rows))
    assert [(r["commune"], r["qpv_code"], r["membres_habitants"], r["budget_annuel_eur"]) for r in got] == [
        ("Amiens", "QN08001", 14, 1000), ("Abbeville", "QN08002", 9, None)]


def test_annexe_2_types_and_total_row():
    rows = [
        ["Dispositif", "Ville", "QPV", "Porteur", "Date de création", "Nb d'habitants", "Commentaires"],
        ["Fonds de participation des habitants (FPH)", "Tours", "QN03701", "Centre social", 2014, 291, "Très bien"],
        ["Autre (Jardin partagé)", "Tours", "NC", "NC", "NC", "NC", None],
        ["TABLE DE QUARTIER", "Joué-lès-Tours", "QN03702M", "Collectif", "2019", "40", None],
        ["Total habitants mobilisés", None, None, None, None, 331, None],
    ]
    assert _rows(_block(rows)) == [
        {"type": "fph", "commune": "Tours", "qpv_code": "QN03701", "porteur": "Centre social",
         "annee_creation": 2014, "habitants_mobilises": 291},
        {"type": "autre", "commune": "Tours", "qpv_code": None, "porteur": None, "annee_creation": None,
         "habitants_mobilises": None},
        {"type": "table_de_quartier", "commune": "Joué-lès-Tours", "qpv_code": "QN03702M", "porteur": "Collectif",
         "annee_creation": 2019, "habitants_mobilises": 40},
    ]


def test_two_annexes_on_one_sheet():
    rows = [
        TEMPLATE_HEADER[:5] + ["Structure porteuse"],
        ["Pau", "QN06401", "Saragosse", "oui", "01/2016", "Mairie"],
        [None] * 6,
        ["Type de démarche", "Commune", "Code QPV", "Structure porteuse", "Année de création",
         "Nombre d'habitants mobilisés en 2021"],
        ["Budget participatif", "Pau", None, "Ville de Pau", 2018, 300],
    ]
    tables = tables_in_block(_block(rows))
    assert [(t.spec.number, len(t.rows)) for t in tables] == [(1, 1), (2, 1)]


def test_tables_that_are_not_annexes_are_ignored():
    recommendations = [["N°", "Thématique", "Préconisation", "Acteur(s) concerné(s)"],
                       ["1", "Formation", "Former les animateurs.", "État"]]
    questionnaire = [["Question", "Réponse"], ["Nom et prénom", "DUPONT Jean"], ["Téléphone", "06 00 00 00 00"]]
    blank_template = [TEMPLATE_HEADER]
    document = Document(blocks=[_block(recommendations), _block(questionnaire), _block(blank_template)])
    assert [t.rows for t in find_annex_tables(document)] == [[]]


def test_the_same_annex_attached_twice_counts_once():
    rows = [TEMPLATE_HEADER, ["Brest", "QN02901", "Pontanézen", "oui", "05/2015", 10, 5, "oui", "CCAS", "oui",
                              "non", "1 000 €"]]
    mail = message()
    mail.add_attachment(xlsx_bytes(rows), *XLSX, filename="Annexe 1.xlsx")
    mail.add_attachment(xlsx_bytes(rows, title="Copie"), *XLSX, filename="Annexe 1 (copie).xlsx")
    tables = extract_annex_tables(parse_message(mail.as_bytes()))
    assert [r.values["qpv_code"] for r in tables.annexe1] == ["QN02901"]
    assert tables.annexe1[0].source.file == "Annexe 1.xlsx"
    assert tables.found_in == {0: {1}, 1: {1}}


def test_qpv_codes():
    assert normalise_qpv_code(" qn 093 01 ") == "QN09301"
    assert normalise_qpv_code("NC") is None
    # As OCR reads a scanned code: O for 0, I or l for 1, a cell's rule as "|".
    assert normalise_qpv_code("QNO31 |4Om") == "QN03140M"
    assert normalise_qpv_code("QNO2A I2") == "QN02A12"
    assert normalise_qpv_code("QN ABCDE") is None
    assert normalise_qpv_code("ON068 26M") == "QN06826M"
    assert normalise_qpv_code("NON 12345") is None
    assert [department_of_qpv(c) for c in ("QN09301", "QN02A01M", "QN97401", "QN00612", "XX")] == [
        "93", "2A", "974", "06", None]


def test_practice_types():
    assert [practice_type(t) for t in ("FPH", "Maison du projet (NPNRU)", "Budgets participatifs",
                                       "Conseil de quartier", "Autre : table de quartier", "NC")] == [
        "fph", "maison_du_projet", "budget_participatif", "autre", "autre", None]
