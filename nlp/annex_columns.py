"""Which column of a table holds which field of an annex, by meaning and by content.

The annexes come back retyped: columns renamed in the writer's own words,
reordered, split over two header rows, or with no header at all. So the
columns are matched to the fields as one assignment problem over the whole
table (the Hungarian algorithm), each column-field pair scored from

- what its values are: QPV codes, names of practices, communes of the
  reference list, years, dates, small counts, amounts, yes/no answers, free
  text. A column of `QN...` codes is the QPV column whatever its header says;
- what its header means: its closeness (`bilan.nlp.phrases`) to the header of
  the ANCT template and to a one-line description of the field;
- where the template puts the field, as a weak prior.

`ANCHORS=templates` (env `BILAN_ANNEX_ANCHORS=templates`) is an ablation: the
templates' header texts are then the only header anchors (no descriptions, no
abbreviations), to measure what the templates alone are worth.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from scipy.optimize import linear_sum_assignment

from bilan.nlp.phrases import Phrase, PhraseBank, phrase, same_lemma, similarity
from bilan.nlp.text import fold
from bilan.nlp.values import (
    cell_text,
    is_null,
    is_tick,
    looks_like_bool,
    looks_like_date,
    looks_like_number,
    looks_like_year,
    parse_month,
    parse_number,
    parse_text,
    parse_year,
    remembered_per_text,
)
from bilan.parsers.document import Cell

ENV_ANCHORS = "BILAN_ANNEX_ANCHORS"
#: "meaning": templates, descriptions and abbreviations; "templates": the templates' header texts only.
ANCHOR_MODES = ("meaning", "templates")


def anchor_mode(anchors: str | None = None) -> str:
    """The header anchors in use: the argument, else the environment, else "meaning"."""
    mode = anchors or os.environ.get(ENV_ANCHORS) or "meaning"
    if mode not in ANCHOR_MODES:
        raise ValueError(f"{ENV_ANCHORS} must be one of {ANCHOR_MODES}, not {mode!r}")
    return mode


# -- fields ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field: its kind of values, its header in the ANCT template,
    and what it means in one line (written from the field's definition)."""

    name: str
    kind: str  # text | commune | qpv | bool | month | int | amount | year | practice | ignore
    template: str
    description: str


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


_COMMENT = "Observations"  # the Annexe 2 template's last column
_COMMENT_MEANING = "observations, commentaires ou remarques libres"

ANNEXE1 = AnnexSpec(
    number=1,
    fields=(
        FieldSpec("commune", "commune", "Commune", "commune, ville ou localité"),
        FieldSpec("qpv_code", "qpv", "Code QPV", "code, numéro ou identifiant du quartier prioritaire QPV"),
        FieldSpec("qpv_nom", "text", "Nom du quartier prioritaire (QPV)", "nom du quartier"),
        FieldSpec("conseil_constitue", "bool", "Conseil citoyen constitué (oui/non)",
                  "existence du conseil citoyen, créé ou constitué"),
        FieldSpec("date_creation", "month", "Date de création (mm/aaaa)",
                  "date de création ou de constitution, mois et année"),
        FieldSpec("membres_habitants", "int", "Nombre de membres - collège habitants",
                  "nombre de membres habitants"),
        FieldSpec("membres_acteurs_locaux", "int", "Nombre de membres - collège acteurs locaux",
                  "nombre de membres acteurs locaux, associations"),
        FieldSpec("actif", "bool", "Conseil citoyen actif en 2021 (oui/non)",
                  "conseil en activité, qui fonctionne"),
        FieldSpec("structure_porteuse", "text", "Structure porteuse",
                  "structure, association ou organisme qui porte, soutient ou accompagne"),
        FieldSpec("participation_pilotage", "bool",
                  "Participation aux instances de pilotage du contrat de ville (oui/non)",
                  "associé au pilotage, aux instances ou comités du contrat de ville"),
        FieldSpec("formation_suivie", "bool", "Formation suivie par les membres (oui/non)",
                  "membres formés, ayant suivi une formation"),
        FieldSpec("budget_annuel_eur", "amount", "Budget annuel de fonctionnement (€)",
                  "budget, montant annuel ou financement en euros"),
        FieldSpec("_comment", "ignore", _COMMENT, _COMMENT_MEANING),
    ),
    identifying=("commune", "qpv_code", "qpv_nom"),
    distinctive=("conseil_constitue", "membres_habitants", "membres_acteurs_locaux", "actif",
                 "participation_pilotage", "formation_suivie", "budget_annuel_eur", "date_creation"),
)

ANNEXE2 = AnnexSpec(
    number=2,
    fields=(
        FieldSpec("type", "practice", "Type de démarche", "type ou nature de la démarche ou pratique participative"),
        FieldSpec("commune", "commune", "Commune", "commune, ville ou localité"),
        FieldSpec("qpv_code", "qpv", "Code QPV (le cas échéant)",
                  "code, numéro ou identifiant du quartier prioritaire QPV"),
        FieldSpec("porteur", "text", "Structure porteuse",
                  "structure, association ou organisme qui porte, pilote ou organise"),
        FieldSpec("annee_creation", "year", "Année de création", "année de création, de lancement ou de mise en place"),
        FieldSpec("habitants_mobilises", "int", "Nombre d'habitants mobilisés en 2021",
                  "nombre d'habitants mobilisés, participants"),
        FieldSpec("_comment", "ignore", _COMMENT, _COMMENT_MEANING),
    ),
    identifying=("type", "commune"),
    distinctive=("type", "habitants_mobilises", "annee_creation"),
)

SPECS = (ANNEXE1, ANNEXE2)

#: Words people abbreviate in headers (general French), expanded before
#: comparing; not used by the template-only ablation.
ABBREVIATIONS = {
    "nb": "nombre", "nbre": "nombre", "nbr": "nombre", "n°": "numéro", "no": "numéro", "num": "numéro",
    "hab": "habitants", "ann": "année", "struct": "structure", "dt": "date", "mbres": "membres", "mb": "membres",
    "creat": "création", "cc": "conseil citoyen", "cv": "contrat de ville", "qp": "quartier prioritaire",
    "asso": "association", "assoc": "association", "réf": "référence", "ref": "référence",
}

#: The kinds of practice the campaign names (the Annexe 2 instruction:
#: "table de quartier, fonds de participation des habitants, maison du
#: projet NPNRU, budget participatif, autre démarche à préciser").
PRACTICES = (
    ("table_de_quartier", "table de quartier"),
    ("fph", "fonds de participation des habitants"),
    ("maison_du_projet", "maison du projet"),
    ("budget_participatif", "budget participatif"),
)
#: Acronyms of the instruction's practices.
PRACTICE_ACRONYMS = {"fph": "fph"}
OTHER_PRACTICE = "autre"
#: How close a value must be to a practice's name (with the same head noun).
MIN_PRACTICE_SIMILARITY = 0.7

# -- scoring weights -------------------------------------------------------------------------

HEADER_WEIGHT = 0.6
VALUE_WEIGHT = 0.4
ORDER_WEIGHT = 0.06
#: Values that say what a column is on their own add this much.
SIGNATURE_BONUS = 0.35
#: A header spelled like an anchor counts this much of the same meaning.
SPELLING_WEIGHT = 0.95
#: A pair below this is no match: the field stays unmapped.
MIN_PAIR_SCORE = 0.42
#: A header cell reads like a field's header from this similarity on.
MIN_HEADER_SIMILARITY = 0.6
#: A row may be a header when this many of its cells reach this similarity.
MIN_HEADER_CANDIDATE_SIMILARITY = 0.6
#: Values decide alone (a table with no header) from this share on.
MIN_SIGNATURE_SHARE = 0.8
#: A cell of at most this many words that holds one year is read as that year.
MAX_WORDS_AROUND_A_YEAR = 4
#: Longer cells are sentences (instructions, comments), not column headers.
MAX_HEADER_LENGTH = 120


# -- what a header means ---------------------------------------------------------------------


def header_scores(text: str, spec: AnnexSpec, anchors: str | None = None) -> tuple[float, ...]:
    """0-1 per field of `spec`: how much the header text `text` reads like it."""
    return _header_scores(text, anchor_mode(anchors))[spec.number]


@lru_cache(maxsize=65536)
def _header_scores(text: str, mode: str) -> dict[int, tuple[float, ...]]:
    """Per annex, the scores of its fields (cached per distinct text: a
    corpus repeats the same header texts over and over)."""
    bank = _anchor_bank(mode)
    if not _may_be_a_header_text(text):
        return {spec.number: (0.0,) * len(spec.fields) for spec in SPECS}
    best = np.zeros(len(bank.owners))
    for core, variant in _header_variants(text, mode):
        spelling = _spellings(core, bank.compact_cores)
        best = np.maximum(best, np.maximum(bank.phrases.similarities(variant), spelling))
    scores: dict[int, list[float]] = {spec.number: [0.0] * len(spec.fields) for spec in SPECS}
    for (number, position), score in zip(bank.owners, best):
        scores[number][position] = max(scores[number][position], round(min(float(score), 1.0), 4))
    return {number: tuple(values) for number, values in scores.items()}


def _may_be_a_header_text(text: str) -> bool:
    """Words, short enough; not a value (a number, a code, a date, yes/no)."""
    if not text or len(text) > MAX_HEADER_LENGTH or not _WORD.search(text) or is_question(text):
        return False
    return not (is_qpv_code(text) or looks_like_number(text) or looks_like_bool(text) or looks_like_date(text))


_WORD = re.compile(r"[^\W\d_]{2}")
#: What makes a French question a sentence rather than a column title
#: ("Actif ?"): a pronoun or an interrogative word.
_QUESTION_WORDS = frozenset({
    "vous", "nous", "je", "tu", "il", "elle", "ils", "elles", "on", "votre", "vos", "quel", "quelle", "quels",
    "quelles", "combien", "comment", "pourquoi", "quand", "qui", "que", "quoi", "est-ce", "lequel", "laquelle",
})


def is_question(text: str) -> bool:
    """A question put to a person (a form's label), not a column title."""
    if "?" not in text:
        return False
    words = re.findall(r"[a-z]+(?:-ce)?", fold(text))
    return any(word in _QUESTION_WORDS for word in words) or bool(re.search(r"-t-(il|elle|on)\b", fold(text)))


@dataclass(frozen=True)
class _AnchorBank:
    phrases: PhraseBank
    #: Per anchor: its spelling core, and the field it anchors (annex number, position).
    cores: tuple[str, ...]
    owners: tuple[tuple[int, int], ...]
    #: The cores without spaces, for `_spellings`.
    compact_cores: tuple[str, ...]


@lru_cache(maxsize=4)
def _anchor_bank(mode: str) -> _AnchorBank:
    phrases, cores, owners = [], [], []
    for spec in SPECS:
        for position, spec_field in enumerate(spec.fields):
            for core, anchor in _anchors(spec_field, mode):
                phrases.append(anchor)
                cores.append(core)
                owners.append((spec.number, position))
    return _AnchorBank(PhraseBank(phrases), tuple(cores), tuple(owners), tuple(c.replace(" ", "") for c in cores))


def _header_variants(text: str, mode: str) -> list[tuple[str, Phrase]]:
    """A header as written, and without its hints in parentheses ("(oui/non)",
    "(€)"), each with abbreviations expanded unless in template-only mode."""
    text = _without_years(text)
    bare = re.sub(r"\([^)]*\)", " ", text)
    forms = [text] if bare.strip() == text.strip() or not bare.strip() else [bare, text]
    known = _known_words(mode)
    out = []
    for form in forms:
        expanded = form if mode == "templates" else _expand(form)
        out.append((_core(expanded), phrase(expanded, known)))
    return out


#: A year in a header says when ("Actif en 2021", "Formés en 2021"), not what:
#: left out of the comparison, on both sides.
_YEAR_IN_HEADER = re.compile(r"\s*\b(?:en|depuis|au|pour)?\s*\b(?:19|20)\d{2}\b")


def _without_years(text: str) -> str:
    stripped = _YEAR_IN_HEADER.sub(" ", text).strip()
    return stripped if _WORD.search(stripped) else text


def _expand(text: str) -> str:
    words = re.findall(r"n°|[\w']+|[^\w\s]", text.lower())
    return " ".join(ABBREVIATIONS.get(word, word) for word in words)


def _core(text: str) -> str:
    """Folded letters and digits only, for spelling comparisons."""
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(text)).split())


def _spellings(core: str, anchor_cores: Sequence[str]) -> np.ndarray:
    """0-1 spelling closeness to each anchor, blind to spaces (PDF text
    breaks words: "Commu ne"), discounted: meaning is the main signal."""
    compact = core.replace(" ", "")
    if not compact:
        return np.zeros(len(anchor_cores))
    ratios = process.cdist([compact], anchor_cores, scorer=fuzz.ratio, dtype=np.float32)[0]
    return SPELLING_WEIGHT * ratios / 100


@lru_cache(maxsize=4)
def _known_words(mode: str) -> frozenset[str]:
    """Folded words of the anchors, to rejoin words broken by PDF extraction."""
    texts = [t for spec in SPECS for f in spec.fields for t in _anchor_texts(f, mode)]
    if mode != "templates":
        texts += list(ABBREVIATIONS.values())
    return frozenset(w for t in texts for w in re.findall(r"\w+", fold(t)) if len(w) > 2)


def _anchor_texts(spec_field: FieldSpec, mode: str) -> tuple[str, ...]:
    if mode == "templates":
        return (spec_field.template,)
    return (spec_field.template, spec_field.description)


@lru_cache(maxsize=256)
def _anchors(spec_field: FieldSpec, mode: str) -> tuple[tuple[str, Phrase], ...]:
    """The field's anchor phrases, their hints in parentheses dropped."""
    known = _known_words(mode)
    out = []
    for text in _anchor_texts(spec_field, mode):
        bare = re.sub(r"\([^)]*\)", " ", _without_years(text))
        out.append((_core(bare), phrase(bare, known)))
    return tuple(out)


def reads_like_a_header(text: str, anchors: str | None = None) -> bool:
    """A cheap test for a cell: does it read like a header of some annex field?"""
    if not isinstance(text, str) or not text or len(text) > MAX_HEADER_LENGTH:
        return False
    return any(max(header_scores(text, spec, anchors)) >= 0.8 for spec in SPECS)


# -- what the values are ---------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnValues:
    """What a column's non-null values look like: share of each kind (None: no values)."""

    count: int
    shares: dict[str, float]

    def fit(self, kind: str) -> float | None:
        if not self.count or kind not in self.shares:
            return None
        return self.shares[kind]


def column_values(values: Sequence[Cell]) -> ColumnValues:
    present = [v for v in values if not is_null(v)]
    if not present:
        return ColumnValues(0, {})
    profiles = [_profile(v) for v in present]
    shares = {kind: sum(p[i] for p in profiles) / len(present) for i, kind in enumerate(VALUE_KINDS)}
    return ColumnValues(len(present), shares)


VALUE_KINDS = ("qpv", "practice", "commune", "text", "bool", "month", "year", "int", "amount", "ignore")


def _profile(cell: Cell) -> tuple[float, ...]:
    """`value_fit` of one cell for every kind (cached: the rows under a
    header are read again for each candidate header row above them)."""
    try:
        return _cached_profile(type(cell), cell)
    except TypeError:  # an unhashable cell
        return tuple(value_fit(kind, cell) for kind in VALUE_KINDS)


@lru_cache(maxsize=65536)
def _cached_profile(_type: type, cell: Cell) -> tuple[float, ...]:
    return tuple(value_fit(kind, cell) for kind in VALUE_KINDS)


def value_fit(kind: str, cell: Cell) -> float:
    """0-1: how well one non-null value fits a field kind."""
    if kind == "qpv":
        return float(is_qpv_code(cell))
    if kind == "practice":
        if named_practice(cell) is not None:
            return 1.0
        # Any other practice named in words is an `autre`.
        return 0.5 if _is_words(cell) else 0.0
    if kind in ("text", "ignore", "commune"):
        if looks_like_number(cell) or looks_like_bool(cell) or is_qpv_code(cell) or is_tick(cell):
            return 0.0
        if looks_like_date(cell):
            return 0.0
        if kind == "commune":
            return 1.0 if is_commune(cell) else 0.6
        if kind == "ignore":
            return 1.0 if len(cell_text(cell)) > 25 else 0.6
        return 0.8 if is_commune(cell) or named_practice(cell) is not None else 1.0
    if kind == "bool":
        return float(looks_like_bool(cell) or is_tick(cell))
    if kind == "month":
        if parse_month(cell) is not None and not looks_like_year(cell):
            return 1.0
        return 0.4 if looks_like_year(cell) else 0.0
    if kind == "year":
        if looks_like_year(cell):
            return 1.0
        if looks_like_date(cell):
            return 0.7
        # One year among a few words ("depuis 2015", "2021 (expérimentation)").
        return 0.7 if parse_year(cell) is not None and len(cell_text(cell).split()) <= MAX_WORDS_AROUND_A_YEAR else 0.0
    if kind == "int":
        return _count_fit(cell)
    if kind == "amount":
        return _amount_fit(cell)
    return 0.0


def _count_fit(cell: Cell) -> float:
    """A count of people: a whole number, not a year, not in euros."""
    if not looks_like_number(cell) or _says_yes_or_no(cell):
        return 0.0
    number = parse_number(cell)
    if number is None:
        return 0.0
    if "€" in cell_text(cell) or "eur" in fold(cell_text(cell)):
        return 0.3
    if looks_like_year(cell):
        return 0.5  # 2000 people, or the year 2000: the header tells
    return 1.0 if float(number).is_integer() and 0 <= number < 100000 else 0.5


def _amount_fit(cell: Cell) -> float:
    if not looks_like_number(cell) or _says_yes_or_no(cell):
        return 0.0
    text = cell_text(cell)
    if "€" in text or "eur" in fold(text):
        return 1.0
    if looks_like_year(cell):
        return 0.5
    number = parse_number(cell)
    return 0.8 if number is not None and number >= 100 else 0.6


def _is_words(cell: Cell) -> bool:
    return not (looks_like_number(cell) or looks_like_bool(cell) or is_qpv_code(cell) or is_tick(cell)
                or looks_like_date(cell))


def _says_yes_or_no(cell: Cell) -> bool:
    """A yes/no in words or a boolean; a bare 0 or 1 is also a count."""
    return isinstance(cell, bool) or (isinstance(cell, str) and looks_like_bool(cell) and not looks_like_number(cell))


@lru_cache(maxsize=65536)
def _is_commune_name(folded: str) -> bool:
    from bilan.nlp.gazetteer import get_commune_gazetteer

    return bool(get_commune_gazetteer().lookup(folded))


@remembered_per_text
def is_commune(cell: Cell) -> bool:
    """A name from the reference list of communes (a postcode or a
    department in parentheses aside)."""
    text = parse_text(cell)
    if text is None:
        return False
    name = re.sub(r"\([^)]*\)|\b\d{5}\b", " ", text).strip(" -,")
    return bool(name) and _is_commune_name(fold(name))


#: A code as OCR misreads it (O for 0 or Q, I or L for 1): after "QN" come
#: five digits, or "02A"/"02B" and two digits, so no letter is meant there.
_OCR_DIGITS = str.maketrans("OIL", "011")
_OCR_CODE = re.compile(r"(?<![A-Z])(QN|ON)([0-9OIL]{2}(?:[0-9OIL]|(?<=[0O]2)[AB])[0-9OIL]{2})")


_CODE_AMONG_WORDS = re.compile(r"(?<![A-Z0-9])QN[ .]?(?:\d{3}|02[AB])[ .]?\d{2}(?:[A-Z](?![A-Z0-9]))?(?![A-Z0-9])")


@remembered_per_text
def normalise_qpv_code(cell: Cell) -> str | None:
    """`qn 093 01m` -> `QN09301M`; null markers and non-codes give None."""
    text = parse_text(cell)
    if text is None:
        return None
    compact = re.sub(r"[\s._\-|]", "", text.upper())
    compact = _OCR_CODE.sub(lambda m: "QN" + m.group(2).translate(_OCR_DIGITS), compact)
    match = re.search(r"QN(\d{3}|02[AB])\d{2}[A-Z]?(?![A-Z0-9])", compact)
    if match:
        return match.group()
    # The code with the quartier's name beside it ("QN07201 - Les Sablons", "Les Sablons (QN07201)").
    match = _CODE_AMONG_WORDS.search(text.upper())
    return re.sub(r"[\s.]", "", match.group()) if match else None


def is_qpv_code(cell: Cell) -> bool:
    return normalise_qpv_code(cell) is not None


# -- practices -------------------------------------------------------------------------------


def practice_type(cell: Cell) -> str | None:
    """Annexe 2's kind of practice; anything else named is `autre`."""
    text = parse_text(cell)
    if text is None:
        return None
    return named_practice(text) or OTHER_PRACTICE


def named_practice(cell: Cell) -> str | None:
    """The practice a value names, or None when it names none of the
    campaign's (an "Autre : ..." value names `autre` itself)."""
    text = parse_text(cell)
    if text is None or looks_like_number(text):
        return None
    return _named_practice(text)


@lru_cache(maxsize=16384)
def _named_practice(text: str) -> str | None:
    folded = fold(text)
    if re.match(r"autres?\b", folded):
        return OTHER_PRACTICE
    words = re.findall(r"[a-z]+", folded)
    for word in words:
        if word in PRACTICE_ACRONYMS:
            return PRACTICE_ACRONYMS[word]
    if not any(word[:HEAD_NOUN_PREFIX] in _practice_heads() for word in words):
        return None  # no word like a practice's head noun: no need to read it
    value = phrase(re.sub(r"\([^)]*\)", " ", text))
    if value.empty:
        return None
    best, best_score = None, 0.0
    for kind, name in PRACTICES:
        anchor = _practice_phrase(name)
        if not same_lemma(value.lemmas[0], anchor.lemmas[0]):
            continue  # the head noun says what it is: a "maison des associations" is no "maison du projet"
        score = similarity(value, anchor)
        if score > best_score:
            best, best_score = kind, score
    return best if best_score >= MIN_PRACTICE_SIMILARITY else None


#: Letters of a head noun compared by the quick test of `_named_practice`.
HEAD_NOUN_PREFIX = 4


@lru_cache(maxsize=1)
def _practice_heads() -> frozenset[str]:
    return frozenset(fold(_practice_phrase(name).lemmas[0])[:HEAD_NOUN_PREFIX] for _, name in PRACTICES)


@lru_cache(maxsize=16)
def _practice_phrase(name: str) -> Phrase:
    return phrase(name)


# -- the assignment --------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Field -> column, the score of each pair (0-1, the columns' confidence)
    and the total."""

    columns: dict[str, int]
    scores: dict[str, float]
    total: float
    #: Pairs whose header reads like the field, or whose values alone say
    #: what it is (QPV codes, practices).
    named_by_header: int


def map_columns(
    spec: AnnexSpec,
    header_texts: Sequence[Sequence[str]],
    data: Sequence[Sequence[Cell]] = (),
    anchors: str | None = None,
    min_pair: float | None = None,
) -> ColumnMapping:
    """Assign columns to fields, each column to one field at most, as one
    assignment over the table: `header_texts` holds, per column, the ways its
    header may read (empty: no header), `data` the rows below it."""
    width = len(header_texts)
    header = np.zeros((len(spec.fields), width))
    for column, variants in enumerate(header_texts):
        for text in variants:
            header[:, column] = np.maximum(header[:, column], header_scores(text, spec, anchors))
    values = [column_values([row[c] for row in data if c < len(row)]) for c in range(width)]
    if spec is ANNEXE1:
        _read_the_gate(spec, header, data, width)
    return assign(spec, header, values, MIN_PAIR_SCORE if min_pair is None else min_pair)


#: What a column that gates the others is worth as a header of "conseil citoyen constitué".
GATE_HEADER_SCORE = 1.0


def _read_the_gate(spec: AnnexSpec, header: np.ndarray, data: Sequence[Sequence[Cell]], width: int) -> None:
    """Where a conseil citoyen is not constituted, only its commune, code and
    name are given (the instruction). So the column that gates the others is
    "constitué", and a column the gate empties holds none of the identifying fields."""
    gates = _gating_columns(data, width)
    if not gates:
        return
    (gate,) = gates
    rows = [list(row) + [None] * (width - len(row)) for row in data]
    names = [f.name for f in spec.fields]
    header[names.index("conseil_constitue"), gate] = max(header[names.index("conseil_constitue"), gate],
                                                         GATE_HEADER_SCORE)
    identifying = [names.index(name) for name in spec.identifying]
    for column in range(width):
        # a column the gate empties is none of the identifying ones (a
        # column filled on every row may still be a gated field: some name
        # the structure of a conseil not yet constituted)
        if column != gate and any(not is_null(row[column]) for row in rows) and not all(
                not is_null(row[column]) for row in rows):
            header[np.ix_(identifying, [column])] = 0.0


def _gating_columns(data: Sequence[Sequence[Cell]], width: int) -> list[int]:
    """Annexe 1's yes/no column that every row answers, and whose "no" leaves
    the rest of its row empty (no conseil citoyen: nothing else to say of
    it), while a "yes" row fills some of it: whatever its header, it says
    whether the conseil exists."""
    rows = [list(row) + [None] * (width - len(row)) for row in data]
    if len(rows) < 2:
        return []
    always = {c for c in range(width) if all(not is_null(row[c]) for row in rows)}
    others = [c for c in range(width) if c not in always]
    found = []
    for column in always:
        answers = [_yes_no(row[column]) for row in rows]
        if None in answers or not others or all(answers) or not any(answers):
            continue
        rest_empty = [all(is_null(row[c]) for c in others) for row in rows]
        if all(empty for answer, empty in zip(answers, rest_empty) if not answer) and not all(rest_empty):
            found.append(column)
    return found if len(found) == 1 else []


def _yes_no(cell: Cell) -> bool | None:
    from bilan.nlp.values import parse_bool

    return parse_bool(cell) if looks_like_bool(cell) and not looks_like_number(cell) else None


def assign(
    spec: AnnexSpec, header: np.ndarray, values: Sequence[ColumnValues], min_pair: float = MIN_PAIR_SCORE
) -> ColumnMapping:
    """The best one-to-one assignment of fields (rows of `header`) to
    columns; a pair that scores under `min_pair` is no match (leaving a
    field unmapped costs nothing, so a weak pair never displaces a strong one)."""
    scores = _pair_scores(spec, header, values)
    gain = np.maximum(scores - min_pair, 0.0)
    field_index, column_index = linear_sum_assignment(gain, maximize=True)
    columns: dict[str, int] = {}
    pair_scores: dict[str, float] = {}
    total = 0.0
    named = 0
    for i, j in zip(field_index, column_index):
        if gain[i, j] <= 0:
            continue
        name = spec.fields[i].name
        columns[name] = int(j)
        pair_scores[name] = round(float(min(scores[i, j], 1.0)), 3)
        total += float(scores[i, j])
        kind = spec.fields[i].kind
        signature = kind in _SIGNATURE_KINDS and (values[j].fit(kind) or 0) >= MIN_SIGNATURE_SHARE
        named += bool(header[i, j] >= MIN_HEADER_SIMILARITY or signature)
    return ColumnMapping(columns, pair_scores, total, named)


def _pair_scores(spec: AnnexSpec, header: np.ndarray, values: Sequence[ColumnValues]) -> np.ndarray:
    """Field x column scores: header meaning, value fit (0.5 without values),
    template order; a penalty when the values are of another kind, a bonus
    when they alone say what the column is."""
    fields, width = header.shape
    kinds = [f.kind for f in spec.fields]
    fit = np.array([[np.nan if (v := column.fit(kind)) is None else v for column in values] for kind in kinds])
    known = ~np.isnan(fit)
    value_score = np.where(known, fit, 0.5)
    field_position = np.arange(fields)[:, None] / max(fields - 1, 1)
    column_position = np.arange(width)[None, :] / max(width - 1, 1)
    order = 1.0 - np.abs(field_position - column_position)
    scores = HEADER_WEIGHT * header + VALUE_WEIGHT * value_score + ORDER_WEIGHT * order
    judged = np.array([kind != "ignore" for kind in kinds])[:, None]
    scores -= np.where(known & (value_score < 0.5) & judged, 0.5, 0.0)  # the values say it is another kind
    signature = np.array([kind in _SIGNATURE_KINDS for kind in kinds])[:, None]
    scores += np.where(known & (value_score >= MIN_SIGNATURE_SHARE) & signature, SIGNATURE_BONUS, 0.0)
    return scores


#: Kinds whose values say on their own what a column is.
_SIGNATURE_KINDS = ("qpv", "practice")
