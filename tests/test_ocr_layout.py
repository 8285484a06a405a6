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
