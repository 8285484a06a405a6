"""Recommendations written as a table: `# | Axe | Recommandation | Pilote`,
in a text PDF and in a scan read by OCR. The recommendation column is found
by what its header means, the theme by the author's "Axe" column. Each test
builds its own documents (tests/documents.py)."""

from __future__ import annotations

import pytest

from bilan.nlp.findings import findings_from_documents
from bilan.parsers import BlockKind, ParseStatus
from bilan.parsers.document import Block, Document, Provenance
from bilan.parsers.ocr import ocr_available
from bilan.parsers.registry import parse_outcome
from bilan.parsers.sniff import sniff_format
from tests import documents
from tests.documents import RECOMMENDATION_TABLE, RECOMMENDATION_TABLE_THEMES

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="Tesseract's French model is not installed")


def _recommendations(data: bytes, filename: str):
    outcome = parse_outcome(data, filename, sniff_format(data, filename))
    found = findings_from_documents([(0, outcome.document)], "contribution")
    return outcome, found.recommendations


def _expected_texts() -> list[str]:
    return [row[2] for row in RECOMMENDATION_TABLE[1:]]


def test_text_pdf_table_gives_its_recommendations_with_the_authors_theme():
    outcome, found = _recommendations(documents.recommendation_table_pdf_bytes(), "compte-rendu.pdf")
    assert outcome.status is ParseStatus.OK
    assert [r.text for r in found] == _expected_texts()
    assert [r.theme for r in found] == RECOMMENDATION_TABLE_THEMES
    assert {r.theme_source for r in found} == {"label"}
    assert all(r.origin == "table" and 0 < r.confidence <= 1 for r in found)
    assert [r.provenance.cell_range for r in found] == ["C2", "C3", "C4"]


@needs_ocr
def test_scanned_table_becomes_a_table_block_with_its_cells():
    outcome = parse_outcome(documents.scanned_recommendation_table_pdf_bytes(), "Scan.pdf", "pdf")
    assert outcome.status is ParseStatus.SCANNED
    tables = outcome.document.tables
    assert len(tables) == 1 and tables[0].provenance.ocr
    rows = tables[0].rows
    assert [len(row) for row in rows] == [4] * len(RECOMMENDATION_TABLE)
    assert rows[0] == RECOMMENDATION_TABLE[0]
    assert [row[1] for row in rows[1:]] == [row[1] for row in RECOMMENDATION_TABLE[1:]]
    # The wrapped recommendation is one cell again, not two lines.
    assert rows[1][2] == RECOMMENDATION_TABLE[1][2]
    # The lines the table covers are no longer paragraphs of their own.
    text = " ".join(b.text for b in outcome.document.blocks if b.kind is not BlockKind.TABLE)
    assert "Pilote pressenti" not in text and "Compte rendu de la rencontre territoriale" in text


@needs_ocr
def test_scanned_table_gives_its_recommendations_with_the_authors_theme():
    _, found = _recommendations(documents.scanned_recommendation_table_pdf_bytes(), "Scan.pdf")
    assert [r.text for r in found] == _expected_texts()
    assert [r.theme for r in found] == RECOMMENDATION_TABLE_THEMES
    assert {r.theme_source for r in found} == {"label"}
    assert all(r.provenance.ocr and r.confidence < 1 for r in found)


def _table(rows: list[list[str]]) -> Document:
    return Document(blocks=[Block.table(rows, Provenance(file="suites.docx"))])


def test_recommendation_column_found_by_meaning_without_any_heading():
    """No "Recommandations" heading: the headers alone say which column holds
    recommendations ("Action envisagée") and which the theme ("Enjeu"), whose
    values name it in other words; a column of past actions is not read."""
    document = _table([
        ["N°", "Enjeu", "Action envisagée", "Échéance"],
        ["1", "Outils en ligne", "Créer un site internet pour chaque conseil citoyen.", "2022"],
        ["2", "Participation des jeunes", "Associer les lycéens aux réunions du conseil citoyen.", "2023"],
    ])
    found = findings_from_documents([(0, document)], "contribution").recommendations
    assert [(r.text, r.theme, r.theme_source) for r in found] == [
        ("Créer un site internet pour chaque conseil citoyen.", "numerique", "label"),
        ("Associer les lycéens aux réunions du conseil citoyen.", "publics", "label"),
    ]
    past = _table([
        ["Quartier", "Actions menées"],
        ["Les Chardons", "Organisation de trois ateliers de quartier."],
    ])
    assert findings_from_documents([(0, past)], "contribution").recommendations == []
    # A header whose word vector only resembles "action" is not enough when
    # its values are names, not proposals.
    names = _table([["Identification", "Commune"], ["La Résidence des Tilleuls", "Laon"]])
    assert findings_from_documents([(0, names)], "contribution").recommendations == []
