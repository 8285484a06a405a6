"""A scan read by OCR gives the same blocks as a text PDF would: tables
rebuilt from where Tesseract's words stand (with rules or without), and a
two-column page in reading order rather than as a table. Each test draws its
own page (tests/documents.py)."""

from __future__ import annotations

import pytest

from bilan.parsers import BlockKind, ParseStatus
from bilan.parsers.ocr import ocr_available
from bilan.parsers.registry import parse_outcome
from tests import documents

pytestmark = pytest.mark.skipif(not ocr_available(), reason="Tesseract's French model is not installed")

ROWS = [
    ["Theme", "Proposition", "Echeance"],
    ["Renouvellement des membres", "Organiser un tirage au sort chaque annee pour accueillir de nouveaux habitants.", "2022"],
    ["Moyens", "Attribuer un local equipe a chaque conseil citoyen du departement.", "2023"],
]


def _picture(image) -> list:
    outcome = parse_outcome(documents.png_bytes(image), "scan.png", "png")
    assert outcome.status is ParseStatus.SCANNED
    return outcome.document.blocks


@pytest.mark.parametrize("rules", [True, False], ids=["ruled", "unruled"])
def test_a_scanned_table_becomes_one_table_block_with_wrapped_cells_joined(rules):
    blocks = _picture(documents.table_image(ROWS, [300, 760, 220], before=["Nos propositions"], rules=rules))
    tables = [b for b in blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1 and tables[0].provenance.ocr
    assert tables[0].rows == ROWS
    assert [b.text for b in blocks if b.kind is not BlockKind.TABLE] == ["Nos propositions"]


def test_a_two_column_page_is_read_column_after_column_not_as_a_table():
    left = " ".join(f"Phrase {n} de la colonne gauche sur la vie du quartier." for n in range(1, 9))
    right = " ".join(f"Phrase {n} de la colonne droite sur les habitants." for n in range(1, 9))
    blocks = _picture(documents.two_column_image(left, right))
    assert all(b.kind is not BlockKind.TABLE for b in blocks)
    text = " ".join(b.text for b in blocks)
    positions = [text.index(f"Phrase {n} de la colonne gauche") for n in range(1, 9)]
    positions += [text.index(f"Phrase {n} de la colonne droite") for n in range(1, 9)]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "read, meant",
    [
        ("ll est proposé de former", "Il est proposé de former"),
        ("li serait utile de", "Il serait utile de"),
        ("Ilest proposé", "Il est proposé"),
        ("1l s'agit de", "Il s'agit de"),
        ("Ii conviendrait de", "Il conviendrait de"),
        ("| serait utile de", "Il serait utile de"),
        ("Question | Réponse", "Question | Réponse"),
        ("les villes et villages", "les villes et villages"),
        ("ll", "ll"),
    ],
)
def test_the_pronoun_il_misread_by_ocr_is_restored_before_a_verb(read, meant):
    from bilan.parsers.ocr import mend_misread_il
    from bilan.parsers.word_tables import Word

    words = [Word(text, 10.0 * n, 10.0 * n + 8, rule=text == "|") for n, text in enumerate(read.split())]
    assert " ".join(w.text for w in mend_misread_il(words)) == meant


QUESTIONNAIRE_LINES = [
    "Annexe 3 - Enquete aupres des membres des conseils citoyens",
    "Question | Reponse",
    "Nom et prenom | MARTIN Paul",
    "Depuis quand etes-vous membre du conseil citoyen ? | 2019",
    "Comment jugez-vous le fonctionnement de votre conseil ? | Assez bien, mais les reunions",
    "sont trop rares.",
    "Quelles difficultes rencontrez-vous ? | Aucun local pour se reunir.",
    "Quelles sont vos propositions pour ameliorer la participation des habitants ?",
    "| Organiser les reunions le samedi matin. Creer un journal du quartier.",
]


def test_a_scanned_questionnaire_with_bars_between_question_and_answer_is_a_table():
    """The cells do not line up: only the bars set them apart. A wrapped
    answer joins its cell; a question whose answer starts on the next line,
    after a bar, is a row of its own."""
    image = documents.text_image(QUESTIONNAIRE_LINES, width=1500)
    blocks = _picture(image)
    tables = [b for b in blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1
    rows = tables[0].rows
    assert rows[0] == ["Question", "Reponse"]
    assert ["Comment jugez-vous le fonctionnement de votre conseil ?",
            "Assez bien, mais les reunions sont trop rares."] in rows
    assert rows[-1] == ["Quelles sont vos propositions pour ameliorer la participation des habitants ?",
                        "Organiser les reunions le samedi matin. Creer un journal du quartier."]

    from bilan.nlp.findings import findings_from_documents
    from bilan.parsers.document import Document

    found = findings_from_documents([(0, Document(blocks=blocks))], "survey_response").recommendations
    assert [r.text for r in found] == ["Organiser les reunions le samedi matin.", "Creer un journal du quartier."]


def test_a_scanned_ruled_annex_sheet_reads_back_as_its_rows_of_cells():
    """A sheet printed with a border round each cell and scanned: headers and
    some values wrap inside their cell, so one row comes back from Tesseract
    as text lines that do not line up; the rules still give every cell."""
    from bilan.nlp.annex_tables import find_annex_tables, row_contract
    from bilan.parsers.pdf import parse_pdf
    from tests.test_annex_tables import TEMPLATE_HEADER

    rows = [
        TEMPLATE_HEADER,
        ["Reims", "QN05101", "Orgeval", "oui", "03/2016", "12", "NC", "oui", "Centre social de la Maison Blanche",
         "non", "oui", "3 000 €"],
        ["Châlons-en-Champagne", "QN05102", "Le Verbeau", "oui", "09/2018", "7", "4", "non",
         "Association des habitants du Verbeau", "oui", "non", "1 500 €"],
        ["Épernay", "QN05103", "Bernon", "non", "NC", "NC", "NC", "non", "NC", "non", "non", "NC"],
    ]
    widths = [22, 20, 24, 22, 20, 22, 22, 22, 28, 26, 22, 22]
    data = documents.ruled_sheet_scan_pdf_bytes("ANNEXE 1 - BILAN DES CONSEILS CITOYENS", rows, widths)
    document = parse_pdf(data, "annexe.pdf")
    tables = [b for b in document.blocks if b.kind is BlockKind.TABLE]
    assert len(tables) == 1 and tables[0].provenance.ocr
    assert [len(row) for row in tables[0].rows] == [12] * 4
    assert [row[2] for row in tables[0].rows[1:]] == ["Orgeval", "Le Verbeau", "Bernon"]
    assert tables[0].rows[0][9] == "Participation aux instances de pilotage du contrat de ville (oui/non)"
    annex = [row_contract(r) for t in find_annex_tables(document) for r in t.rows]
    assert [r["qpv_nom"] for r in annex] == ["Orgeval", "Le Verbeau", "Bernon"]
    assert [r["qpv_code"] for r in annex] == ["QN05101", "QN05102", "QN05103"]
    # A name too long for its column, cut at the column's edge, is whole again.
    assert annex[1]["commune"].endswith("-en-Champagne")
    assert [r["date_creation"] for r in annex] == ["2016-03", "2018-09", None]
    assert [r["membres_habitants"] for r in annex] == [12, 7, None]
    assert [r["budget_annuel_eur"] for r in annex] == [3000, 1500, None]
    assert [r["structure_porteuse"] for r in annex][1] == "Association des habitants du Verbeau"
