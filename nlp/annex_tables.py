"""Annexe 1 and Annexe 2 tables, wherever they are, as typed rows.

The annexes come back as the template sent, or retyped: columns renamed
("Ville", "N° QPV", "CC constitué ?"), reordered, merged; extra title rows,
two-row headers, totals and comment rows; sometimes transposed; in a sheet,
a Word table or a PDF table. So nothing here depends on a position or a
format: every table block of every document is searched for a header row
whose cells resemble the canonical fields (rapidfuzz on folded text, with
abbreviations expanded), the values below it confirm the mapping (a column
of `QN...` codes is a QPV code column, a column of `oui`/`X` a boolean), and
each data row is normalised to the truth schema's types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from bilan.nlp.text import fold
from bilan.nlp.values import (
    cell_text,
    is_null,
    is_tick,
    looks_like_bool,
    looks_like_date,
    looks_like_number,
    looks_like_year,
    parse_amount,
    parse_bool,
    parse_int,
    parse_month,
    parse_text,
    parse_year,
)
from bilan.parsers.document import Block, Cell, Document, Provenance
from bilan.parsers.message import ParsedMessage

# -- canonical fields ------------------------------------------------------------------------

#: Words people abbreviate in column headers, expanded before comparing.
ABBREVIATIONS = {
    "nb": "nombre", "nbre": "nombre", "nbr": "nombre", "n": "numero", "no": "numero", "num": "numero",
    "cc": "conseil citoyen", "hab": "habitants", "ann": "annee", "struct": "structure", "dt": "date",
    "qp": "qpv", "cv": "contrat de ville", "mbres": "membres", "mb": "membres", "creat": "creation",
}

QPV_CODE = re.compile(r"^QN(\d{3}|02[AB])(\d{2})([A-Z]?)$")


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field, how its headers are written, and what its values look like."""

    name: str
    kind: str  # text | qpv | bool | month | int | amount | year | practice | ignore
    headers: tuple[str, ...]


@dataclass(frozen=True)
class AnnexSpec:
    number: int
    fields: tuple[FieldSpec, ...]
    #: A row is a row of this annex only if one of these has a value.
    identifying: tuple[str, ...]
    #: Fields only this annex has: at least one must be found in its header.
    distinctive: tuple[str, ...]

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


_COMMENT_HEADERS = ("observations", "commentaires", "remarques", "precisions", "commentaire", "observation")

ANNEXE1 = AnnexSpec(
    number=1,
    fields=(
        FieldSpec("commune", "text", ("commune", "ville", "nom de la commune", "localite", "commune concernee")),
        FieldSpec("qpv_code", "qpv", ("code qpv", "numero qpv", "code du quartier prioritaire", "identifiant qpv",
                                      "code quartier", "qpv code")),
        FieldSpec("qpv_nom", "text", ("nom du quartier prioritaire", "quartier", "nom du qpv", "nom du quartier",
                                      "quartier prioritaire", "qpv nom", "libelle qpv", "quartier concerne")),
        FieldSpec("conseil_constitue", "bool", ("conseil citoyen constitue", "constitue", "conseil constitue",
                                                "existence du conseil citoyen", "conseil citoyen existant")),
        FieldSpec("date_creation", "month", ("date de creation", "creation", "date de constitution",
                                             "date creation", "cree le", "date de mise en place")),
        FieldSpec("membres_habitants", "int", ("nombre de membres college habitants", "nombre habitants",
                                               "membres habitants", "college habitants", "nombre de membres habitants",
                                               "nombre d habitants membres")),
        FieldSpec("membres_acteurs_locaux", "int", ("nombre de membres college acteurs locaux",
                                                    "nombre acteurs locaux", "membres acteurs locaux",
                                                    "college acteurs locaux", "nombre de membres acteurs locaux")),
        FieldSpec("actif", "bool", ("conseil citoyen actif en 2021", "actif", "conseil actif", "actif en 2021",
                                    "en activite", "conseil citoyen actif")),
        FieldSpec("structure_porteuse", "text", ("structure porteuse", "porteur", "structure support",
                                                 "association porteuse", "portage", "structure d appui")),
        FieldSpec("participation_pilotage", "bool", (
            "participation aux instances de pilotage du contrat de ville", "associe au pilotage", "pilotage",
            "participation au pilotage", "participation aux instances de pilotage", "associe au pilotage du contrat de ville")),
        FieldSpec("formation_suivie", "bool", ("formation suivie par les membres", "formation", "formation suivie",
                                               "membres formes", "formation des membres")),
        FieldSpec("budget_annuel_eur", "amount", ("budget annuel de fonctionnement", "budget", "budget annuel",
                                                  "budget de fonctionnement", "montant", "financement annuel")),
        FieldSpec("_comment", "ignore", _COMMENT_HEADERS),
    ),
    identifying=("commune", "qpv_code", "qpv_nom"),
    distinctive=("conseil_constitue", "membres_habitants", "membres_acteurs_locaux", "actif",
                 "participation_pilotage", "formation_suivie", "budget_annuel_eur", "date_creation"),
)

ANNEXE2 = AnnexSpec(
    number=2,
    fields=(
        FieldSpec("type", "practice", ("type de demarche", "dispositif", "demarche", "type", "type de dispositif",
                                       "nature de la demarche", "pratique participative", "type de pratique")),
        FieldSpec("commune", "text", ("commune", "ville", "nom de la commune", "localite")),
        FieldSpec("qpv_code", "qpv", ("code qpv le cas echeant", "code qpv", "qpv", "numero qpv", "quartier qpv",
                                      "qpv concerne")),
        FieldSpec("porteur", "text", ("structure porteuse", "porteur", "porte par", "structure", "pilote")),
        FieldSpec("annee_creation", "year", ("annee de creation", "date de creation", "creation", "annee",
                                             "annee de mise en place", "depuis")),
        FieldSpec("habitants_mobilises", "int", ("nombre d habitants mobilises en 2021", "nombre d habitants",
                                                 "habitants mobilises", "nombre de participants", "participants",
                                                 "nombre d habitants mobilises", "habitants")),
        FieldSpec("_comment", "ignore", _COMMENT_HEADERS),
    ),
    identifying=("type", "commune"),
    distinctive=("type", "habitants_mobilises", "annee_creation"),
)

SPECS = (ANNEXE1, ANNEXE2)
ANNEXE1_FIELDS = tuple(f.name for f in ANNEXE1.fields if f.kind != "ignore")
ANNEXE2_FIELDS = tuple(f.name for f in ANNEXE2.fields if f.kind != "ignore")

#: Annexe 2 practice types: folded cue -> canonical type. "Autre (...)" is `autre`.
PRACTICE_TYPES = (
    ("table de quartier", "table_de_quartier"), ("tables de quartier", "table_de_quartier"),
    ("fonds de participation", "fph"), ("fond de participation", "fph"), ("fph", "fph"),
    ("maison du projet", "maison_du_projet"), ("maison de projet", "maison_du_projet"),
    ("maisons du projet", "maison_du_projet"),
    ("budget participatif", "budget_participatif"), ("budgets participatifs", "budget_participatif"),
)

#: First words of rows that are not data: totals, comments, notes.
NOT_DATA_PREFIXES = ("total", "sous total", "totaux", "ensemble", "commentaire", "commentaires", "remarque",
                     "observation", "nota", "note", "source", "legende", "*")

MIN_HEADER_SIMILARITY = 72.0
MIN_FIELDS = 3
MAX_HEADER_SEARCH = 25
#: Longer cells are sentences (instructions, comments), not column headers.
MAX_HEADER_LENGTH = 120


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


def extract_annex_tables(parsed: ParsedMessage) -> AnnexTables:
    """All annex rows of a message: body, attachments, files inside archives
    and forwarded messages. The same annex sent twice (XLSX and PDF) counts once."""
    result = AnnexTables()
    for attachment, document in parsed.documents():
        index = None if attachment is None else attachment.index
        for table in find_annex_tables(document, attachment=index):
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


def find_annex_tables(document: Document, attachment: int | None = None) -> list[AnnexTable]:
    tables: list[AnnexTable] = []
    for block in document.tables:
        tables.extend(tables_in_block(block, attachment))
    return tables


def tables_in_block(block: Block, attachment: int | None = None) -> list[AnnexTable]:
    """Annex tables of one table block: as laid out, or else transposed."""
    rows = _rectangular(block.rows or [])
    if not rows:
        return []
    found = _tables_in_rows(rows, block.provenance, attachment, transposed=False)
    if not found and len(rows[0]) >= 2:
        transposed = _rectangular([list(column) for column in zip(*rows)])
        found = _tables_in_rows(transposed, block.provenance, attachment, transposed=True)
    return found


# -- header detection ------------------------------------------------------------------------


@dataclass
class _Header:
    spec: AnnexSpec
    row: int
    columns: dict[str, int]
    score: float


def _tables_in_rows(
    rows: list[list[Cell]], provenance: Provenance, attachment: int | None, transposed: bool
) -> list[AnnexTable]:
    tables: list[AnnexTable] = []
    start = 0
    while start < len(rows):
        header = _find_header(rows, start)
        if header is None:
            break
        end = header.row + 1
        while end < len(rows):
            following = _find_header(rows, end, only_at=True) if _looks_like_header(rows[end]) else None
            if following is not None and not (following.spec is header.spec and following.columns == header.columns):
                break  # another table starts; the same header again is a page break
            end += 1
        labels = _department_labels(rows[start : header.row])
        data = [(i, rows[i]) for i in range(header.row + 1, end)]
        typed = _typed_rows(header, data, rows[header.row], provenance, attachment, transposed)
        tables.append(AnnexTable(header.spec, typed, header.columns, labels))
        start = end
    return tables


def _find_header(rows: list[list[Cell]], start: int, only_at: bool = False) -> _Header | None:
    """The first header row at or after `start` (only `start` itself when
    `only_at`). When the next row or two read as a better header of the same
    annex (a title or group row came first), that one is taken."""
    last = start + 1 if only_at else min(len(rows), start + MAX_HEADER_SEARCH)
    for index in range(start, last):
        found = _header_at(rows, index, start)
        if found is None:
            continue
        for following in range(index + 1, min(index + 3, len(rows))):
            better = _header_at(rows, following, start)
            if better is not None and better.spec is found.spec and len(better.columns) > len(found.columns):
                found = better
        return found
    return None


def _header_at(rows: list[list[Cell]], index: int, start: int) -> _Header | None:
    row = rows[index]
    filled = [c for c in row if not is_null(c)]
    if len(filled) < MIN_FIELDS or all(isinstance(c, (int, float)) for c in filled):
        return None
    above = rows[index - 1] if index > start else None
    below = rows[index + 1] if index + 1 < len(rows) else None
    similarities = [_column_similarities(variants) for variants in _header_texts(row, above, below)]
    specs = [spec for spec in SPECS if _may_be_header(spec, similarities)]
    if not specs:
        return None  # most rows of most tables: no need to read the values below
    data = []
    for following in rows[index + 1 : index + 31]:
        if _looks_like_header(following):
            break  # another table starts
        if _is_data_row(following, row):
            data.append(following)
    best: _Header | None = None
    for spec in specs:
        columns, score = _map_similar_columns(spec, similarities, data)
        named = [f for f in columns if not f.startswith("_")]
        if len(named) < MIN_FIELDS or not any(f in columns for f in spec.distinctive):
            continue
        if best is None or score > best.score:
            best = _Header(spec, index, columns, score)
    return best


def _may_be_header(spec: AnnexSpec, similarities: list[tuple[float, ...] | None]) -> bool:
    """Can this row be a header of `spec` at all? Enough columns resemble one
    of its named fields, and one a distinctive field. The values' types only
    ever remove candidates (see `_map_similar_columns`), so a row that fails
    here fails there too; this test is only cheaper."""
    offset = _FIELD_OFFSETS[spec.number]
    named = [i for i, f in enumerate(spec.fields) if not f.name.startswith("_")]
    distinctive = [i for i, f in enumerate(spec.fields) if f.name in spec.distinctive]
    columns = [s[offset : offset + len(spec.fields)] for s in similarities if s is not None]
    matching = sum(1 for s in columns if any(s[i] >= MIN_HEADER_SIMILARITY for i in named))
    return matching >= MIN_FIELDS and any(s[i] >= MIN_HEADER_SIMILARITY for s in columns for i in distinctive)


def _looks_like_header(row: list[Cell]) -> bool:
    """A cheap test: three cells or more that read like field headers."""
    hits = 0
    for cell in row:
        if isinstance(cell, str) and len(cell) <= MAX_HEADER_LENGTH and _reads_like_a_header(cell):
            hits += 1
    return hits >= MIN_FIELDS


@lru_cache(maxsize=65536)
def _reads_like_a_header(text: str) -> bool:
    return max(_core_similarities(header_core(text)), default=0.0) >= 85


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


def map_columns(
    spec: AnnexSpec, header_texts: list[list[str]], data: Sequence[Sequence[Cell]] = ()
) -> tuple[dict[str, int], float]:
    """Assign columns to fields by header similarity, confirmed by the values'
    types; each column to one field at most. Returns field -> column and the
    total score."""
    return _map_similar_columns(spec, [_column_similarities(v) for v in header_texts], data)


def _map_similar_columns(
    spec: AnnexSpec, similarities: list[tuple[float, ...] | None], data: Sequence[Sequence[Cell]]
) -> tuple[dict[str, int], float]:
    """`map_columns` from each column's similarities to every field (see
    `_column_similarities`)."""
    candidates: list[tuple[float, str, int]] = []
    offset = _FIELD_OFFSETS[spec.number]
    for column, column_similarities in enumerate(similarities):
        if column_similarities is None:
            continue
        values: list[Cell] | None = None  # read only for a column that resembles a field
        for position, spec_field in enumerate(spec.fields):
            similarity = column_similarities[offset + position]
            if similarity < MIN_HEADER_SIMILARITY:
                continue
            if values is None:
                values = [row[column] for row in data if column < len(row) and not is_null(row[column])]
            fit = type_fit(spec_field.kind, values)
            if fit is not None and fit < 0.5 and spec_field.kind != "ignore":
                continue  # the values say it is another kind of column
            score = similarity / 100 * 0.75 + (0.5 if fit is None else fit) * 0.25
            candidates.append((score, spec_field.name, column))
    columns: dict[str, int] = {}
    total = 0.0
    for score, name, column in sorted(candidates, key=lambda c: (-c[0], c[2])):
        if name in columns or column in columns.values():
            continue
        columns[name] = column
        total += score
    return columns, total


def _column_similarities(variants: list[str]) -> tuple[float, ...] | None:
    """For one column, the best similarity of any way its header reads to
    each field of every annex (`_ALL_FIELDS` order); None for a column with no
    header text."""
    if not variants:
        return None
    per_core = [_core_similarities(header_core(text)) for text in variants if len(text) <= MAX_HEADER_LENGTH]
    if not per_core:
        return (0.0,) * len(_ALL_FIELDS)
    return tuple(max(values) for values in zip(*per_core))


#: Every field of every annex, in order; a spec's fields start at its offset.
_ALL_FIELDS: tuple[FieldSpec, ...] = tuple(f for spec in SPECS for f in spec.fields)
_FIELD_OFFSETS: dict[int, int] = {
    spec.number: sum(len(s.fields) for s in SPECS[:position]) for position, spec in enumerate(SPECS)
}


@lru_cache(maxsize=1)
def _synonym_cores() -> tuple[list[str], list[str], list[int]]:
    """The synonyms' cores, the same without spaces, and where each field's
    synonyms start in these lists."""
    cores: list[str] = []
    starts: list[int] = []
    for spec_field in _ALL_FIELDS:
        starts.append(len(cores))
        cores.extend(header_core(synonym) for synonym in spec_field.headers)
    return cores, [c.replace(" ", "") for c in cores], starts


@lru_cache(maxsize=65536)
def _core_similarities(core: str) -> tuple[float, ...]:
    """How much a header core reads like each field (`_ALL_FIELDS` order):
    the best `_core_similarity` to any of its synonyms, cached per core: a
    table repeats the same few header texts over many candidate rows and
    messages. (Plain scorer calls, not `process.cdist`: for one text against
    a hundred synonyms they are as fast, and they keep the GIL, which cdist
    releases and must then wait for while the parse threads run.)"""
    cores, compact, starts = _synonym_cores()
    if not core:
        return (0.0,) * len(_ALL_FIELDS)
    core_compact = core.replace(" ", "")
    scores = [
        max(fuzz.ratio(core, synonym), fuzz.token_sort_ratio(core, synonym), fuzz.ratio(core_compact, synonym_compact))
        if synonym else 0.0  # as `_core_similarity`: an empty core matches nothing
        for synonym, synonym_compact in zip(cores, compact)
    ]
    ends = [*starts[1:], len(scores)]
    return tuple(max(scores[start:end]) for start, end in zip(starts, ends))


def header_similarity(header: str, synonym: str) -> float:
    """0-100: how much a header cell reads like a synonym of a field, ignoring
    accents, case, hints in parentheses, abbreviations and stray spaces
    (PDF extraction breaks words: "Commu ne")."""
    return _core_similarity(header_core(header), header_core(synonym))


@lru_cache(maxsize=65536)
def _core_similarity(left: str, right: str) -> float:
    if not left or not right:
        return 0.0
    return max(
        fuzz.ratio(left, right),
        fuzz.token_sort_ratio(left, right),
        fuzz.ratio(left.replace(" ", ""), right.replace(" ", "")),
    )


@lru_cache(maxsize=65536)
def header_core(text: str) -> str:
    text = re.sub(r"\([^)]*\)", " ", text)  # hints: (oui/non), (mm/aaaa), (€), (le cas échéant)
    words = re.sub(r"[^a-z0-9 ]", " ", fold(text)).split()
    expanded = []
    for word in words:
        expanded.extend(ABBREVIATIONS.get(word, word).split())
    return " ".join(w for w in expanded if w not in {"de", "du", "des", "la", "le", "les", "d", "l", "en", "par", "aux", "au", "a"})


def type_fit(kind: str, values: list[Cell]) -> float | None:
    """Share of a column's values that fit a field kind (None: nothing to judge)."""
    if not values or kind in ("ignore",):
        return None
    checks = {
        "text": lambda v: not looks_like_number(v) and not looks_like_bool(v) and not _is_qpv_code(v),
        "practice": lambda v: not looks_like_number(v) and not _is_qpv_code(v),
        "qpv": _is_qpv_code,
        "bool": lambda v: looks_like_bool(v) or is_tick(v),
        "month": looks_like_date,
        "int": lambda v: looks_like_number(v),
        "amount": lambda v: looks_like_number(v),
        "year": lambda v: looks_like_year(v) or looks_like_date(v),
    }
    check = checks[kind]
    return sum(1 for v in values if check(v)) / len(values)


# -- data rows -------------------------------------------------------------------------------


def _typed_rows(
    header: _Header,
    data: list[tuple[int, list[Cell]]],
    header_row: list[Cell],
    provenance: Provenance,
    attachment: int | None,
    transposed: bool,
) -> list[AnnexRow]:
    spec, columns = header.spec, header.columns
    kept = [(i, row) for i, row in data if _is_data_row(row, header_row)]
    bool_columns = [columns[f.name] for f in spec.fields if f.kind == "bool" and f.name in columns]
    # In a table that marks "yes" with a tick, a blank box means "no".
    ticks = any(is_tick(row[c]) for _, row in kept for c in bool_columns)
    typed: list[AnnexRow] = []
    for index, row in kept:
        values = {
            f.name: _typed_value(f.kind, row[columns[f.name]], ticks) if f.name in columns else None
            for f in spec.fields
            if f.kind != "ignore"
        }
        if not any(values.get(name) is not None for name in spec.identifying):
            continue
        if spec is ANNEXE1 and values.get("conseil_constitue") is False:
            # No conseil citoyen: nothing else can be said of it.
            for name in ANNEXE1_FIELDS[4:]:
                values[name] = None
        source = RowSource(
            file=provenance.file,
            sheet=provenance.sheet,
            page=provenance.page,
            row=_source_row(index, provenance, transposed),
            attachment=attachment,
        )
        typed.append(AnnexRow(spec.number, values, source))
    return typed


def _is_data_row(row: list[Cell], header_row: list[Cell]) -> bool:
    filled = [cell_text(c) for c in row if not is_null(c)]
    if not filled:
        return False
    if len(row) > 2 and len(set(filled)) == 1 and len(filled) > 1:
        return False  # one merged cell across the table: a title or a comment
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


def normalise_qpv_code(cell: Cell) -> str | None:
    """`qn 093 01m` -> `QN09301M`; null markers and non-codes give None."""
    text = parse_text(cell)
    if text is None:
        return None
    compact = re.sub(r"[\s._\-]", "", text.upper())
    match = re.search(r"QN(\d{3}|02[AB])\d{2}[A-Z]?(?![A-Z0-9])", compact)
    return match.group() if match else None


def _is_qpv_code(cell: Cell) -> bool:
    return normalise_qpv_code(cell) is not None


def department_of_qpv(code: str | None) -> str | None:
    """QPV codes are `QN` + the department on three characters + a number:
    `QN09301` is in 93, `QN02A01` in 2A, `QN97401` in 974."""
    if not code:
        return None
    match = QPV_CODE.match(code)
    if not match:
        return None
    department = match.group(1)
    if department.startswith("97"):
        return department
    return department[1:]


def practice_type(cell: Cell) -> str | None:
    """Annexe 2's kind of practice; anything else named is `autre`."""
    text = parse_text(cell)
    if text is None:
        return None
    folded = fold(text)
    if folded.startswith("autre"):
        return "autre"
    for cue, kind in PRACTICE_TYPES:
        if re.search(rf"\b{cue}\b", folded):
            return kind
    return "autre"


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
