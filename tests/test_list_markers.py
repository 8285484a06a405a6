"""Findings under any list marker: a list item (or a numbered heading written
out as text) is recognised by its shape — a bullet glyph, a dash or an
enumerator — whatever glyph the author or Word chose, and the marker never
reaches the finding's text."""

from __future__ import annotations

import io
import re

import pytest

from bilan.nlp.findings import findings_from_documents
from bilan.nlp.recommendations import clean_item_text
from bilan.parsers.listmarkers import (
    BULLET,
    DASH,
    LIST_LINE,
    MARKER_PLANES,
    is_bullet_glyph,
    is_dash,
)
from bilan.parsers.text import parse_text
from bilan.parsers.wordprocessing import parse_docx

STRENGTHS = [
    "Le fonds de participation a financé douze projets portés par des habitants.",
    "Les délégués du préfet soutiennent les conseils avec constance.",
]
WEAKNESSES = [
    "Le budget de fonctionnement dépend chaque année de la commune.",
    "Les réunions se tiennent à des horaires qui écartent les parents.",
]
RECOMMENDATIONS = [
    "Transmettre les documents préparatoires au moins quinze jours avant les réunions.",
    "Former les animateurs aux techniques d'animation participative.",
]
SECTIONS = [("Atouts et réussites", STRENGTHS), ("Fragilités", WEAKNESSES),
            ("Préconisations opérationnelles", RECOMMENDATIONS)]

#: Bullets, dashes and arrows beyond the usual "•" and "-", and enumerators.
GLYPHS = ["–", "→", "✓", "▪", "•", "⁃", "‣", "➔", "◆", "👉", "\uf0a7"]
ENUMERATORS = ["1)", "a)", "1.", "i.", "A)"]


def _marker(style: str, number: int) -> str:
    """`style` for the `number`-th item: "1)" gives "2)", "a)" gives "b)"."""
    if style[0] == "1":
        return f"{number}{style[1:]}"
    if style[0] in "aA":
        return f"{chr(ord(style[0]) + number - 1)}{style[1:]}"
    if style == "i.":
        return f"{'i' * number}."
    return style


def _found(document, index: int | None = 1) -> tuple[list[str], list[str], list[str]]:
    found = findings_from_documents([(index, document)], "contribution")
    return ([r.text for r in found.recommendations], [s.text for s in found.strengths],
            [w.text for w in found.weaknesses])


def _assert_all_found(document, index: int | None = 1) -> None:
    recommendations, strengths, weaknesses = _found(document, index)
    assert strengths == STRENGTHS
    assert weaknesses == WEAKNESSES
    assert recommendations == RECOMMENDATIONS


@pytest.mark.parametrize("style", GLYPHS + ENUMERATORS)
def test_every_marker_opens_a_list_line(style):
    assert LIST_LINE.match(f"{_marker(style, 2)} Un élément de liste")


@pytest.mark.parametrize("text", ["+ 3 % en un an", "= total", "© ANCT 2021", "≥ 30 participants", "Bonjour",
                                  "M. Dupont, délégué du préfet", "J. Martin", "V. Hugo", "> Bonjour"])
def test_prose_is_not_a_list_line(text):
    assert not LIST_LINE.match(text)


def test_marker_patterns_hold_exactly_the_glyphs_their_predicates_accept():
    """The glyph classes are written as runs of code points (a class of single
    emoji makes `re` slow on every character); every glyph is still in, no other."""
    bullet, dash = re.compile(BULLET), re.compile(DASH)
    for start, end in MARKER_PLANES:
        for code in range(start, end):
            char = chr(code)
            assert bool(bullet.fullmatch(char)) == is_bullet_glyph(char), hex(code)
            assert bool(dash.fullmatch(char)) == is_dash(char), hex(code)


def test_monsieur_is_not_a_marker():
    assert clean_item_text("M. le maire propose de réunir le conseil chaque trimestre.")[0].startswith("M. le maire")
    assert clean_item_text("B. Réunir le conseil chaque trimestre.")[0] == "Réunir le conseil chaque trimestre."


# --------------------------------------------------------------------------- #
# Plain-text bodies
# --------------------------------------------------------------------------- #


def _body(style: str) -> bytes:
    lines = ["Bonjour,", "", "Voici le bilan du département.", ""]
    for title, items in SECTIONS:
        lines.append(f"{title} :")
        lines.extend(f"{_marker(style, n)} {item}" for n, item in enumerate(items, start=1))
        lines.append("")
    lines.append("Cordialement,")
    return "\n".join(lines).encode()


@pytest.mark.parametrize("style", GLYPHS + ENUMERATORS)
def test_text_body_lists_under_any_marker(style):
    _assert_all_found(parse_text(_body(style), "body.txt"), None)


# --------------------------------------------------------------------------- #
# Word documents
# --------------------------------------------------------------------------- #


def _literal_docx(style: str) -> bytes:
    """Headings and items whose Word numbering was written out as text, the
    way a copy-paste or a converter leaves it ("– Fragilités", "a) …")."""
    import docx

    document = docx.Document()
    document.add_heading("Bilan des démarches participatives", level=0)
    document.add_paragraph("La présente contribution dresse le bilan du département.")
    for number, (title, items) in enumerate(SECTIONS, start=1):
        document.add_heading(f"{_marker(style, number)} {title}", level=1)
        for n, item in enumerate(items, start=1):
            document.add_paragraph(f"{_marker(style, n)} {item}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("style", GLYPHS + ENUMERATORS + ["A."])
def test_docx_literal_markers_on_headings_and_items(style):
    _assert_all_found(parse_docx(_literal_docx(style), "bilan.docx"))


#: Word numbering formats: (w:numFmt, w:lvlText).
NUMBERING_FORMATS = [("bullet", "–"), ("bullet", "→"), ("bullet", "✓"), ("bullet", "▪"),
                     ("decimal", "%1)"), ("lowerLetter", "%1)"), ("decimal", "%1."), ("lowerRoman", "%1.")]


def _numbered_docx(num_format: str, level_text: str) -> bytes:
    """Headings and items numbered by a Word list definition of the given format."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        f'<w:numFmt w:val="{num_format}"/><w:lvlText w:val="{level_text}"/></w:lvl></w:abstractNum>'
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(paragraph) -> None:
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="90"/></w:numPr>'))

    document.add_heading("Bilan des démarches participatives", level=0)
    document.add_paragraph("La présente contribution dresse le bilan du département.")
    for title, items in SECTIONS:
        numbered(document.add_heading(title, level=1))
        for item in items:
            numbered(document.add_paragraph(item))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("num_format", "level_text"), NUMBERING_FORMATS)
def test_docx_word_numbering_formats(num_format, level_text):
    _assert_all_found(parse_docx(_numbered_docx(num_format, level_text), "bilan.docx"))
