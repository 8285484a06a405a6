"""Annexe 1 and Annexe 2 tables, wherever they are, as typed rows.

The annexes come back as the template sent, or retyped: columns renamed,
reordered, merged; extra title rows, two-row headers, totals and comment
rows; sometimes transposed or with no header at all; in a sheet, a Word table
or a PDF table. So nothing here depends on a position or a format: every
table block of every document is searched for a header row whose columns
can be assigned to an annex's fields (`annex_columns`: by what the header
means and what the values below it are), and each data row is normalised to
the truth schema's types, with a confidence per value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from bilan.nlp.annex_columns import (
    ANNEXE1,
    ANNEXE2,
    MIN_HEADER_CANDIDATE_SIMILARITY,
    MIN_HEADER_SIMILARITY,
    OTHER_PRACTICE,
    SPECS,
    AnnexSpec,
    FieldSpec,
    anchor_mode,
    header_scores,
    is_qpv_code,
    map_columns,
    named_practice,
    normalise_qpv_code,
    practice_type,
    reads_like_a_header,
    value_fit,
)
from bilan.nlp.text import fold
from bilan.nlp.values import (
    cell_text,
    is_null,
    is_tick,
    looks_like_number,
    parse_amount,
    parse_bool,
    parse_int,
    parse_month,
    parse_text,
    parse_year,
)
from bilan.parsers.document import Block, Cell, Document, Provenance
from bilan.parsers.message import ParsedMessage

__all__ = ["ANNEXE1", "ANNEXE2", "SPECS", "AnnexSpec", "FieldSpec", "normalise_qpv_code", "practice_type"]

# -- canonical fields (see annex_columns) ------------------------------------------------------

ANNEXE1_FIELDS = tuple(f.name for f in ANNEXE1.fields if f.kind != "ignore")
ANNEXE2_FIELDS = tuple(f.name for f in ANNEXE2.fields if f.kind != "ignore")

#: First words of rows that are not data: totals, comments, notes.
NOT_DATA_PREFIXES = ("total", "sous total", "totaux", "ensemble", "commentaire", "commentaires", "remarque",
                     "observation", "nota", "note", "source", "legende", "*")

MIN_FIELDS = 3
#: How sure a practice's type is when read from the sub-title above its rows.
SUBTITLE_CONFIDENCE = 0.7
#: In a table this wide, a row holding one value alone is a sub-title or a note, not a row.
MIN_COLUMNS_FOR_LONE_CELL = 4
#: Columns whose header cell itself reads like its field (or whose values
#: say it alone: QPV codes, practices), for a row to be a header.
MIN_NAMED_BY_HEADER = 3
#: How much better a header cell must read with the cell below it for the header to span two rows.
SPAN_GAIN = 0.05
MAX_HEADER_SEARCH = 25
#: A pair score a header-less table's column needs (values only, no header to add to it).
HEADERLESS_MIN_PAIR = 0.3
#: A field no column was found for, while a column with values was left unassigned.
UNMAPPED_CONFIDENCE = 0.5
#: A cell whose text does not parse as its column's type (its value is then null).
UNREADABLE_CONFIDENCE = 0.3
#: A table with no header row must show this many fields by their values alone.
MIN_HEADERLESS_FIELDS = 4


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowSource:
    """Where a row was read: file, sheet or page, row number in the table
    (the sheet's row number for spreadsheets), and which attachment."""

    file: str
    sheet: str | None
    page: int | None
    row: int
    attachment: int | None = None
    #: Field -> its cell: a sheet's reference ("C5") or the table's column ("col 3").
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class AnnexRow:
    annex: int
    values: dict[str, Any]
    source: RowSource
    #: How sure the reader is of each value, 0-1, by field name (a field
    #: absent from the dict was not judged); the row's confidence is the lowest.
    cell_confidence: dict[str, float] = field(default_factory=dict)

    @property
    def confidence(self) -> float:
        return min(self.cell_confidence.values(), default=1.0)

    def filled(self) -> int:
        return sum(v is not None for v in self.values.values())


@dataclass
class AnnexTables:
    """Every Annexe 1 and Annexe 2 row of a message, de-duplicated, and the
    department labels written in the annexes' title rows ("Département : Gard (30)")."""

    annexe1: list[AnnexRow] = field(default_factory=list)
    annexe2: list[AnnexRow] = field(default_factory=list)
    department_labels: list[str] = field(default_factory=list)
    #: Attachment index -> annexes found in it (1, 2), for attachment roles.
    found_in: dict[int | None, set[int]] = field(default_factory=dict)


# -- entry points ----------------------------------------------------------------------------


def extract_annex_tables(parsed: ParsedMessage, anchors: str | None = None) -> AnnexTables:
    """All annex rows of a message: body, attachments, files inside archives
    and forwarded messages. The same annex sent twice (XLSX and PDF) counts
    once. `anchors`: see `annex_columns.anchor_mode`."""
    result = AnnexTables()
    for attachment, document in parsed.documents():
        index = None if attachment is None else attachment.index
        for table in find_annex_tables(document, attachment=index, anchors=anchors):
            (result.annexe1 if table.spec.number == 1 else result.annexe2).extend(table.rows)
            result.department_labels.extend(table.department_labels)
            result.found_in.setdefault(index, set()).add(table.spec.number)
    result.annexe1 = deduplicate(result.annexe1)
    result.annexe2 = deduplicate(result.annexe2)
    return result


@dataclass
class AnnexTable:
    spec: AnnexSpec
    rows: list[AnnexRow]
    columns: dict[str, int]
    department_labels: list[str]


def find_annex_tables(
    document: Document, attachment: int | None = None, anchors: str | None = None
) -> list[AnnexTable]:
    tables: list[AnnexTable] = []
    for block in document.tables:
        tables.extend(tables_in_block(block, attachment, anchors))
    return tables


def tables_in_block(block: Block, attachment: int | None = None, anchors: str | None = None) -> list[AnnexTable]:
    """Annex tables of one table block: as laid out, else transposed, else
    (no header row either way) read from what the values are."""
    mode = anchor_mode(anchors)
    rows = _rectangular(block.rows or [])
    if not rows:
        return []
    reader = _Reader(block.provenance, attachment, mode)
    found = reader.tables(rows, transposed=False)
    if not found and len(rows[0]) >= 2:
        transposed = _rectangular([list(column) for column in zip(*rows)])
        found = reader.tables(transposed, transposed=True)
    if not found:
        found = reader.headerless(rows)
    return found


# -- header detection ------------------------------------------------------------------------


@dataclass
class _Header:
    spec: AnnexSpec
    row: int
    columns: dict[str, int]
    score: float
    #: Field -> the score of its column (0-1).
    confidence: dict[str, float] = field(default_factory=dict)
    #: Rows the header spans (2: its cells continue on the next row).
    span: int = 1


@dataclass
class _Reader:
    """Reads the annex tables of one table block (rows of cells)."""

    provenance: Provenance
    attachment: int | None
    mode: str

    def tables(self, rows: list[list[Cell]], transposed: bool) -> list[AnnexTable]:
        tables: list[AnnexTable] = []
        start = 0
        while start < len(rows):
            header = self._find_header(rows, start)
            if header is None:
                break
            end = header.row + header.span
            while end < len(rows):
                following = self._find_header(rows, end, only_at=True) if self._looks_like_header(rows[end]) else None
                if following is not None and not (
                    following.spec is header.spec and following.columns == header.columns
                ):
                    break  # another table starts; the same header again is a page break
                end += 1
            labels = _department_labels(rows[start : header.row])
            data = [(i, rows[i]) for i in range(header.row + header.span, end)]
            typed = _typed_rows(header, data, rows[header.row], self.provenance, self.attachment, transposed,
                                rows[header.row : header.row + header.span])
            tables.append(AnnexTable(header.spec, typed, header.columns, labels))
            start = end
        return tables

    def headerless(self, rows: list[list[Cell]]) -> list[AnnexTable]:
        """A table with no header row at all: its values alone must say which
        column is which (a column of QPV codes, a column of practices) and
        show several of the annex's fields."""
        width = len(rows[0])
        blank = [None] * width
        data = [(i, row) for i, row in enumerate(rows) if _is_data_row(row, blank)]
        if not data:
            return []
        best: _Header | None = None
        for spec in SPECS:
            mapping = map_columns(spec, [[] for _ in range(width)], [row for _, row in data], self.mode,
                                  min_pair=HEADERLESS_MIN_PAIR)
            signature = [f.name for f in spec.fields if f.kind in ("qpv", "practice") and f.name in mapping.columns]
            named = [f for f in mapping.columns if not f.startswith("_")]
            distinctive = [f for f in named if f in spec.distinctive]
            if not signature or len(named) < MIN_HEADERLESS_FIELDS or not distinctive:
                continue
            if spec is ANNEXE1 and len(distinctive) < 2:
                continue  # a list of QPVs with one figure is not yet an Annexe 1
            if best is None or mapping.total > best.score:
                best = _Header(spec, -1, mapping.columns, mapping.total, mapping.scores)
        if best is None:
            return []
        data = [(i, row) for i, row in data if _fits_its_columns(best, row)]
        typed = _typed_rows(best, data, blank, self.provenance, self.attachment, False)
        return [AnnexTable(best.spec, typed, best.columns, [])]

    def _find_header(self, rows: list[list[Cell]], start: int, only_at: bool = False) -> _Header | None:
        """The first header row at or after `start` (only `start` itself when
        `only_at`). When the next row or two read as a better header of the same
        annex (a title or group row came first), that one is taken."""
        last = start + 1 if only_at else min(len(rows), start + MAX_HEADER_SEARCH)
        for index in range(start, last):
            found = self._header_at(rows, index, start)
            if found is None:
                continue
            for following in range(index + 1, min(index + 3, len(rows))):
                better = self._header_at(rows, following, start)
                if better is not None and better.spec is found.spec and len(better.columns) > len(found.columns):
                    found = better
            return found
        return None

    def _header_at(self, rows: list[list[Cell]], index: int, start: int) -> _Header | None:
        """The row at `index` as a header: the best assignment of its columns
        to the fields of an annex, if enough of its cells read like headers."""
        row = rows[index]
        filled = [c for c in row if not is_null(c)]
        if len(filled) < MIN_FIELDS or _holds_values(filled):
            return None
        above = rows[index - 1] if index > start else None
        below = rows[index + 1] if index + 1 < len(rows) else None
        # A row of data above or below is no part of the header.
        above, below = (r if r is not None and not _holds_values([c for c in r if not is_null(c)]) else None
                        for r in (above, below))
        texts = _header_texts(row, above, below)
        coded = _coded_columns(rows[index + 1 : index + 4])
        specs = [spec for spec in SPECS if self._may_be_header(spec, texts, coded)]
        if not specs:
            return None  # most rows of most tables: no need to read the values below
        data = []
        for offset, following in enumerate(rows[index + 1 : index + 31]):
            if self._looks_like_header(following):
                if offset == 0:
                    continue  # the header's second row
                break  # another table starts
            if _is_data_row(following, row):
                data.append(following)
        best: _Header | None = None
        for spec in specs:
            mapping = map_columns(spec, texts, data, self.mode)
            named = [f for f in mapping.columns if not f.startswith("_")]
            if len(named) < MIN_FIELDS or not any(f in mapping.columns for f in spec.distinctive):
                continue
            if mapping.named_by_header < MIN_NAMED_BY_HEADER:
                continue  # the values fit, but the row does not read like a header
            if best is None or mapping.total > best.score:
                span = 2 if self._continues(spec, mapping.columns, row, below) else 1
                best = _Header(spec, index, mapping.columns, mapping.total, mapping.scores, span)
        return best

    def _continues(self, spec: AnnexSpec, columns: dict[str, int], row: list[Cell], below: list[Cell] | None) -> bool:
        """Is the row below the second row of this header ("Effectifs" over
        "habitants")? It holds no value (code, number, date), and read with
        it, some header cell reads more like its field."""
        if below is None or any(
            not is_null(c) and (is_qpv_code(c) or looks_like_number(c) or isinstance(c, (int, float))) for c in below
        ):
            return False
        positions = {f.name: i for i, f in enumerate(spec.fields)}
        for name, column in columns.items():
            own, extra = cell_text(row[column]), cell_text(below[column]) if column < len(below) else ""
            if not extra or is_null(below[column]):
                continue
            before = header_scores(own, spec, self.mode)[positions[name]] if own else 0.0
            after = header_scores(f"{own} {extra}".strip(), spec, self.mode)[positions[name]]
            if after > before + SPAN_GAIN:
                return True
        return False

    def _may_be_header(self, spec: AnnexSpec, texts: list[list[str]], coded: int = 0) -> bool:
        """Can this row be a header of `spec` at all? Enough of its cells
        read like the header of one of its named fields, one of them a
        distinctive field; a column of QPV codes below (`coded` of them)
        counts whatever its header says. Only cheaper than the assignment,
        which asks the same."""
        named = [i for i, f in enumerate(spec.fields) if not f.name.startswith("_")]
        distinctive = [i for i, f in enumerate(spec.fields) if f.name in spec.distinctive]
        # The row's own cells must read like headers (a group row above the
        # header, a data row below it, read like one only when joined); a
        # cell merged over several columns counts once.
        own = {variants[0] for variants in texts if variants}
        best_named = [max(scores[i] for i in named) for scores in (header_scores(t, spec, self.mode) for t in own)]
        matching = sum(1 for score in best_named if score >= MIN_HEADER_CANDIDATE_SIMILARITY)
        if matching + coded < MIN_FIELDS:
            return False

        def distinctive_in(candidates: Iterable[str]) -> bool:
            for text in candidates:
                scores = header_scores(text, spec, self.mode)
                if max(scores[i] for i in distinctive) >= MIN_HEADER_SIMILARITY:
                    return True
            return False

        return distinctive_in(own) or distinctive_in(t for variants in texts for t in variants[1:])

    def _looks_like_header(self, row: list[Cell]) -> bool:
        """A cheap test: three cells or more that read like field headers."""
        if _holds_values([c for c in row if not is_null(c)]):
            return False
        hits = sum(1 for cell in row if isinstance(cell, str) and reads_like_a_header(cell, self.mode))
        return hits >= MIN_FIELDS


def _holds_values(filled: list[Cell]) -> bool:
    """A row of figures and codes is data, not a header: most of its filled
    cells, or a third and at least two, are numbers or QPV codes."""
    values = sum(1 for c in filled if isinstance(c, (int, float)) or _is_figure_or_code(c))
    return bool(filled) and (values == len(filled) or (values >= 2 and values * 3 >= len(filled)))


@lru_cache(maxsize=65536)
def _is_figure_or_code(text: str) -> bool:
    """Cached per text: every row is asked again for each candidate header above it."""
    return looks_like_number(text) or is_qpv_code(text)


def _coded_columns(rows: list[list[Cell]]) -> int:
    """Columns whose cells in `rows` (the first under a candidate header) hold QPV codes."""
    width = max((len(r) for r in rows), default=0)
    return sum(1 for c in range(width) if any(c < len(r) and is_qpv_code(r[c]) for r in rows))


def _fits_its_columns(header: _Header, row: list[Cell]) -> bool:
    """In a table without a header, a row whose typed cells (codes, numbers,
    dates, yes/no) do not read as their types is a title or a header in
    words no anchor knows, not data."""
    typed = [f for f in header.spec.fields if f.kind not in ("text", "commune", "practice", "ignore")
             and f.name in header.columns and not is_null(row[header.columns[f.name]])]
    unreadable = [f for f in typed if _typed_value(f.kind, row[header.columns[f.name]], False) is None]
    return len(unreadable) < max(1, len(typed) / 2)


def _header_texts(row: list[Cell], above: list[Cell] | None, below: list[Cell] | None) -> list[list[str]]:
    """Per column, the ways its header may read: its own cell, or joined with
    the cell above or below when the header spans two rows ("Nombre de
    membres" over "collège habitants")."""
    texts = []
    for column, cell in enumerate(row):
        own = cell_text(cell)
        variants = [own] if own else []
        for other, before in ((above, True), (below, False)):
            if other is None or column >= len(other) or is_null(other[column]):
                continue
            extra = cell_text(other[column])
            if extra != own and not looks_like_number(other[column]):
                variants.append(f"{extra} {own}".strip() if before else f"{own} {extra}".strip())
        texts.append(variants)
    return texts


# -- data rows -------------------------------------------------------------------------------


def _typed_rows(
    header: _Header,
    data: list[tuple[int, list[Cell]]],
    header_row: list[Cell],
    provenance: Provenance,
    attachment: int | None,
    transposed: bool,
    header_rows: list[list[Cell]] = (),
) -> list[AnnexRow]:
    spec, columns = header.spec, header.columns
    # The "Oui" / "Non" boxes are named on the header's second row, or on a row of their own under it.
    pairs = _yes_no_pairs(header_rows[-1]) if len(header_rows) > 1 else {}
    if not pairs and data and _only_yes_and_no(data[0][1]):
        pairs = _yes_no_pairs(data[0][1])
    kept = [(i, row) for i, row in data if _is_data_row(row, header_row)]
    bool_columns = [columns[f.name] for f in spec.fields if f.kind == "bool" and f.name in columns]
    # In a table that marks "yes" with a tick, a blank box means "no".
    ticks = any(is_tick(row[c]) for _, row in kept for c in bool_columns)
    # A field with no column is doubtful only when a column with values was
    # left unassigned (it may be that field); otherwise the table lacks it.
    unassigned = _unassigned_columns(columns, header_row, [row for _, row in kept])
    under = _practice_subtitles(data, header_row) if spec is ANNEXE2 and "type" not in columns else {}
    typed: list[AnnexRow] = []
    for index, row in kept:
        values: dict[str, Any] = {}
        confidence: dict[str, float] = {}
        for spec_field in spec.fields:
            if spec_field.kind == "ignore":
                continue
            if spec_field.name in under.get(index, {}):
                values[spec_field.name] = under[index][spec_field.name]
                confidence[spec_field.name] = SUBTITLE_CONFIDENCE
                continue
            if spec_field.name not in columns:
                values[spec_field.name] = None
                if unassigned:
                    confidence[spec_field.name] = UNMAPPED_CONFIDENCE
                continue
            cell = row[columns[spec_field.name]]
            value = _typed_value(spec_field.kind, cell, ticks)
            if spec_field.kind == "bool" and columns[spec_field.name] in pairs:
                value = _answer_of_pair(row, *pairs[columns[spec_field.name]])
            values[spec_field.name] = value
            confidence[spec_field.name] = _cell_confidence(
                spec_field.kind, cell, value, header.confidence.get(spec_field.name, UNMAPPED_CONFIDENCE))
        if not any(values.get(name) is not None for name in spec.identifying):
            continue
        if spec is ANNEXE1 and values.get("conseil_constitue") is False:
            # No conseil citoyen: nothing else can be said of it.
            for name in ANNEXE1_FIELDS[4:]:
                values[name] = None
                confidence[name] = confidence["conseil_constitue"]
        source = RowSource(
            file=provenance.file,
            sheet=provenance.sheet,
            page=provenance.page,
            row=_source_row(index, provenance, transposed),
            attachment=attachment,
            cells=_cell_references(columns, index, provenance, transposed),
        )
        typed.append(AnnexRow(spec.number, values, source, confidence))
    return typed


def _yes_no_pairs(sub_header: list[Cell]) -> dict[int, tuple[int, int]]:
    """A question answered in two boxes: under one header cell, a column
    "Oui" beside a column "Non" (either order). Each of the two columns ->
    (the yes column, the no column)."""
    answers = [parse_bool(c) if isinstance(c, str) and len(c.split()) == 1 else None for c in sub_header]
    pairs: dict[int, tuple[int, int]] = {}
    for column in range(len(answers) - 1):
        first, second = answers[column], answers[column + 1]
        if first is not None and second is not None and first != second:
            yes, no = (column, column + 1) if first else (column + 1, column)
            pairs[column] = pairs[column + 1] = (yes, no)
    return pairs


def _only_yes_and_no(row: list[Cell]) -> bool:
    """A row of box labels only ("Oui", "Non"): not a row of answers, which names its QPV or commune."""
    filled = [c for c in row if not is_null(c)]
    return len(filled) >= 2 and all(isinstance(c, str) and len(c.split()) == 1 and parse_bool(c) is not None
                                    and not is_tick(c) for c in filled)


def _answer_of_pair(row: list[Cell], yes: int, no: int) -> bool | None:
    """The box marked: yes, no, or neither (unknown)."""
    def marked(column: int) -> bool:
        return column < len(row) and parse_bool(row[column]) is True

    if marked(yes) != marked(no):
        return marked(yes)
    return None


def _practice_subtitles(data: list[tuple[int, list[Cell]]], header_row: list[Cell]) -> dict[int, dict[str, str]]:
    """An Annexe 2 laid out one block per kind of practice, without a column
    for it: a row that names a practice alone ("Budgets participatifs") gives
    the type of the rows under it, up to the next such row."""
    current: str | None = None
    types: dict[int, dict[str, str]] = {}
    for index, row in data:
        filled = [c for c in row if not is_null(c)]
        if len(filled) == 1 and not _is_data_row(row, header_row):
            named = named_practice(filled[0])
            current = named or (OTHER_PRACTICE if fold(cell_text(filled[0])).startswith(OTHER_PRACTICE) else None)
        elif current is not None:
            types[index] = {"type": current}
    return types


def _unassigned_columns(columns: dict[str, int], header_row: list[Cell], rows: list[list[Cell]]) -> list[int]:
    """Columns that hold values but were given to no field (comment columns count as given)."""
    assigned = set(columns.values())
    return [
        column for column in range(len(header_row))
        if column not in assigned and any(column < len(row) and not is_null(row[column]) for row in rows)
    ]


def _cell_confidence(kind: str, cell: Cell, value: Any, column: float) -> float:
    """How sure the reader is of one value: as sure as of its column, less
    when the cell's text fits its type badly or not at all."""
    if is_null(cell) or (kind == "bool" and value is not None):
        return round(column, 3)
    if value is None:
        return round(column * UNREADABLE_CONFIDENCE, 3)
    fit = value_fit(kind, cell)
    return round(column * max(fit, 0.5), 3)


def _cell_references(columns: dict[str, int], index: int, provenance: Provenance, transposed: bool) -> dict[str, str]:
    """Field -> where its cell is: "C5" in a sheet read from a known
    range, else the column's number in the table ("col 3")."""
    match = re.match(r"([A-Z]+)(\d+)", provenance.cell_range or "")
    references = {}
    for name, column in columns.items():
        if name.startswith("_"):
            continue
        if match and not transposed:
            letters = _column_letters(_column_number(match.group(1)) + column)
            references[name] = f"{letters}{_source_row(index, provenance, False)}"
        else:
            references[name] = f"col {column + 1}" if not transposed else f"row {column + 1}"
    return references


def _column_number(letters: str) -> int:
    """`A` -> 0, `AA` -> 26."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _column_letters(number: int) -> str:
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _first_value(row: list[Cell]) -> Cell:
    """The first filled cell of a row."""
    return next(c for c in row if not is_null(c))


def _is_data_row(row: list[Cell], header_row: list[Cell]) -> bool:
    filled = [cell_text(c) for c in row if not is_null(c)]
    if not filled:
        return False
    if len(row) > 2 and len(set(filled)) == 1 and len(filled) > 1:
        return False  # one merged cell across the table: a title or a comment
    if len(row) >= MIN_COLUMNS_FOR_LONE_CELL and len(filled) == 1 and not is_qpv_code(_first_value(row)):
        return False  # one value across a wide table: a sub-title ("Arrondissement de …"), a note
    first = fold(filled[0])
    if first.startswith(NOT_DATA_PREFIXES):
        return False
    same_as_header = sum(1 for a, b in zip(row, header_row) if not is_null(a) and cell_text(a) == cell_text(b))
    return same_as_header < max(2, len(filled) // 2)  # a header repeated on the next page


def _typed_value(kind: str, cell: Cell, ticks: bool) -> Any:
    if kind == "bool":
        return parse_bool(cell, ticks=ticks)
    if kind == "int":
        return parse_int(cell)
    if kind == "amount":
        return parse_amount(cell)
    if kind == "month":
        return parse_month(cell)
    if kind == "year":
        return parse_year(cell)
    if kind == "qpv":
        return normalise_qpv_code(cell)
    if kind == "practice":
        return practice_type(cell)
    return parse_text(cell)


def _source_row(index: int, provenance: Provenance, transposed: bool) -> int:
    """Row number as a person would find it: for a sheet read from A1, the sheet's row."""
    offset = 0
    if provenance.cell_range and not transposed:
        match = re.match(r"[A-Z]+(\d+)", provenance.cell_range)
        if match:
            offset = int(match.group(1)) - 1
    return index + 1 + offset


# -- value helpers ---------------------------------------------------------------------------


def _department_labels(rows: Iterable[list[Cell]]) -> list[str]:
    """Text after a `Département :` label in the title rows of an annex."""
    labels = []
    for row in rows:
        cells = [cell_text(c) for c in row]
        for index, text in enumerate(cells):
            if not fold(text).startswith(("departement", "dept", "territoire")):
                continue
            _, _, after = text.partition(":")
            value = after.strip() or next((c for c in cells[index + 1 :] if c and c != text), "")
            if value:
                labels.append(value)
    return labels


def _rectangular(rows: list[list[Cell]]) -> list[list[Cell]]:
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows]


# -- de-duplication --------------------------------------------------------------------------


def deduplicate(rows: list[AnnexRow]) -> list[AnnexRow]:
    """One row per conseil citoyen (Annexe 1) or practice (Annexe 2) within a
    message: the same annex attached as XLSX and PDF gives each row twice.
    The most complete copy is kept, in the order rows were first seen."""
    kept: dict[tuple, AnnexRow] = {}
    for row in rows:
        key = _identity(row)
        if key not in kept or row.filled() > kept[key].filled():
            kept[key] = row  # a dict keeps the key's first position
    return list(kept.values())


def _identity(row: AnnexRow) -> tuple:
    values = row.values

    def norm(name: str) -> Any:
        value = values.get(name)
        return fold(value) if isinstance(value, str) else value

    if row.annex == 1:
        if values.get("qpv_code"):
            return (1, values["qpv_code"])
        return (1, norm("commune"), norm("qpv_nom"))
    return (2, norm("type"), norm("commune"), norm("qpv_code"), norm("porteur"), norm("annee_creation"),
            norm("habitants_mobilises"))


def row_contract(row: AnnexRow) -> dict[str, Any]:
    """A row in the export contract's shape (the truth schema's field order)."""
    names = ANNEXE1_FIELDS if row.annex == 1 else ANNEXE2_FIELDS
    return {name: row.values.get(name) for name in names}
