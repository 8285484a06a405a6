"""Strengths (atouts, réussites) and weaknesses (fragilités, difficultés):
the sentences under their headings, in any wording, and in tables; only in
contributions."""

from __future__ import annotations

from bilan.nlp.findings import findings_from_documents
from bilan.parsers.document import Block, BlockKind, Document, Provenance


def _document(*blocks: tuple[str, str]) -> Document:
    kinds = {"heading": BlockKind.HEADING, "paragraph": BlockKind.PARAGRAPH, "item": BlockKind.LIST_ITEM}
    return Document(blocks=[
        Block(kinds[kind], Provenance(file="bilan.docx", paragraph=i), text=text, level=1 if kind == "heading" else 0)
        for i, (kind, text) in enumerate(blocks)
    ])


def _assessments(document: Document, kind: str = "contribution") -> tuple[list[str], list[str]]:
    found = findings_from_documents([(1, document)], kind)
    return [s.text for s in found.strengths], [w.text for w in found.weaknesses]


CONTRIBUTION = _document(
    ("heading", "Contexte"),
    ("paragraph", "Le département compte cinq quartiers prioritaires."),
    ("heading", "2. Points forts"),
    ("paragraph", "Plusieurs réussites méritent d'être citées :"),
    ("item", "Un noyau d'habitants fidèles depuis la création du conseil."),
    ("item", "La fête de quartier a réuni plus de trois cents personnes en septembre."),
    ("heading", "3. Difficultés rencontrées"),
    ("paragraph", "Des locaux trop petits pour accueillir les réunions. Une rotation rapide des animateurs."),
    ("heading", "4. Perspectives"),
    ("paragraph", "Le conseil prévoit de tenir une assemblée générale au printemps."),
)


def test_sentences_under_strength_and_weakness_headings():
    strengths, weaknesses = _assessments(CONTRIBUTION)
    assert strengths == [
        "Un noyau d'habitants fidèles depuis la création du conseil.",
        "La fête de quartier a réuni plus de trois cents personnes en septembre.",
    ]
    assert weaknesses == [
        "Des locaux trop petits pour accueillir les réunions.",
        "Une rotation rapide des animateurs.",
    ]


def test_only_contributions_have_strengths_and_weaknesses():
    assert _assessments(CONTRIBUTION, kind="survey_response") == ([], [])
    assert _assessments(CONTRIBUTION, kind="question") == ([], [])


def test_a_heading_naming_both_assigns_neither():
    document = _document(
        ("heading", "Forces et faiblesses du dispositif"),
        ("paragraph", "Une bonne dynamique mais des moyens insuffisants."),
    )
    assert _assessments(document) == ([], [])


def test_strengths_and_weaknesses_in_table_columns_and_rows():
    by_column = [
        ["Atouts", "Points de vigilance"],
        ["Des habitants très investis.", "Un budget qui arrive tard."],
        ["Un local bien situé.", None],
    ]
    by_row = [
        ["Réussites", "Le marché de Noël organisé par le conseil citoyen."],
        ["Freins", "Peu de jeunes parmi les membres."],
    ]
    document = Document(blocks=[
        Block.table(by_column, Provenance(file="bilan.pdf", page=1)),
        Block.table(by_row, Provenance(file="bilan.pdf", page=2)),
    ])
    strengths, weaknesses = _assessments(document)
    assert strengths == [
        "Des habitants très investis.", "Un local bien situé.", "Le marché de Noël organisé par le conseil citoyen.",
    ]
    assert weaknesses == ["Un budget qui arrive tard.", "Peu de jeunes parmi les membres."]


def test_labels_are_removed_and_provenance_kept():
    document = _document(
        ("heading", "Atouts et réussites"),
        ("item", "Atout n°1 : une équipe de bénévoles soudée."),
    )
    found = findings_from_documents([(3, document)], "contribution").strengths
    assert [(s.text, s.attachment, s.provenance.file, s.provenance.paragraph) for s in found] == [
        ("une équipe de bénévoles soudée.", 3, "bilan.docx", 1)
    ]
