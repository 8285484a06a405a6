"""Where a piece of text stands in its document: under which section.

Contributions follow, more or less, the plan the instruction asked for:
context, situation, *atouts et réussites*, *fragilités*, *préconisations*.
Recommendations, strengths and weaknesses are first found by where they
stand: under a heading that names them (any level, any numbering, in any
wording of `SECTION_TITLES`), after an introductory sentence such as "Les
participants ont formulé les propositions suivantes :", in a table column or
row that names them.

`document_passages` turns a `Document`'s blocks into `Passage`s that carry
their section. It first repairs what text extraction loses, mostly from PDF:
bullets read as glyphs or `(cid:127)` inside a paragraph, list items wrapped
over several lines, headings run into the paragraph that follows them. It
knows nothing about sentences: `nlp/findings.py` reads the passages.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from openpyxl.utils import get_column_letter

from bilan.nlp.text import fold
from bilan.parsers.document import Block, BlockKind, Document, Provenance
from bilan.parsers.listmarkers import ASCII_ARROW, DASH, GLUED_DASH, LETTER_BULLET
from bilan.parsers.listmarkers import BULLET as _BULLET


class Section(str, enum.Enum):
    RECOMMENDATIONS = "recommendations"
    STRENGTHS = "strengths"
    WEAKNESSES = "weaknesses"
    OTHER = "other"


#: Heading vocabulary, on folded text (no accents, lower case, apostrophes and
#: hyphens as spaces). A heading may name two kinds ("Atouts et fragilités").
SECTION_TITLES: dict[Section, re.Pattern[str]] = {
    Section.RECOMMENDATIONS: re.compile(
        r"\b(?:preconisations?|propositions?|recommandations?|suggestions?|pistes?"
        r"|(?:axes?|points?|voies?) (?:d amelioration|de progres|de travail)|leviers? d (?:amelioration|action)"
        r"|orientations? (?:proposees|retenues|a retenir|prioritaires)"
        r"|actions? (?:a mener|a engager|a conduire|proposees|prioritaires)"
        r"|ameliorations? (?:a apporter|proposees|souhaitees|possibles)"
        r"|mesures? (?:proposees|a prendre)|ce qu il (?:faudrait|faut) (?:faire|changer|ameliorer)"
        # a free relative on a verb of the same families: "Ce que proposent les habitants", "Ce que nous préconisons"
        r"|ce qu(?:e|i)? (?:\w+ ){0,2}?(?:propos|preconis|recommand|sugger|souhait)\w*"
        r"|(?:nos|les|principales) (?:demandes|attentes))\b"
    ),
    Section.STRENGTHS: re.compile(
        r"\b(?:atouts?|reussites?|points? forts?|forces?|points? positifs?|bonnes? pratiques?"
        r"|ce qui (?:fonctionne|marche)|succes|points? d appui|satisfactions?|avancees|elements? positifs?)\b"
    ),
    Section.WEAKNESSES: re.compile(
        r"\b(?:fragilites?|difficultes?|points? faibles?|faiblesses?|freins?|limites?"
        r"|points? (?:de vigilance|d attention)|obstacles?|(?:points?|elements?) negatifs?|dysfonctionnements?|blocages?"
        r"|ce qui (?:ne fonctionne pas|ne marche pas|pose probleme)|problemes? rencontres?"
        r"|ecueils?|insuffisances?)\b"
    ),
}
#: Other usual section titles: they close the section before them.
OTHER_TITLES = re.compile(
    r"^(?:enjeux?|contexte|introduction|preambule|objet|situation|etat des lieux|bilan|synthese"
    r"|conclusions?|annexes?|methode|methodologie|deroule|deroulement|participants|presentation"
    r"|ordre du jour|perspectives|calendrier|suites?|prochaines etapes|autres demarches"
    r"|organisation|elements de contexte|rappel|sommaire|modalite|description)\b"
)
#: First words a title may start with, used to find a heading run into a paragraph.
_TITLE_HEADS = {
    "preconisations", "preconisation", "propositions", "proposition", "recommandations",
    "recommandation", "suggestions", "pistes", "piste", "axes", "leviers", "actions",
    "ameliorations", "mesures", "atouts", "atout", "reussites", "points", "forces",
    "bonnes", "succes", "fragilites", "fragilite", "difficultes", "faiblesses", "freins",
    "limites", "obstacles", "dysfonctionnements", "blocages", "enjeux", "contexte",
    "introduction", "situation", "etat", "bilan", "synthese", "conclusion", "perspectives", "orientations",
    "voies", "elements",
    "autres", "methode", "methodologie", "deroulement", "participants", "presentation",
}
#: "Nos propositions", "Les principales difficultés": a determiner may open a title.
_TITLE_DETERMINERS = {"nos", "les", "principales", "principaux", "quelques", "des"}
_TITLE_NOUNS = {"demandes", "attentes", "principales", "principaux"}
#: Column headers naming the theme an author gave to each row.
_THEME_COLUMN = re.compile(r"^(?:themes?|thematiques?|axes?|domaines?|categories?|champs?)\b")

#: A bullet glyph, by its Unicode category (see `parsers/listmarkers.py`).
BULLET = _BULLET
_BULLET_GLYPH = re.compile(BULLET)
_INLINE_BULLET = re.compile(r"\s+" + BULLET + r"\s+")
_LEADING_BULLET = re.compile(r"^\s*" + BULLET + r"\s*")
#: A bullet or a dash before a title ("– Points forts", "→ Fragilités"):
#: Word list numbering written out as text.
_LEADING_MARK = re.compile(r"^\s*(?:" + BULLET + r"|" + DASH + r"+(?=\s))\s*")
#: List markers an author types or a parser leaves: dashes, bullets, "1.", "1 -", "a)", "iv.",
#: "B." (not "M.", which is Monsieur: "M. le maire propose …").
LIST_MARKER = re.compile(
    r"^\s*(?:" + BULLET + r"|" + LETTER_BULLET + r"|" + ASCII_ARROW + r"|" + GLUED_DASH + r"|(?:" + DASH
    + r"|[*>])+(?=\s)|\(?\d{1,3}\s*[.)°](?!\d)|\d{1,3}\s*[-–—/](?=\s)|[a-zA-Z]/(?=\s)|\(?[a-zA-Z]\)|[a-zA-LN-Z]\.(?=\s)"
    r"|\(?[ivxIVX]{1,4}\)|[ivxIVX]{1,4}\.(?=\s))\s*"
)
#: Heading numbering: "6.", "6.1", "II -", "B)", "3 -", "a)", "ii.".
_NUMBERING = re.compile(
    r"^\s*(?P<number>\d{1,2}(?:\.\d{1,2})*|[IVX]{1,5}|[A-H]|[ivx]{1,4}(?=[.)])|[a-h](?=[.)]))\s*(?:[.)°:\-–—]\s*|(?<=\d)\s+(?=[A-ZÀ-Ý]))"
)
#: A label before the text of an item: "Proposition :", "Préconisation n°2 :",
#: "Recommandation 3 -", "Piste d'action 1 :". Cue phrases are not labels.
_NUMBER = r"\s*(?:(?:n\s*°|n°|no\.?|num[ée]ro|#)\s*)?(?:\d{1,3}|[a-z])?\s*[:\-–—.)]\s+"
RECOMMENDATION_LABEL = re.compile(
    r"^\s*(?:pr[ée]conisations?|propositions?|recommandations?|suggestions?|pistes?(?:\s+d['’]\s*"
    r"(?:actions?|am[ée]liorations?))?|actions?|mesures?|id[ée]es?|axes?|objectifs?)" + _NUMBER,
    re.IGNORECASE,
)
#: The same for strengths and weaknesses: "Atout :", "Point faible n°2 -".
ASSESSMENT_LABEL = re.compile(
    r"^\s*(?:atouts?|r[ée]ussites?|fragilit[ée]s?|difficult[ée]s?|points?\s+(?:forts?|faibles?|de\s+vigilance)"
    r"|freins?|faiblesses?|forces?)" + _NUMBER,
    re.IGNORECASE,
)


_CLOSING = re.compile(
    r"^(?:--|__|cordialement|bien (?:a vous|cordialement)|tres cordialement|salutations|veuillez agreer"
    r"|je vous prie|(?:je reste|nous restons) a votre disposition|en vous remerciant|merci de)"
)
_INTRODUCTION = re.compile(r"(?::\s*$|\bsuivant(?:e)?s\s*[.:]?\s*$|\bci (?:dessous|apres)\b)")
_TERMINAL = ".;,!?…"


@dataclass(frozen=True)
class Passage:
    """A paragraph, list item or table cell, with the section it belongs to."""

    text: str
    kind: BlockKind
    sections: frozenset[Section]
    provenance: Provenance
    #: Position of the file in the message's flat list; None for the body.
    attachment: int | None = None
    #: A theme the author gave: a table's "Thématique" column or a sub-heading.
    theme_label: str | None = None
    #: The proposals answer of a survey questionnaire (see `nlp/proposals.py`).
    survey_answer: bool = False

    def in_section(self, section: Section) -> bool:
        return section in self.sections

    def only_in(self, section: Section) -> bool:
        return self.sections == frozenset({section})


@dataclass(frozen=True)
class Heading:
    sections: frozenset[Section]
    #: Depth from the numbering ("6." is 1, "6.2" is 2) or the heading style; None if unknown.
    level: int | None
    number: str | None


def strip_list_marker(text: str) -> str:
    """Remove leading list markers ("- ", "•", "(cid:127)", "1.", "a)"), repeatedly."""
    while True:
        stripped = LIST_MARKER.sub("", text, count=1)
        if stripped == text:
            return text.strip()
        text = stripped


def title_sections(text: str, anywhere: bool = False) -> frozenset[Section]:
    """The kinds of section a title names; OTHER for a usual title naming none.
    With `anywhere`, the vocabulary may appear anywhere (introductory sentences)."""
    folded = fold(text)
    found = {section for section, pattern in SECTION_TITLES.items() if pattern.search(folded)}
    if not found and not anywhere and OTHER_TITLES.match(folded):
        found.add(Section.OTHER)
    return frozenset(found)


def split_numbering(text: str) -> tuple[str | None, str]:
    match = _NUMBERING.match(text)
    if match is None:
        return None, text.strip()
    return match.group("number"), text[match.end() :].strip()


def numbering_depth(number: str | None) -> int | None:
    if number is None:
        return None
    if number[0].isdigit():
        return number.count(".") + 1
    return 1 if set(number) <= set("IVX") else 2


def is_title_like(text: str) -> bool:
    """Short, no final punctuation (a colon is fine), starting with a capital."""
    text = text.strip().rstrip(":").strip()
    if not text or len(text) > 100 or len(text.split()) > 12:
        return False
    if text[-1] in _TERMINAL or not (text[0].isupper() or text[0].isdigit()):
        return False
    return True


@lru_cache(maxsize=4096)
def starts_with_verb(text: str) -> bool:
    """Does the text open on a verb ("Former les élus", "Mieux articuler")? Such
    a line is an item of a list, not a title, even without a full stop."""
    from bilan.nlp.pipeline import get_nlp
    from bilan.nlp.recommendations import reading_text

    doc = get_nlp()(reading_text(text[:200]), disable=["ner"])
    for token in doc:
        if token.pos_ in ("ADV", "PRON", "PART", "PUNCT") or token.lower_ in ("ne", "n'", "pas"):
            continue
        return token.pos_ in ("VERB", "AUX")
    return False


def block_heading(block: Block) -> Heading | None:
    """Is this block a heading, and of which section? Real headings (HTML h1-h6,
    Word heading styles) always are; a paragraph or list item is when it reads as
    a title and either names a known section or carries a heading number."""
    if block.kind is BlockKind.TABLE:
        return None
    text = _LEADING_MARK.sub("", block.text).strip()
    number, core = split_numbering(text)
    if block.kind is BlockKind.HEADING:
        sections = title_sections(core) if is_title_like(core) else frozenset()
        level = numbering_depth(number) or max(block.level, 1)
        return Heading(sections or frozenset({Section.OTHER}), level, number)
    if not is_title_like(core):
        return None
    sections = title_sections(core)
    if sections:
        return Heading(sections, numbering_depth(number), number)
    # "a) Réunions trimestrielles" is as often an item as a title: a
    # lower-case letter or numeral makes a heading only of a title that names a section.
    if number is not None and not number.islower() and not starts_with_verb(core):
        return Heading(frozenset({Section.OTHER}), numbering_depth(number), number)
    return None


# --------------------------------------------------------------------------- #
# Repairs of the block list
# --------------------------------------------------------------------------- #


def repair_blocks(blocks: Iterable[Block]) -> list[Block]:
    """Undo what text extraction loses: wrapped lines, inline headings and bullets."""
    merged = _merge_continuations(list(blocks))
    repaired: list[Block] = []
    for block in merged:
        for piece in _split_inline_headings(block):
            repaired.extend(_split_inline_bullets(piece))
    return repaired


def _merge_continuations(blocks: list[Block]) -> list[Block]:
    """A paragraph after an unfinished line continues it: PDF lines of a
    wrapped list item come out as separate blocks. Unfinished means no final
    punctuation; the next line continues it when it starts in lower case, when
    it sits between two list items, or when the author ends list items with a
    full stop (seen once the sure cases are merged)."""
    merged = _merge_pass(blocks, items_end_with_stop=False)
    # Items long enough not to be numbered headings ("1. Enjeux").
    items = [b for b in merged if b.kind is BlockKind.LIST_ITEM and len(b.text.split()) >= 6]
    items_end_with_stop = bool(items) and sum(_finished(b.text) for b in items) >= len(items) / 2
    return _merge_pass(merged, items_end_with_stop) if items_end_with_stop else merged


def _merge_pass(blocks: list[Block], items_end_with_stop: bool) -> list[Block]:
    result: list[Block] = []
    for index, block in enumerate(blocks):
        previous = result[-1] if result else None
        if (
            previous is None
            or block.kind is not BlockKind.PARAGRAPH
            or previous.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)
            or previous.provenance.file != block.provenance.file
            or _finished(previous.text)
        ):
            result.append(block)
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        item = previous.kind is BlockKind.LIST_ITEM and not _is_heading_line(previous)
        sandwiched = item and following is not None and following.kind is BlockKind.LIST_ITEM and _finished(block.text)
        # A line in lower case goes on the previous one, unless it opens an item ("ii. Former", "b) Créer").
        goes_on = block.text[:1].islower() and not LIST_MARKER.match(block.text)
        if goes_on or sandwiched or (item and items_end_with_stop):
            result[-1] = replace(previous, text=f"{previous.text.rstrip()} {block.text.strip()}")
        else:
            result.append(block)
    return result


def _is_heading_line(block: Block) -> bool:
    """A numbered list item that is a heading ("4. Atouts et réussites"), not an
    item carrying a label ("3. Proposition : Développer la plateforme")."""
    text = strip_list_marker(block.text)
    for label in (RECOMMENDATION_LABEL, ASSESSMENT_LABEL):
        text = label.sub("", text, count=1)
    return block_heading(replace(block, text=text)) is not None


def _finished(text: str) -> bool:
    return text.rstrip()[-1:] in ".!?:;…"


_CAPITAL_WORD = re.compile(r"[A-ZÀ-Ý(«\"•]")


def _split_inline_headings(block: Block) -> list[Block]:
    """A heading run into its paragraph ("… en annexe 2. Atouts et réussites Le
    fonds de participation …") is cut out as a heading of its own."""
    if block.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM) or len(block.text) < 40:
        return [block]
    pieces: list[Block] = []
    text = block.text
    start = 0
    for title_start, title_end in _inline_titles(text):
        before = text[start:title_start].strip()
        if before:
            pieces.append(replace(block, text=before))
        pieces.append(replace(block, kind=BlockKind.HEADING, text=text[title_start:title_end].strip(), level=0))
        start = title_end
    if not pieces:
        return [block]
    rest = text[start:].strip()
    if rest:
        pieces.append(replace(block, kind=BlockKind.PARAGRAPH, text=rest))
    return pieces


def _inline_titles(text: str) -> Iterator[tuple[int, int]]:
    """Spans of titles inside a paragraph: at a sentence start, an optional
    number, a capitalised head word of `_TITLE_HEADS`, up to five lower-case
    words, then a capitalised word or a bullet opening the next sentence, or
    the end of the paragraph (the list under the title follows)."""
    words = list(re.finditer(r"\S+", text))
    i = 0
    while i < len(words):
        previous = words[i - 1].group() if i else ""
        if i and previous[-1:] not in ".!?:)" and not _BULLET_GLYPH.fullmatch(previous):
            i += 1
            continue
        k = i + 1 if _NUMBER_TOKEN.fullmatch(words[i].group()) else i
        head = fold(words[k].group()) if k < len(words) else ""
        if not words[k - (k == len(words))].group()[:1].isupper() or (
            head not in _TITLE_HEADS and (head not in _TITLE_DETERMINERS or k + 1 >= len(words)
                                          or fold(words[k + 1].group()) not in _TITLE_HEADS | _TITLE_NOUNS)
        ):
            i += 1
            continue
        j = k + 1
        while j < len(words) and j - k <= 6 and not _CAPITAL_WORD.match(words[j].group()):
            if words[j].group()[-1:] in _TERMINAL or not _TITLE_WORD.fullmatch(words[j].group()):
                break
            j += 1
        closes_text = j == len(words) and i > 0
        if j - k <= 6 and (closes_text or j < len(words) and _CAPITAL_WORD.match(words[j].group())):
            if title_sections(text[words[k].start() : words[j - 1].end()]):
                yield words[i].start(), words[j - 1].end()
                i = j
                continue
        i += 1


#: A word of a title: letters, apostrophes, hyphens (no digits, no colon: "Préconisation n°1 :" is a label).
_TITLE_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*['’]?")
_NUMBER_TOKEN = re.compile(r"(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,5})[.)]?")


def _split_inline_bullets(block: Block) -> list[Block]:
    """Bullet glyphs inside a paragraph start list items."""
    if block.kind not in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM):
        return [block]
    leading = _LEADING_BULLET.match(block.text)
    body = block.text[leading.end() :] if leading else block.text
    parts = [part.strip() for part in _INLINE_BULLET.split(body)]
    if len(parts) == 1 and not leading:
        return [block]
    blocks = []
    for index, part in enumerate(parts):
        if part:
            is_item = index > 0 or leading is not None or block.kind is BlockKind.LIST_ITEM
            blocks.append(replace(block, kind=BlockKind.LIST_ITEM if is_item else block.kind, text=part))
    return blocks


# --------------------------------------------------------------------------- #
# Passages
# --------------------------------------------------------------------------- #


@dataclass
class _Context:
    """The section being read, and the list that an introduction opened."""

    sections: frozenset[Section] = frozenset()
    level: int | None = None
    number: str | None = None
    theme_label: str | None = None
    list_scope: frozenset[Section] = frozenset()
    #: Number of the last numbered item of the section ("3." after "1." and "2.").
    item_number: int = 0

    def open(self, heading: Heading) -> None:
        self.sections, self.level, self.number = heading.sections, heading.level, heading.number
        self.theme_label, self.list_scope, self.item_number = None, frozenset(), 0


def document_passages(document: Document, attachment: int | None = None) -> list[Passage]:
    """Every paragraph, list item and table cell of a document, with its section."""
    from bilan.nlp.themes import theme_from_label

    passages: list[Passage] = []
    context = _Context()
    for block in repair_blocks(document.blocks):
        if block.kind is BlockKind.TABLE:
            passages.extend(table_passages(block, context.sections | context.list_scope, attachment))
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        if _CLOSING.match(fold(text)) or text.startswith("--"):
            context.open(Heading(frozenset(), None, None))
            continue
        heading = _heading_in_context(block, context)
        if heading is not None:
            if heading.sections == {Section.OTHER} and _is_subheading(heading, block, context):
                label = split_numbering(_LEADING_MARK.sub("", text))[1]
                context.theme_label = label if theme_from_label(label) else context.theme_label
                continue
            context.open(heading)
            continue
        if block.kind is not BlockKind.LIST_ITEM:
            context.list_scope = frozenset()
        scope = context.sections
        if block.kind is BlockKind.LIST_ITEM and context.list_scope:
            scope = context.list_scope
        _count_item(block, context)
        passages.append(
            Passage(text, block.kind, scope, block.provenance, attachment, context.theme_label)
        )
        if block.kind is not BlockKind.LIST_ITEM and _INTRODUCTION.search(fold(text)):
            introduced = title_sections(text, anywhere=True) - {Section.OTHER}
            if introduced and introduced != context.sections:
                context.list_scope = introduced
    return passages


def _heading_in_context(block: Block, context: _Context) -> Heading | None:
    """A block's heading, unless its place says it is content: a bulleted item,
    the next numbered item of the section, or a sentence naming the section it
    is already in ("Les participants ont formulé les propositions suivantes")."""
    heading = block_heading(block)
    if heading is None or block.kind is BlockKind.HEADING:
        return heading
    if heading.number is None:
        if block.kind is BlockKind.LIST_ITEM:
            return None
        if heading.sections == context.sections and len(block.text.split()) > 4:
            return None
    elif _continues_items(block, context):
        return None
    return heading


def _is_subheading(heading: Heading, block: Block, context: _Context) -> bool:
    """A heading inside a section that does not close it: deeper numbering or
    style, or a theme label ("Axe 1 - Gouvernance") under the recommendations."""
    from bilan.nlp.themes import theme_from_label

    if not context.sections or Section.OTHER in context.sections:
        return False
    if heading.level is not None and context.level is not None and heading.level > context.level:
        return True
    label = split_numbering(_LEADING_MARK.sub("", block.text))[1]
    return Section.RECOMMENDATIONS in context.sections and theme_from_label(label) is not None


def _item_number(block: Block) -> int | None:
    match = re.match(r"^\s*\(?(\d{1,2})\s*[.)°\-–]", block.text)
    return int(match.group(1)) if match else None


def _continues_items(block: Block, context: _Context) -> bool:
    """"7. Création d'un fonds" after items 1 to 6 of a section is its seventh
    item, not the next chapter."""
    number = _item_number(block)
    return bool(context.sections) and number is not None and context.item_number and number == context.item_number + 1


def _count_item(block: Block, context: _Context) -> None:
    number = _item_number(block)
    if number is not None and (number == 1 or number == context.item_number + 1):
        context.item_number = number


# --------------------------------------------------------------------------- #
# Tables
# --------------------------------------------------------------------------- #


def _cell_text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _cell_provenance(block: Block, row: int, column: int) -> Provenance:
    """The cell in A1 notation, counted from the table's (or sheet's) top-left corner."""
    return replace(block.provenance, cell_range=f"{get_column_letter(column + 1)}{row + 1}")


def table_passages(
    block: Block, sections: frozenset[Section], attachment: int | None = None
) -> list[Passage]:
    """Cells that hold recommendations, strengths or weaknesses: under a column
    header that names them, beside a row header that names them, or (for a
    table under such a heading) the main text cell of each row."""
    rows = [[_cell_text(c) for c in row] for row in (block.rows or [])]
    if not rows:
        return []
    header_row, columns, theme_column = _header(rows)
    columns = _numbering_moved_to_text(rows, header_row, columns, theme_column)
    passages: list[Passage] = []
    if columns:
        for r in range(header_row + 1, len(rows)):
            row = rows[r]
            label = row[theme_column] if theme_column is not None and theme_column < len(row) else None
            for c, section in columns.items():
                if c < len(row) and _is_content(row[c]) and row[c] != rows[header_row][c]:
                    passages.append(
                        Passage(row[c], BlockKind.TABLE, frozenset({section}), _cell_provenance(block, r, c),
                                attachment, label or None)
                    )
        return passages
    for r, row in enumerate(rows):
        head = row[0] if row else ""
        named = title_sections(split_numbering(head)[1]) - {Section.OTHER} if is_title_like(head) else frozenset()
        if named and len(row) > 1:
            for c in range(1, len(row)):
                if _is_content(row[c]) and row[c] != head:
                    passages.append(Passage(row[c], BlockKind.TABLE, named, _cell_provenance(block, r, c), attachment))
            continue
        if sections and Section.OTHER not in sections:
            c = max(range(len(row)), key=lambda i: len(row[i]))
            if _is_content(row[c]) and len(row[c].split()) >= 4:
                passages.append(Passage(row[c], BlockKind.TABLE, sections, _cell_provenance(block, r, c), attachment))
    return passages


def _header(rows: list[list[str]]) -> tuple[int, dict[int, Section], int | None]:
    """The first row (of the first five) whose cells name a section, its
    columns by section, and the column of themes if there is one. A header
    names them in the section vocabulary or by meaning (`nlp/headers.py`:
    "Action envisagée"; "Axe", "Enjeu"); cells without letters ("#", "N°")
    are numbering columns."""
    for r, row in enumerate(rows[:5]):
        columns: dict[int, Section] = {}
        theme_column = None
        if not all(is_title_like(cell) for cell in row if any(ch.isalpha() for ch in cell)):
            continue  # a row of content, or a row header beside its text ("Réussites" | "Un …")
        for c, cell in enumerate(row):
            if not cell or cell[-1:] == "?":
                continue
            section, names_theme = _column_meaning(cell, [below[c] for below in rows[r + 1 :] if c < len(below)])
            if section is not None:
                columns[c] = section
            elif names_theme and theme_column is None:
                theme_column = c
        if columns:
            return r, columns, theme_column
    return 0, {}, None


def _numbering_moved_to_text(
    rows: list[list[str]], header_row: int, columns: dict[int, Section], theme_column: int | None
) -> dict[int, Section]:
    """A column whose header names the section but whose cells hold no words
    ("Préconisation n°" over 1, 2, 3) numbers the rows: the section's text is
    the column of longest text beside it that no header claimed."""
    body = rows[header_row + 1 :]

    def words(c: int) -> list[int]:
        return [len(row[c].split()) if c < len(row) and _is_content(row[c]) else 0 for row in body]

    moved = dict(columns)
    for c, section in columns.items():
        if any(words(c)):
            continue
        free = [i for i in range(max(map(len, rows))) if i not in moved and i != theme_column]
        texts = {i: sum(words(i)) / max(len(body), 1) for i in free}
        best = max(texts, key=texts.get, default=None)
        if best is not None and texts[best] >= MIN_TEXT_COLUMN_WORDS:
            del moved[c]
            moved[best] = section
    return moved


#: Mean words per cell of a column that holds the items' text rather than a label.
MIN_TEXT_COLUMN_WORDS = 4


def _column_meaning(header: str, values: list[str]) -> tuple[Section | None, bool]:
    """The section a column's header names, or whether it names the rows'
    theme. A meaning read from the header's vector only must be confirmed by
    the values below it (`_values_confirm`)."""
    from bilan.nlp.headers import Meaning, header_meaning

    named = title_sections(header) - {Section.OTHER}
    if named:
        return (next(iter(named)) if len(named) == 1 else None), False
    if _THEME_COLUMN.match(fold(header)):
        return None, True
    found = header_meaning(header)
    if found is None or not (found.sure or _values_confirm(found.meaning, values)):
        return None, False
    if found.meaning is Meaning.THEME:
        return None, True
    return Section(found.meaning.value), False


def _values_confirm(meaning, values: list[str]) -> bool:
    """Half the column's values at least look like what its header seems to
    mean: proposals open on a verb ("Créer…"), themes name one of the eleven,
    strengths and weaknesses are sentences."""
    from bilan.nlp.headers import Meaning
    from bilan.nlp.themes import theme_of_label

    values = [v for v in values if _is_content(v)][:12]
    if not values:
        return False
    if meaning is Meaning.THEME:
        hits = sum(theme_of_label(v) is not None for v in values)
    elif meaning is Meaning.RECOMMENDATIONS:
        hits = sum(len(v.split()) >= 3 and starts_with_verb(v) for v in values)
    else:
        hits = sum(len(v.split()) >= 5 for v in values)
    return 2 * hits >= len(values)


def _is_content(text: str) -> bool:
    return bool(text) and any(ch.isalpha() for ch in text) and fold(text) not in {"nc", "n c", "na", "neant", "sans objet"}
