"""Recommendations written as a table: `# | Axe | Recommandation | Pilote`,
in a text PDF and in a scan read by OCR. The recommendation column is found
by what its header means, the theme by the author's "Axe" column. Each test
builds its own documents (tests/documents.py)."""

from __future__ import annotations

import random

import pytest
from spacy.parts_of_speech import IDS

from bilan.nlp import headers
from bilan.nlp.annex_columns import SPECS
from bilan.nlp.findings import findings_from_documents
from bilan.nlp.pipeline import get_nlp
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


#: Headers of every kind: the meanings' own words and their inflections,
#: other words for them, the annex templates' headers, values.
HEADERS = [
    "Recommandation", "Propositions retenues", "Préconisations du groupe", "Action envisagée", "Actions menées",
    "Mesure proposée", "Suggestion", "Axe", "Enjeux", "Thème", "Thématique", "Atouts", "Points forts",
    "Difficultés rencontrées", "Fragilités", "Faiblesses", "Forces", "Réussites", "Identification", "Observation",
    "Pilote pressenti", "Échéance", "Laon", "QN00201", "Oui",
    *(text for spec in SPECS for f in spec.fields for text in (f.template, f.description)),
]


def test_a_header_is_tagged_only_when_it_may_name_a_meaning():
    """The tokenizer-only test before the tagger lets through every header
    whose tags give it a meaning; most annex headers and values never reach
    the tagger (words in "-tion" do: their vectors are near "action")."""
    nlp = get_nlp()
    for text in (t for t in HEADERS if headers._key(t) is not None):  # not too long to be a header
        tagged = headers._meaning_of(nlp(headers._as_read(text), disable=["parser", "ner"]))
        assert headers.header_meaning(text) == tagged, text
        if tagged is not None:
            assert headers._may_name_a_meaning(nlp.make_doc(headers._as_read(text)), nlp), text
    spared = ["Commune", "Code QPV", "Structure porteuse", "Année de création", "Laon", "QN00201", "Oui"]
    assert not any(headers._may_name_a_meaning(nlp.make_doc(headers._as_read(t)), nlp) for t in spared)


def test_the_lemma_test_knows_every_lemma_the_lemmatizer_may_give():
    """Whatever part of speech the tagger gives a word, its lemma is a word of
    a meaning only if the quick lemma test says it may be."""
    nlp = get_nlp()
    lemmatizer = nlp.get_pipe("lemmatizer")
    words = [w for w in nlp.vocab.strings if w.isalpha() and len(w) < 25]
    sample = random.Random(12).sample(words, 300) + [
        form for word in headers._MEANING_WORDS for form in (word, word + "s", word + "x", word.upper(), word + "er")
    ]
    for word in sample:
        token = nlp.make_doc(word)[0]
        lemmas = {token.lower_}
        for pos in IDS:
            token.pos_ = pos
            lemmas.update(lemma.lower() for lemma in lemmatizer.lemmatize(token)[:1])
        if lemmas & headers._MEANING_WORDS:
            assert headers._may_be_a_meaning_word(nlp.make_doc(word)[0], nlp), word
