"""A generalisation probe: each family of issue 12 written in words and
layouts that neither the dev corpus nor the issue's text uses, as a hundred
different prefecture staff would write them. Every message is built here and
its expected values are what the message says (the truth schema of
`corpus/dev/README.md`); the whole message goes through `extract`, as ingestion
runs it. A variant the extraction still misreads is an `xfail(strict=True)`
with the reason, so that fixing it shows.

Passed before the fixes of branch gen12 (main at 3b71029) and after, per
family: Annexe 1 10/16 -> 16/16, Annexe 2 10/14 -> 14/14, recommendations
14/18 -> 17/18, signatures 20/24 -> 24/24, questions 13/17 -> 17/17, list
markers 40/54 -> 54/54."""

from __future__ import annotations

import io
from email.message import EmailMessage

import docx
import openpyxl
import pytest

from bilan.nlp.annex_tables import row_contract
from bilan.nlp.extraction import Extraction, extract
from bilan.parsers import parse_message
from bilan.parsers.ocr import ocr_available
from tests import documents
from tests.mail import DOCX, XLSX, message

PDF = ("application", "pdf")
CONTRIBUTION_BODY = ("Madame, Monsieur,\n\nVeuillez trouver ci-joint la contribution du département au bilan des "
                     "démarches participatives.\n\nCordialement,\n\nJeanne Martin\nPréfecture de la Sarthe\n")

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="Tesseract's French model is not installed")


def _extract(mail: EmailMessage) -> Extraction:
    return extract(parse_message(mail.as_bytes()))


def _with_attachment(data: bytes, mime: tuple[str, str], filename: str, body: str = CONTRIBUTION_BODY,
                     subject: str = "Bilan des démarches participatives - Sarthe") -> EmailMessage:
    mail = message(subject=subject, sender="Jeanne Martin <jeanne.martin@sarthe.gouv.fr>", body=body)
    mail.add_attachment(data, *mime, filename=filename)
    return mail


# -- builders -------------------------------------------------------------------------------


def sheet_bytes(rows: list[list[object]], title: str = "Feuil1", merges: tuple[str, ...] = ()) -> bytes:
    """A workbook of one sheet; `merges` are ranges merged as an office suite does (value in the first cell)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def word_table_bytes(rows: list[list[object]], before: list[str] = (), after: list[str] = (),
                     merges: tuple[tuple[int, int, int, int], ...] = ()) -> bytes:
    """A Word document: paragraphs, one table (optionally with merged cells), paragraphs."""
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                table.cell(i, j).text = str(value)
    for top, left, bottom, right in merges:
        table.cell(top, left).merge(table.cell(bottom, right))
    for text in after:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def word_paragraphs_bytes(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_table_bytes(before: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> bytes:
    """A text PDF (Latin-1 core font): a few lines, then a ruled table."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    for line in before:
        pdf.multi_cell(0, 6, line)
        pdf.ln(2)
    with pdf.table(col_widths=widths) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    return bytes(pdf.output())


def scanned_table_bytes(before: list[str], rows: list[list[str]], widths: list[int], rules: bool = True) -> bytes:
    """An image-only PDF of a table (ASCII text: Pillow's own font has no accents)."""
    from fpdf import FPDF

    image = documents.table_image(rows, widths, before=before, rules=rules)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=190)
    return bytes(pdf.output())


# -- annexes ---------------------------------------------------------------------------------

A2_ROWS = [  # type as written, commune, code, porteur, année, habitants
    ("Conseil de quartier élargi", "Le Mans", "QN07201", "Ville du Mans", 2015, 30),
    ("Budget participatif (BP)", "Le Mans", "QN07202", "Le Mans Métropole", 2019, 410),
    ("Fonds de participation des habitants", "Allonnes", "QN07203", "Centre social Le Chêne", 2014, 22),
    ("Autre - à préciser : Atelier urbain", "La Flèche", None, "Association Cité Plurielle", 2021, 18),
]
A2_TRUTH = [
    {"type": "autre", "commune": "Le Mans", "qpv_code": "QN07201", "porteur": "Ville du Mans",
     "annee_creation": 2015, "habitants_mobilises": 30},
    {"type": "budget_participatif", "commune": "Le Mans", "qpv_code": "QN07202", "porteur": "Le Mans Métropole",
     "annee_creation": 2019, "habitants_mobilises": 410},
    {"type": "fph", "commune": "Allonnes", "qpv_code": "QN07203", "porteur": "Centre social Le Chêne",
     "annee_creation": 2014, "habitants_mobilises": 22},
    {"type": "autre", "commune": "La Flèche", "qpv_code": None, "porteur": "Association Cité Plurielle",
     "annee_creation": 2021, "habitants_mobilises": 18},
]


def _a2(header: list[str], order: tuple[int, ...] = (0, 1, 2, 3, 4, 5), extra=None) -> list[list[object]]:
    """The Annexe 2 rows under `header`, columns in `order`; `extra(i)` gives extra cells per row."""
    rows = []
    for i, row in enumerate(A2_ROWS):
        cells = [row[k] for k in order]
        rows.append(cells + (extra(i) if extra else []))
    return [header, *rows]


def annexe2_variants() -> dict[str, EmailMessage]:
    v: dict[str, EmailMessage] = {}
    header = ["Territoire", "Quartier prioritaire", "Démarche", "Structure pilote", "Année de création",
              "Qté habitants"]
    v["territoire_quartier_prioritaire"] = _with_attachment(
        sheet_bytes(_a2(header, (1, 2, 0, 3, 4, 5))), XLSX, "annexe2.xlsx")
    header = ["Practice", "Town", "QPV ID", "Lead organisation", "Year started", "Residents involved"]
    v["english_headers"] = _with_attachment(sheet_bytes(_a2(header)), XLSX, "annex 2.xlsx")
    header = ["Typ. dém.", "Comm.", "Cd QPV", "Struct. port.", "Année créa.", "Nb hab. mob."]
    v["truncated_abbreviations"] = _with_attachment(sheet_bytes(_a2(header)), XLSX, "A2.xlsx")
    header = ["Type de\ndémarche", "Commune\n(nom)", "Code\nQPV", "Porteur\n(structure)", "Création\n(aaaa)",
              "Habitants\nmobilisés (nb)"]
    rows = _a2(header)
    rows = [rows[0], rows[1], rows[2], [None] * 6, rows[3], rows[4], ["TOTAL", None, None, None, None, 480]]
    v["line_breaks_units_spacer_total"] = _with_attachment(sheet_bytes(rows), XLSX, "annexe_2.xlsx")
    header = ["Démarche", "Fréquence", "Financement", "Porteur", "Commune", "N° QPV", "Depuis", "Nb participants"]
    freq = ["mensuelle", "annuelle", "trimestrielle", "ponctuelle"]
    money = ["1 200 €", "150 000 €", "8 000 €", "NC"]
    rows = [header] + [[r[0], freq[i], money[i], r[3], r[1], r[2], r[4], r[5]] for i, r in enumerate(A2_ROWS)]
    v["extra_columns_frequency_funding"] = _with_attachment(sheet_bytes(rows), XLSX, "pratiques.xlsx")
    top = ["Démarche participative", None, "Localisation", None, "Portage", "Chiffres clés", None]
    sub = ["Type", "Intitulé", "Commune", "QPV", "Structure", "Année", "Habitants"]
    names = ["Conseil élargi Sablons", "BP 2021", "FPH Allonnes", "Atelier gare"]
    rows = [top, sub] + [[r[0], names[i], r[1], r[2], r[3], r[4], r[5]] for i, r in enumerate(A2_ROWS)]
    v["two_header_rows_merged"] = _with_attachment(
        sheet_bytes(rows, merges=("A1:B1", "C1:D1", "F1:G1")), XLSX, "Annexe2_Sarthe.xlsx")
    header = ["Dispositif", "Commune", "Quartier prioritaire", "Porteur du projet", "Année de création",
              "Nombre de participants"]
    rows = [header] + [[r[0], r[1], f"{r[2]} - Les Sablons" if r[2] else "hors QPV", r[3], r[4], r[5]]
                       for r in A2_ROWS]
    v["word_qpv_code_with_name"] = _with_attachment(
        word_table_bytes(rows, before=["Annexe 2 - Autres démarches participatives"]), DOCX, "annexe 2.docx")
    header = ["Forme de participation", "Lieu", "Réf. quartier", "Acteur référent", "Lancement", "Personnes"]
    v["word_other_words"] = _with_attachment(
        word_table_bytes(_a2(header), before=["Recensement des pratiques participatives"]), DOCX, "recensement.docx")
    header = ["Type de demarche", "Commune", "QPV", "Structure porteuse", "Annee", "Nb habitants"]
    ascii_rows = [["Conseil de quartier elargi", "Le Mans", "QN07201", "Ville du Mans", "2015", "30"],
                  ["Budget participatif (BP)", "Le Mans", "QN07202", "Le Mans Metropole", "2019", "410"],
                  ["Fonds de participation des habitants", "Allonnes", "QN07203", "Centre social Le Chene", "2014",
                   "22"],
                  ["Autre - a preciser : Atelier urbain", "La Fleche", "-", "Association Cite Plurielle", "2021",
                   "18"]]
    v["text_pdf"] = _with_attachment(
        pdf_table_bytes(["Annexe 2 - pratiques participatives"], [header, *ascii_rows], (50, 25, 22, 50, 18, 25)),
        PDF, "annexe2.pdf")
    header = ["Démarche", "Commune", "QPV", "Porteur", "Date de lancement", "Habitants"]
    shapes = [("depuis 2015", "env. 30"), ("sept. 2019", "410 pers."), ("2014", "22 habitants"),
              ("2021 (expérimentation)", "~18")]
    rows = [header] + [[r[0], r[1], r[2] or "Hors QPV", r[3], shapes[i][0], shapes[i][1]]
                       for i, r in enumerate(A2_ROWS)]
    v["values_in_words"] = _with_attachment(sheet_bytes(rows), XLSX, "annexe2.xlsx")
    header = ["TYPE DE DÉMARCHE*", "COMMUNE", "CODE QPV", "STRUCTURE PORTEUSE", "ANNÉE DE CRÉATION",
              "QTÉ PARTICIPANTS (1)"]
    rows = [*_a2(header), [], ["* table de quartier, FPH, maison du projet, budget participatif, autre"],
            ["(1) habitants mobilisés en 2021"]]
    v["capitals_and_footnote_marks"] = _with_attachment(sheet_bytes(rows), XLSX, "ANNEXE 2.xlsx")
    header = ["Intitulé de l'action", "Pilote", "Commune", "QPV concerné", "Depuis", "Nb"]
    rows = [header] + [[r[0], r[3], r[1], r[2] or "", r[4], r[5]] for r in A2_ROWS]
    v["intitule_pilote_depuis_nb"] = _with_attachment(sheet_bytes(rows), XLSX, "actions.xlsx")
    header = ["Commune", "Code QPV", "Structure porteuse", "Année de création", "Habitants mobilisés"]
    rows = [header, ["Budgets participatifs"], ["Le Mans", "QN07202", "Le Mans Métropole", 2019, 410],
            ["Fonds de participation des habitants"], ["Allonnes", "QN07203", "Centre social Le Chêne", 2014, 22]]
    v["one_block_per_practice"] = _with_attachment(sheet_bytes(rows), XLSX, "annexe2.xlsx")
    header = ["Type de demarche", "Commune", "QPV", "Structure porteuse", "Annee", "Habitants"]
    v["scanned"] = _with_attachment(
        scanned_table_bytes(["Annexe 2 - autres demarches participatives"], [header, *ascii_rows],
                            [330, 170, 150, 330, 100, 130]), PDF, "annexe2_scan.pdf")
    return v


A1_TRUTH_ASCII_NAMES = {"Chaoué - Perrières": "Chaoue - Perrieres", "La Flèche": "La Fleche"}
A1_TRUTH = [
    {"commune": "Le Mans", "qpv_code": "QN07201", "qpv_nom": "Les Sablons", "conseil_constitue": True,
     "date_creation": "2015-06", "membres_habitants": 14, "membres_acteurs_locaux": 5, "actif": True,
     "structure_porteuse": "Centre social des Sablons", "participation_pilotage": True, "formation_suivie": False,
     "budget_annuel_eur": 2500},
    {"commune": "Allonnes", "qpv_code": "QN07203", "qpv_nom": "Chaoué - Perrières", "conseil_constitue": True,
     "date_creation": "2016-01", "membres_habitants": 8, "membres_acteurs_locaux": 3, "actif": False,
     "structure_porteuse": None, "participation_pilotage": False, "formation_suivie": True,
     "budget_annuel_eur": None},
    {"commune": "La Flèche", "qpv_code": "QN07204", "qpv_nom": "Saint-Germain-du-Val", "conseil_constitue": False,
     "date_creation": None, "membres_habitants": None, "membres_acteurs_locaux": None, "actif": None,
     "structure_porteuse": None, "participation_pilotage": None, "formation_suivie": None,
     "budget_annuel_eur": None},
]
#: Per row: commune, code, nom, constitué, date, habitants, acteurs, actif, structure, pilotage, formation, budget.
A1_CELLS = [
    ["Le Mans", "QN07201", "Les Sablons", "oui", "06/2015", 14, 5, "oui", "Centre social des Sablons", "oui",
     "non", "2 500 €"],
    ["Allonnes", "QN07203", "Chaoué - Perrières", "oui", "janv. 2016", 8, 3, "non", "NC", "non", "oui", "NC"],
    ["La Flèche", "QN07204", "Saint-Germain-du-Val", "non", None, None, None, None, None, None, None, None],
]


def _a1(header: list[str], order: tuple[int, ...] = tuple(range(12)), cells=A1_CELLS) -> list[list[object]]:
    return [header, *[[row[k] for k in order] for row in cells]]


def _shuffled_a1(header: list[str], order: tuple[int, ...]) -> EmailMessage:
    """A message whose Annexe 1 sheet has these headers, its columns in `order`."""
    return _with_attachment(sheet_bytes(_a1([header[k] for k in order], order)), XLSX, "annexe1.xlsx")


def _ticks(cells: list[list[object]]) -> list[list[object]]:
    """Yes/no answers as an X or nothing (the non-constituted council's stay empty)."""
    out = []
    for row in cells:
        row = list(row)
        for k in (3, 7, 9, 10):
            if row[k] is not None:
                row[k] = "X" if row[k] == "oui" else None
        out.append(row)
    return out


def annexe1_variants() -> dict[str, EmailMessage]:
    v: dict[str, EmailMessage] = {}
    header = ["Territoire", "Code du quartier", "Quartier prioritaire", "CC constitué ?", "Créé le",
              "Nb habitants", "Nb acteurs", "En activité", "Structure pilote", "Pilotage CV", "Formation", "Budget"]
    v["territoire_nb_structure_pilote"] = _with_attachment(sheet_bytes(_a1(header)), XLSX, "annexe1.xlsx")
    header = ["Comm.", "QPV", "Nom QPV", "CC (O/N)", "Date créa.", "Coll. hab.", "Coll. AL", "Actif 2021",
              "Struct.", "Particip. pilotage", "Form.", "Budget €"]
    v["abbreviations"] = _with_attachment(sheet_bytes(_a1(header)), XLSX, "A1.xlsx")
    header = ["Town", "QPV code", "Neighbourhood", "Citizens council set up", "Creation date", "Residents",
              "Local actors", "Active", "Support body", "Steering", "Training", "Annual budget (EUR)"]
    v["english_headers"] = _with_attachment(sheet_bytes(_a1(header)), XLSX, "annex1.xlsx")
    header = ["Commune", "Code\nQPV", "Nom\ndu quartier", "Conseil\nconstitué", "Date de\ncréation",
              "Habitants\n(nb)", "Acteurs\nlocaux (nb)", "Actif", "Structure\nporteuse", "Pilotage",
              "Formation", "Budget\nannuel\n(en €)"]
    v["line_breaks_units_ticks"] = _with_attachment(sheet_bytes(_a1(header, cells=_ticks(A1_CELLS))), XLSX,
                                                    "annexe 1.xlsx")
    top = ["Commune", "Quartier", None, "Conseil citoyen", None, "Composition", None, "Fonctionnement", None,
           None, None, "Moyens"]
    sub = [None, "code", "nom", "constitué", "depuis", "habitants", "acteurs locaux", "actif", "structure",
           "pilotage", "formation", "budget (€)"]
    rows = _a1(top)
    v["two_header_rows_merged"] = _with_attachment(
        sheet_bytes([top, sub, *rows[1:]], merges=("B1:C1", "D1:E1", "F1:G1", "H1:K1")), XLSX, "annexe1_72.xlsx")
    header = ["Commune", "Code QPV", "Quartier", "Constitué", "Date de création", "Habitants", "Acteurs locaux",
              "Actif", "Structure porteuse", "Pilotage", "Formation", "Financement", "Fréquence des réunions",
              "Référent État"]
    rows = [header] + [[*row, freq, ref] for row, freq, ref in
                       zip(A1_CELLS, ["mensuelle", "trimestrielle", None], ["M. Petit", "Mme Roy", None])]
    rows.append(["TOTAL", None, None, None, None, 22, 8, None, None, None, None, "2 500 €", None, None])
    v["extra_columns_and_total"] = _with_attachment(sheet_bytes(rows), XLSX, "conseils citoyens.xlsx")
    order = (2, 0, 1, 5, 6, 3, 4, 7, 11, 8, 9, 10)
    header = ["Nom du quartier", "Ville", "Identifiant", "Habitants", "Acteurs", "Existe", "Mise en place",
              "Fonctionne", "Moyens alloués", "Accompagné par", "Associé au pilotage", "Membres formés"]
    v["word_shuffled"] = _with_attachment(
        word_table_bytes(_a1(header, order), before=["Annexe 1 : les conseils citoyens de la Sarthe"]), DOCX,
        "annexe1.docx")
    header = ["Commune", "Code QPV", "Nom du QPV", "Conseil citoyen", "Création", "Collège habitants",
              "Collège acteurs", "Actif", "Porteur", "Pilotage", "Formation", "Budget"]
    rows = _a1(header)
    rows = [["Recensement des conseils citoyens - Sarthe"], [], rows[0], rows[1], [], rows[2], rows[3], [],
            ["* données transmises par les délégués du préfet, à jour au 30/11/2021"]]
    v["title_spacers_footnote"] = _with_attachment(sheet_bytes(rows), XLSX, "Annexe 1.xlsx")
    header = ["Commune", "QPV", "Quartier", "CC", "Creation", "Hab.", "Act.", "Actif", "Portage", "Pilotage",
              "Formation", "Budget"]
    ascii_cells = [[str(c) if c is not None else "" for c in row] for row in A1_CELLS]
    ascii_cells[1][2], ascii_cells[1][4] = "Chaoue - Perrieres", "01/2016"
    ascii_cells[2][0] = "La Fleche"
    ascii_cells[0][11] = "2 500"
    caps = ["COMMUNE", "CODE QPV", "NOM DU QPV", "CONSEIL CITOYEN CONSTITUÉ", "DATE DE CRÉATION",
              "NB HABITANTS", "NB ACTEURS LOCAUX", "ACTIF EN 2021", "STRUCTURE PORTEUSE", "PILOTAGE CONTRAT DE VILLE",
              "FORMATION", "BUDGET (€)"]
    rows = _a1(caps)
    rows = [rows[0], ["Arrondissement du Mans"], rows[1], rows[2], ["Arrondissement de La Flèche"], rows[3]]
    v["capitals_with_arrondissement_rows"] = _with_attachment(sheet_bytes(rows), XLSX, "annexe1.xlsx")
    top = ["Commune", "Code QPV", "Nom du QPV", "Conseil citoyen constitué", None, "Date de création",
           "Membres habitants", "Membres acteurs locaux", "Actif en 2021", None, "Structure porteuse",
           "Participation au pilotage", None, "Formation suivie", None, "Budget annuel (€)"]
    sub = [None, None, None, "Oui", "Non", None, None, None, "Oui", "Non", None, "Oui", "Non", "Oui", "Non", None]

    def yes_no(value):
        return [None, None] if value is None else (["X", None] if value == "oui" else [None, "X"])

    rows = [top, sub] + [[*c[:3], *yes_no(c[3]), c[4], c[5], c[6], *yes_no(c[7]), c[8], *yes_no(c[9]),
                          *yes_no(c[10]), c[11]] for c in A1_CELLS]
    v["oui_non_columns"] = _with_attachment(
        sheet_bytes(rows, merges=("D1:E1", "I1:J1", "L1:M1", "N1:O1")), XLSX, "annexe1.xlsx")
    header = ["Localité", "Identifiant", "Quartier prioritaire", "Conseil créé ?", "Mise en place",
              "Nombre d'habitants membres", "Acteurs locaux", "Actif en 2021", "Porteur", "Présent aux COPIL",
              "Formé en 2021", "Financement annuel (€)"]
    order = (3, 0, 1, 2, 11, 4, 5, 6, 7, 8, 9, 10)
    v["years_in_headers"] = _shuffled_a1(header, order)
    header = ["Ville", "Code QPV", "Nom du quartier", "CC en place", "Date de constitution",
              "Nombre d'habitants membres", "Membres associatifs", "Se réunit régulièrement", "Structure d'appui",
              "Présent aux COPIL", "Formé en 2021", "Subvention de fonctionnement"]
    order = (7, 0, 1, 9, 2, 3, 4, 5, 6, 8, 10, 11)
    v["existence_by_what_it_gates"] = _shuffled_a1(header, order)
    header = ["Commune d'implantation", "Code quartier", "Dénomination", "CC constitué", "Date de constitution",
              "Nombre d'habitants membres", "Représentants d'associations", "Toujours actif ?", "Portage",
              "Instances du contrat de ville", "Membres formés", "Budget annuel"]
    order = (8, 0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11)
    v["two_text_columns_in_rare_words"] = _shuffled_a1(header, order)
    answered = [list(row) for row in A1_CELLS]
    answered[2][7], answered[2][9], answered[2][10] = "non", "non", "non"  # "no" everywhere: still no council
    v["no_council_answers_no_everywhere"] = _with_attachment(
        sheet_bytes(_a1(["Commune", "QPV", "Quartier", "CC en place", "Date", "Habitants", "Acteurs",
                         "Se réunit", "Portage", "COPIL", "Formés", "Budget"], cells=answered)), XLSX, "a1.xlsx")
    shaped = [list(row) for row in A1_CELLS]
    shaped[0][5], shaped[0][6], shaped[0][11] = "14 (dont 3 jeunes)", "5 structures", "2500 euros"
    shaped[0][4], shaped[1][4] = "juin 2015", "Janvier 2016"
    shaped[0][3], shaped[0][7] = "Oui, depuis 2015", "Oui (réunions mensuelles)"
    v["value_shapes"] = _with_attachment(sheet_bytes(_a1(["Commune", "Code QPV", "Nom du quartier",
                                                          "Conseil constitué", "Date de création", "Habitants",
                                                          "Acteurs locaux", "Actif", "Structure porteuse",
                                                          "Pilotage", "Formation", "Budget"], cells=shaped)),
                                         XLSX, "annexe1.xlsx")
    v["text_pdf"] = _with_attachment(
        pdf_table_bytes(["Annexe 1 - conseils citoyens"], [header, *ascii_cells],
                        (22, 17, 26, 9, 16, 10, 10, 10, 28, 15, 15, 14)), PDF, "annexe1.pdf")
    return v


ANNEX1_CASES = annexe1_variants()
ANNEX2_CASES = annexe2_variants()
ANNEX_XFAIL: dict[tuple[int, str], str] = {}


def _annex_param(number: int, name: str):
    marks = [pytest.mark.xfail(strict=True, reason=ANNEX_XFAIL[(number, name)])] if (number, name) in ANNEX_XFAIL \
        else []
    return pytest.param(number, name, id=f"annexe{number}-{name}", marks=marks)


@pytest.mark.parametrize(("number", "name"), [_annex_param(1, n) for n in ANNEX1_CASES] +
                         [_annex_param(2, n) for n in ANNEX2_CASES])
def test_annex_in_fresh_words(number, name):
    mail = (ANNEX1_CASES if number == 1 else ANNEX2_CASES)[name]
    extraction = _extract(mail)
    assert extraction.kind == "contribution"
    rows = extraction.annexe1_rows if number == 1 else extraction.annexe2_rows
    expected = A1_TRUTH if number == 1 else A2_TRUTH
    if name == "one_block_per_practice":  # the practice is the sub-title above its rows
        expected = A2_TRUTH[1:3]
    if name == "value_shapes":
        expected = [dict(row) for row in A1_TRUTH]
    if name in ("text_pdf", "scanned"):  # the PDF's core font is Latin-1, Pillow's ASCII: no accents
        expected = [{k: _ascii(v) for k, v in row.items()} for row in expected]
    assert [row_contract(r) for r in rows] == expected


def _ascii(value):
    if not isinstance(value, str):
        return value
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", value) if not unicodedata.combining(c))


# -- recommendations in tables ------------------------------------------------------------------

RECO = [  # (theme, text) as an author writes them
    ("formation", "Proposer aux conseillers citoyens un cycle de formation sur le montage de projets."),
    ("moyens", "Attribuer à chaque conseil citoyen un local et une enveloppe de fonctionnement pérenne."),
    ("communication", "Diffuser un bulletin trimestriel présentant les actions des conseils citoyens."),
]
RECO_ASCII = [
    ("formation", "Proposer aux conseillers citoyens un cycle de formation sur le montage de projets."),
    ("moyens", "Attribuer a chaque conseil citoyen un local et une enveloppe de fonctionnement perenne."),
    ("communication", "Diffuser un bulletin trimestriel presentant les actions des conseils citoyens."),
]
CR_BODY = ("Bonjour,\n\nVous trouverez ci-joint le compte rendu de la rencontre territoriale de la participation "
           "du 23 novembre.\n\nBien à vous,\n\nJeanne Martin\nPréfecture de la Sarthe\n")
THEME_WORDS = {"formation": "Formation", "moyens": "Moyens", "communication": "Communication"}


def reco_variants() -> dict[str, tuple[EmailMessage, bool]]:
    """Each: the message, and whether its table names the theme (then it is checked)."""
    v: dict[str, tuple[EmailMessage, bool]] = {}
    intro = ["Compte rendu de la rencontre territoriale", "Préconisations retenues par les participants"]
    rows = [["Préconisation n°", "Intitulé", "Porteur", "Échéance"]] + [
        [str(i + 1), text, "Ville / État", "2022"] for i, (_, text) in enumerate(RECO)]
    v["docx_preconisation_no"] = (_with_attachment(word_table_bytes(rows, before=intro), DOCX, "CR.docx", CR_BODY),
                                  False)
    rows = [["Piste d'action", "Porteur", "Échéance", "Priorité"]] + [
        [text, "DDETS", "1er semestre 2022", "haute"] for _, text in RECO]
    v["docx_piste_action"] = (_with_attachment(word_table_bytes(rows, before=["Suites à donner"]), DOCX,
                                               "compte rendu.docx", CR_BODY), False)
    rows = [["Levier", "Mesure proposée", "Porteur"]] + [[THEME_WORDS[t], text, "Ville"] for t, text in RECO]
    v["docx_levier_mesure"] = (_with_attachment(word_table_bytes(rows, before=intro), DOCX, "synthese.docx",
                                                CR_BODY), True)
    rows = [["Mesure proposee", "Priorite", "Echeance"]] + [[text, "1", "2022"] for _, text in RECO_ASCII]
    v["pdf_mesure_proposee"] = (_with_attachment(
        pdf_table_bytes(["Compte rendu de la rencontre territoriale", "Propositions"], rows, (110, 30, 40)), PDF,
        "CR rencontre.pdf", CR_BODY), False)
    rows = [["Enjeu", "Preconisation", "Porteur"]] + [[THEME_WORDS[t], text, "Etat"] for t, text in RECO_ASCII]
    v["pdf_enjeu_preconisation"] = (_with_attachment(
        pdf_table_bytes(["Compte rendu", "Preconisations operationnelles"], rows, (35, 115, 30)), PDF, "cr.pdf",
        CR_BODY), True)
    rows = [["Proposition", "Acteurs concernes", "Calendrier"]] + [
        [text, "Ville, bailleurs", "2022"] for _, text in RECO_ASCII]
    v["pdf_proposition_calendrier"] = (_with_attachment(
        pdf_table_bytes(["Bilan de la rencontre", "Ce que proposent les participants"], rows, (110, 45, 25)), PDF,
        "bilan.pdf", CR_BODY), False)
    rows = [["Priorite", "Action a mener", "Echeance"]] + [["haute", text, "2022"] for _, text in RECO_ASCII]
    v["docx_action_a_mener"] = (_with_attachment(word_table_bytes(rows, before=["Plan d'actions"]), DOCX,
                                                 "plan.docx", CR_BODY), False)
    rows = [["N", "Piste d'action", "Porteur"]] + [[str(i + 1), text, "Ville"] for i, (_, text) in
                                                    enumerate(RECO_ASCII)]
    v["ocr_piste_action"] = (_with_attachment(
        scanned_table_bytes(["Compte rendu de la rencontre territoriale", "", "Pistes d'action"], rows,
                            [70, 900, 300]), PDF, "scan.pdf", CR_BODY), False)
    rows = [["Constat", "Préconisation"],
            ["Les conseillers citoyens manquent de repères sur le montage de projets.", RECO[0][1]],
            ["Les conseils citoyens ne disposent d'aucun local.", RECO[1][1]],
            ["Les habitants connaissent mal les actions menées.", RECO[2][1]]]
    v["docx_constat_preconisation"] = (_with_attachment(word_table_bytes(rows, before=intro), DOCX, "CR.docx",
                                                        CR_BODY), False)
    rows = [["Axe stratégique", "Recommandation"]] + [[f"Axe {i + 1} - {THEME_WORDS[t]}", text]
                                                       for i, (t, text) in enumerate(RECO)]
    v["xlsx_axe_strategique"] = (_with_attachment(sheet_bytes(rows, title="Recommandations"), XLSX,
                                                  "recommandations.xlsx", CR_BODY), True)
    labels = {"formation": "Former les conseillers", "moyens": "Moyens de fonctionnement",
              "communication": "Communication / visibilité"}
    rows = [["Thématique", "Libellé", "Calendrier"]] + [[labels[t], text, "2022"] for t, text in RECO]
    v["docx_thematique_libelle"] = (_with_attachment(word_table_bytes(rows, before=["Préconisations"]), DOCX,
                                                     "preconisations.docx", CR_BODY), True)
    rows = [[text, "Ville", "2022"] for _, text in RECO]
    v["docx_no_header_under_heading"] = (_with_attachment(
        word_table_bytes(rows, before=["Compte rendu", "Nos préconisations"]), DOCX, "cr.docx", CR_BODY), False)
    rows = [["Mesure", "Porteur"]] + [[text, "Ville"] for _, text in RECO_ASCII]
    v["ocr_without_rules"] = (_with_attachment(
        scanned_table_bytes(["Compte rendu de la rencontre", "", "Mesures proposees"], rows, [1500, 260],
                            rules=False), PDF, "scan2.pdf", CR_BODY), False)
    for key, heading in HEADINGS.items():
        v[f"heading_{key}"] = (_with_attachment(
            word_heading_list_bytes(heading, [text for _, text in RECO]), DOCX, "contribution.docx", CR_BODY),
            False)
    return v


#: Headings over a list of recommendations, in other words than the instruction's.
HEADINGS = {"leviers": "Leviers d'action identifiés", "pistes_de_progres": "Pistes de progrès",
            "axes_de_travail": "Axes de travail pour 2022", "suites": "Suites à donner",
            "ce_que_proposent": "Ce que proposent les habitants"}


def word_heading_list_bytes(heading: str, items: list[str]) -> bytes:
    """A Word report: a heading on the meeting, a paragraph, then `heading` over a bulleted list."""
    document = docx.Document()
    document.add_heading("Compte rendu de la rencontre territoriale", level=1)
    document.add_paragraph("La rencontre a réuni quarante-deux participants le 23 novembre 2021 au Mans.")
    document.add_heading(heading, level=2)
    for item in items:
        document.add_paragraph(item, style="List Bullet")
    document.add_heading("Annexes", level=2)
    document.add_paragraph("Liste des participants (non jointe).")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


RECO_CASES = reco_variants()
RECO_XFAIL: dict[str, str] = {
    "heading_suites": "'Suites à donner' closes a section by design (structure.OTHER_TITLES, with 'Suites'); "
                      "whether the actions listed under it are recommendations is for the truth conventions to say",
}


def _reco_param(name: str):
    marks = [pytest.mark.xfail(strict=True, reason=RECO_XFAIL[name])] if name in RECO_XFAIL else []
    if name.startswith("ocr"):
        marks.append(needs_ocr)
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_reco_param(n) for n in RECO_CASES])
def test_recommendation_table_in_fresh_words(name):
    mail, themed = RECO_CASES[name]
    extraction = _extract(mail)
    assert extraction.kind == "contribution"
    expected = RECO_ASCII if "pdf" in name or "ocr" in name or name == "docx_action_a_mener" else RECO
    assert [r.text for r in extraction.recommendations] == [text for _, text in expected]
    if themed:
        assert [r.theme for r in extraction.recommendations] == [theme for theme, _ in expected]


# -- signatures ------------------------------------------------------------------------------------

OPENING = "Bonjour,\n\nVeuillez trouver ci-joint la contribution écrite du département.\n\nCordialement,\n\n"
QUOTED = ("\n\n-----Message d'origine-----\nDe : Participation habitants <participation-habitants@anct.gouv.fr>\n"
          "Envoyé : lundi 15 novembre 2021 10:02\nObjet : Bilan des démarches participatives\n\n"
          "Madame la Préfète, la préfecture transmettra son bilan avant le 10 décembre.\n")
SIGNATURES: dict[str, tuple[str, str, str]] = {  # name: (From, body, role)
    "pipes_ddets_adjointe": (
        "Claire Dubois <claire.dubois@sarthe.gouv.fr>",
        OPENING + "Claire Dubois | Adjointe au chef du service cohésion sociale | DDETS de la Sarthe | 02 43 00 00 00",
        "ddets"),
    "en_dashes_delegate_qpv": (
        "Nadia Benali <nadia.benali@nord.gouv.fr>",
        OPENING + "Nadia Benali – Déléguée du Préfet - QPV Nord – Préfecture du Nord", "delegue_prefet"),
    "bullets_sgar": (
        "Marc Petit <marc.petit@occitanie.gouv.fr>",
        OPENING + "Marc Petit • Chargé de mission • Secrétariat général pour les affaires régionales • Toulouse",
        "sgar"),
    "middle_dots_sous_prefete": (
        "Sophie Laurent <sophie.laurent@oise.gouv.fr>",
        OPENING + "Sophie Laurent · Sous-préfète de Compiègne · 03 44 00 00 00", "sous_prefecture"),
    "tabs_ddets_pp": (
        "Julien Moreau <julien.moreau@haute-saone.gouv.fr>",
        OPENING + "Julien Moreau\tChargé de mission ville\tDDETS-PP de la Haute-Saône\t03 84 00 00 00", "ddets"),
    "after_outlook_android": (
        "Laure Martin <laure.martin@gard.gouv.fr>",
        OPENING + "Envoyé depuis Outlook pour Android\n\nLaure Martin\nRéférente politique de la ville\n"
                  "Direction départementale de l'emploi, du travail et des solidarités du Gard", "ddets"),
    "after_sent_from_ipad": (
        "Thomas Blanc <thomas.blanc@isere.gouv.fr>",
        OPENING + "Sent from my iPad\n\nThomas Blanc\nDélégué du préfet - quartiers de Grenoble Sud", "delegue_prefet"),
    "display_name_only": (
        "DDETS-PP 70 - Cohésion sociale <julien.moreau@haute-saone.gouv.fr>",
        "Bonjour,\n\nCi-joint notre contribution.\n\nCordialement", "ddets"),
    "quoted_reply_below": (
        "Léa Roux <lea.roux@herault.gouv.fr>",
        OPENING + "Léa Roux\nSous-préfecture de Lodève\n04 67 00 00 00" + QUOTED, "sous_prefecture"),
    "secretariat_general_regional": (
        "Hugo Lefèvre <hugo.lefevre@bretagne.gouv.fr>",
        OPENING + "Hugo Lefèvre\nAdjoint au chef du pôle cohésion sociale\n"
                  "Secrétariat général pour les affaires régionales de Bretagne", "sgar"),
    "delegate_of_the_prefete": (
        "Inès Garnier <ines.garnier@loiret.gouv.fr>",
        OPENING + "Inès Garnier\nDéléguée de la Préfète pour les quartiers d'Orléans", "delegue_prefet"),
    "capitals_delegate": (
        "GARNIER Ines <ines.garnier@loiret.gouv.fr>",
        OPENING + "INÈS GARNIER\nDÉLÉGUÉE DU PRÉFET\nQUARTIERS NORD D'ORLÉANS", "delegue_prefet"),
    "sous_prefete_ville": (
        "Sophie Laurent <sophie.laurent@seine-saint-denis.gouv.fr>",
        OPENING + "Sophie Laurent\nSous-préfète chargée de la politique de la ville", "sous_prefecture"),
    "ddets_pp_long_form": (
        "Marc Royer <marc.royer@lozere.gouv.fr>",
        OPENING + "Marc Royer\nDirection départementale de l'emploi, du travail, des solidarités et de la "
                  "protection des populations de la Lozère", "ddets"),
    "sgar_aux_affaires_regionales": (
        "Hélène Vidal <helene.vidal@paca.gouv.fr>",
        OPENING + "Hélène Vidal / Chargée de mission ville / Secrétariat général aux affaires régionales", "sgar"),
    "display_name_sous_prefecture": (
        "Sous-préfecture de Dunkerque <sp-politique-ville@nord.gouv.fr>",
        "Bonjour,\n\nCi-joint la contribution.\n\nBonne journée", "sous_prefecture"),
    "inclusive_writing_delegate": (
        "Camille Roy <camille.roy@vienne.gouv.fr>",
        OPENING + "Camille Roy\nDélégué·e du préfet – quartiers de Poitiers", "delegue_prefet"),
    "parenthesised_feminine_delegate": (
        "Camille Roy <camille.roy@vienne.gouv.fr>",
        OPENING + "Camille Roy, Délégué(e) du Préfet, Châtellerault", "delegue_prefet"),
    "pour_le_prefet_sous_prefete": (
        "Cabinet <cabinet@pas-de-calais.gouv.fr>",
        OPENING + "Pour le préfet et par délégation,\nla sous-préfète de Lens\nMarie Carpentier", "sous_prefecture"),
    "ddets_acronym_in_parentheses_pole": (
        "Bruno Millet <bruno.millet@ain.gouv.fr>",
        OPENING + "Bruno Millet\nPôle cohésion sociale\nDirection départementale de l'emploi, du travail et des "
                  "solidarités (DDETS) de l'Ain", "ddets"),
    "service_first_then_name": (
        "Claire Dubois <claire.dubois@sarthe.gouv.fr>",
        OPENING + "DDETS de la Sarthe\nService politique de la ville et cohésion sociale\nClaire Dubois", "ddets"),
    "dotted_acronym": (
        "Paul Henry <paul.henry@aude.gouv.fr>",
        OPENING + "Paul Henry\nChargé de mission ville\nD.D.E.T.S.P.P. de l'Aude", "ddets"),
    "bottom_posted_reply": (
        "Léa Roux <lea.roux@herault.gouv.fr>",
        "Le 15/11/2021 à 10:02, Participation habitants a écrit :\n> Merci de nous adresser votre bilan.\n\n"
        "Bonjour,\nci-joint notre contribution.\nCordialement,\nLéa Roux\nSous-préfecture de Béziers",
        "sous_prefecture"),
}
#: Outlook lays a signature out as a table, beside a logo.
HTML_SIGNATURES = {"html_table_signature": (
    "<html><body><p>Bonjour,</p><p>Veuillez trouver ci-joint la contribution écrite du département.</p>"
    "<p>Cordialement,</p><table><tr><td><b>Nora Saïdi</b><br>Chargée de mission</td>"
    "<td>Déléguée du préfet pour les quartiers d'Évreux<br>Préfecture de l'Eure</td></tr></table></body></html>")}
SIGNATURES["html_table_signature"] = (
    "Nora Saidi <nora.saidi@eure.gouv.fr>",
    "(HTML only: see HTML_SIGNATURES)",
    "delegue_prefet")
SIGNATURE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=SIGNATURE_XFAIL[n])] if n in SIGNATURE_XFAIL
                 else []) for n in SIGNATURES])
def test_signature_in_fresh_layout(name):
    sender, body, role = SIGNATURES[name]
    mail = message(sender=sender, body=body, subject="Bilan des démarches participatives")
    if name in HTML_SIGNATURES:  # an HTML-only message
        mail.set_content(HTML_SIGNATURES[name], subtype="html")
    mail.add_attachment(word_paragraphs_bytes(["Contribution écrite", "Les conseils citoyens se réunissent."]),
                        *DOCX, filename="contribution.docx")
    assert _extract(mail).sender_role == role


# -- questions -------------------------------------------------------------------------------------

ANCT_QUOTE = ("\n\nLe 02/11/2021 à 09:14, Participation habitants a écrit :\n> Madame, Monsieur,\n> Nous vous "
              "remercions de nous adresser votre contribution et ses trois annexes avant le 10 décembre.\n")
QUESTIONS: dict[str, tuple[str, str, bool, str]] = {  # name: (subject, body, attachment, kind)
    "je_souhaiterais_savoir": (
        "Bilan démarches participatives",
        "Bonjour,\n\nJe souhaiterais savoir si la contribution peut être transmise après le 10 décembre, la "
        "rencontre territoriale ayant lieu le 14.\n\nCordialement,\nPaul Girard\nPréfecture du Cher", False,
        "question"),
    "merci_de_m_indiquer": (
        "Annexe 2",
        "Bonjour,\n\nMerci de m'indiquer le format attendu pour l'annexe 2 (tableur ou texte libre).\n\n"
        "Bien cordialement,\nAline Masson\nDDETS de l'Yonne", False, "question"),
    "pourriez_vous_confirmer": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\nPourriez-vous me confirmer qu'un envoi unique par la DDETS suffit pour les deux "
        "sous-préfectures.\n\nMerci par avance,\nKarim Haddad" + ANCT_QUOTE, False, "question"),
    "re_thread_short": (
        "RE: Bilan des démarches participatives 2021",
        "Bonjour,\nune seule annexe 1 pour tout le département ou une par quartier ?\nMerci\nS. Noël" + ANCT_QUOTE,
        False, "question"),
    "nous_nous_interrogeons": (
        "Re: Démarches participatives",
        "Bonjour,\n\nNous nous interrogeons sur la possibilité d'envoyer la contribution sous la forme d'une "
        "vidéo réalisée par les habitants.\n\nCordialement,\nMarion Caron\nPréfecture de la Somme", False,
        "question"),
    "attachment_with_receipt_question": (
        "Contribution bilan démarches participatives - Sarthe",
        "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre contribution ainsi que les annexes 1 et 2. "
        "Pouvez-vous nous confirmer la bonne réception de ces documents ?\n\nCordialement,\nJeanne Martin", True,
        "contribution"),
    "attachment_and_question_in_re_thread": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\nComme convenu, je vous transmets le bilan des démarches participatives de la Sarthe. "
        "Faut-il également envoyer les questionnaires remplis par les conseillers ?\n\nCordialement,\n"
        "Jeanne Martin" + ANCT_QUOTE, True, "contribution"),
    "question_about_the_deadline_no_mark": (
        "Délai",
        "Bonjour,\n\nJe me permets de vous demander un délai supplémentaire d'une semaine pour l'envoi de "
        "notre bilan.\n\nCordialement,\nLucie Brun\nSous-préfecture de Dole", False, "question"),
    "auriez_vous_un_modele": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\nAuriez-vous un modèle de compte rendu pour la rencontre territoriale, nous n'en trouvons "
        "pas dans la note.\n\nBien cordialement,\nYann Le Gall\nPréfecture du Finistère" + ANCT_QUOTE, False,
        "question"),
    "est_ce_que_no_mark": (
        "annexe 3",
        "Bonjour\nest-ce que l'annexe 3 doit obligatoirement être renseignée par chaque conseiller citoyen\n"
        "merci\nF. Lemoine\nDDETS 24", False, "question"),
    "pouvez_vous_me_dire_si": (
        "TR: Bilan démarches participatives",
        "Bonjour,\n\nJe reviens vers vous au sujet du bilan : pouvez-vous me dire si les délégués du préfet "
        "doivent envoyer leur propre contribution.\n\nCordialement,\nNina Perrin", False, "question"),
    "contribution_in_body_closing_offer": (
        "Contribution écrite - Sarthe",
        "Madame, Monsieur,\n\nLe département a choisi la contribution écrite. Les conseils citoyens du Mans et "
        "d'Allonnes se sont réunis deux fois cette année.\n\nPréconisations :\n- former les conseillers "
        "citoyens à la conduite de réunion ;\n- associer les conseils citoyens au comité de pilotage.\n\n"
        "Pour toute question, n'hésitez pas à revenir vers moi.\n\nCordialement,\nJeanne Martin", False,
        "contribution"),
    "y_a_t_il_un_modele_no_mark": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\ny a-t-il un modèle de compte rendu à respecter pour la modalité 1\n\nCordialement,\n"
        "Rémi Faure\nPréfecture de l'Ain" + ANCT_QUOTE, False, "question"),
    "quid_no_mark": (
        "Annexe 3",
        "Bonjour,\n\nQuid de l'annexe 3 pour les quartiers où le conseil citoyen n'est pas constitué.\n\n"
        "Cordialement,\nAnne Vasseur\nPréfecture de l'Oise", False, "question"),
    "besoin_de_savoir": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\nJ'aurais besoin de savoir si la contribution doit être signée par le préfet.\n\n"
        "Cordialement,\nAnne Vasseur\nPréfecture de l'Oise" + ANCT_QUOTE, False, "question"),
    "question_with_signature_logo": (
        "Re: Bilan des démarches participatives",
        "Bonjour,\n\nLa rencontre territoriale peut-elle se tenir en janvier si nous envoyons une note d'étape "
        "avant le 10 décembre ?\n\nCordialement,\nOdile Marchand\nPréfecture de la Manche" + ANCT_QUOTE, False,
        "question"),
    "question_with_blank_template_back": (
        "Annexe 2 - tableau",
        "Bonjour,\n\nLe tableau de l'annexe 2 ci-joint ne comporte pas de colonne pour les conseils de "
        "quartier : faut-il les ajouter dans « autre » ?\n\nMerci,\nPierre Caron\nDDETS de l'Orne", False,
        "question"),
}
QUESTION_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("name", [
    pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=QUESTION_XFAIL[n])] if n in QUESTION_XFAIL
                 else []) for n in QUESTIONS])
def test_question_in_fresh_words(name):
    subject, body, attached, kind = QUESTIONS[name]
    mail = message(sender="Agent <agent.public@sarthe.gouv.fr>", subject=subject, body=body)
    if attached:
        mail.add_attachment(word_paragraphs_bytes([
            "Contribution écrite", "Préconisations", "Former les conseillers citoyens à la prise de parole."]),
            *DOCX, filename="contribution.docx")
        mail.add_attachment(sheet_bytes(_a1(["Commune", "Code QPV", "Nom du quartier prioritaire (QPV)",
                                             "Conseil citoyen constitué (oui/non)", "Date de création",
                                             "Habitants", "Acteurs locaux", "Actif", "Structure porteuse",
                                             "Pilotage", "Formation", "Budget"])), *XLSX, filename="annexe1.xlsx")
    if name == "question_with_signature_logo":
        mail.add_attachment(documents.logo_png(), "image", "png", filename="image001.png")
    if name == "question_with_blank_template_back":
        mail.add_attachment(sheet_bytes([["Annexe 2 - Autres démarches participatives"], [],
                                         ["Type de démarche", "Commune", "Code QPV (le cas échéant)",
                                          "Structure porteuse", "Année de création",
                                          "Nombre d'habitants mobilisés en 2021", "Observations"]]),
                            *XLSX, filename="annexe2_vierge.xlsx")
    assert _extract(mail).kind == kind


# -- list markers ----------------------------------------------------------------------------------

ITEMS = [
    "Former les conseillers citoyens à la conduite de réunion.",
    "Associer les conseils citoyens au comité de pilotage du contrat de ville.",
    "Créer un fonds d'initiatives dédié aux projets des habitants.",
]
MARKERS: dict[str, list[str]] = {
    "arrowhead": ["➢ ", "➢ ", "➢ "],
    "small_square": ["▪ ", "▪ ", "▪ "],
    "white_bullet": ["◦ ", "◦ ", "◦ "],
    "check_mark": ["✓ ", "✓ ", "✓ "],
    "diamond_cross": ["❖ ", "❖ ", "❖ "],
    "pointer": ["► ", "► ", "► "],
    "ordinal_degree": ["1° ", "2° ", "3° "],
    "parenthesised_letter": ["(a) ", "(b) ", "(c) "],
    "roman": ["i. ", "ii. ", "iii. "],
    "bullet_tab": ["•\t", "•\t", "•\t"],
    "number_paren": ["1) ", "2) ", "3) "],
    "number_dash": ["1- ", "2- ", "3- "],
    "letter_paren": ["a) ", "b) ", "c) "],
    "bullets_lost_to_spaces": ["    ", "    ", "    "],
    "word_sub_bullet_o": ["o ", "o ", "o "],
    "wingdings_private_use": ["\uf0a7 ", "\uf0a7 ", "\uf0a7 "],
    "dash_tab": ["-\t", "-\t", "-\t"],
    "capital_letter_dot": ["A. ", "B. ", "C. "],
    "ascii_arrow": ["=> ", "=> ", "=> "],
    "ascii_thin_arrow": ["-> ", "-> ", "-> "],
    "number_slash": ["1/ ", "2/ ", "3/ "],
    "dash_no_space": ["-", "-", "-"],
    "bullet_no_space": ["•", "•", "•"],
    "white_circle": ["○ ", "○ ", "○ "],
    "ballot_box": ["☐ ", "☐ ", "☐ "],
    "capital_roman": ["I. ", "II. ", "III. "],
    "letter_slash": ["a/ ", "b/ ", "c/ "],
}
LIST_XFAIL: dict[str, str] = {}


def _list_mail(markers: list[str], in_body: bool) -> EmailMessage:
    lines = ["Préconisations", *[m + item for m, item in zip(markers, ITEMS)]]
    if in_body:
        return message(sender="Jeanne Martin <jeanne.martin@sarthe.gouv.fr>",
                       subject="Contribution écrite - bilan des démarches participatives",
                       body="Bonjour,\n\nVoici la contribution écrite du département (modalité 3).\n\n"
                            + "\n".join(lines) + "\n\nCordialement,\nJeanne Martin\nPréfecture de la Sarthe\n")
    return _with_attachment(word_paragraphs_bytes(["Contribution écrite du département", *lines]), DOCX,
                            "contribution.docx")


@pytest.mark.parametrize(("name", "in_body"), [
    pytest.param(n, b, id=f"{n}-{'body' if b else 'docx'}",
                 marks=[pytest.mark.xfail(strict=True, reason=LIST_XFAIL[f"{n}-{'body' if b else 'docx'}"])]
                 if f"{n}-{'body' if b else 'docx'}" in LIST_XFAIL else [])
    for n in MARKERS for b in (True, False)])
def test_list_markers_in_fresh_glyphs(name, in_body):
    extraction = _extract(_list_mail(MARKERS[name], in_body))
    assert extraction.kind == "contribution"
    assert [r.text for r in extraction.recommendations] == ITEMS
