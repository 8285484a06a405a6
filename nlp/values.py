"""Typed values from what people type in tables and forms.

Each function takes a parsed cell (text, number, boolean, None; dates come
as ISO strings) and returns the typed value or None. None means "no value":
blank, `NC`, `n.c.`, `?`, `-`... A cell that holds something of another type
(text in a number column) is also None: `looks_like_*` tell the two apart when
the column mapper needs to know what a column holds.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import TypeVar

from bilan.nlp.text import fold, strip_accents
from bilan.parsers.document import Cell

#: What people write for "unknown" or "not applicable" (folded).
NULL_MARKERS = {
    "", "nc", "n c", "n.c", "n.c.", "n/c", "nr", "n r", "nd", "n d", "na", "n a", "n/a", "ne sait pas",
    "non connu", "non connue", "inconnu", "inconnue", "non renseigne", "non renseignee", "non communique",
    "non communiquee", "sans objet", "so", "s o", "?", "??", "-", "--", "---", "/", "x x", "neant", "pas de donnees",
    "a completer", "a preciser", "nsp", "ns",
}
TRUE_WORDS = {"oui", "o", "yes", "y", "vrai", "true", "1", "ok", "actif", "active", "constitue", "constituee"}
FALSE_WORDS = {"non", "n", "no", "faux", "false", "0", "inactif", "inactive", "aucun", "aucune", "pas constitue"}
#: Ticks that mean "yes" in a column of boxes; the blanks beside them mean "no".
TICKS = {"x", "✓", "✔", "☑", "☒", "✅", "•", "+"}
CROSSES_FOR_NO = {"✗", "✘", "☐", "❌"}

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3, "avril": 4,
    "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
#: Spreadsheets count days from this date (1900 system, with Lotus' leap-year bug).
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serial numbers of 1990-01-01 .. 2050-12-31: a date column holding bare numbers.
EXCEL_SERIALS = range(32874, 54789)

_NUMBER = re.compile(r"[-+]?\d[\d\s\u00a0\u202f.,']*")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[t ].*)?$")
_NUMERIC_DATE = re.compile(r"^(?:(\d{1,2})[/.\-])?(\d{1,2})[/.\-](\d{2}|\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[/.\-](\d{1,2})$")
_MONTH_NAME_YEAR = re.compile(r"^(?:(?:le|en|depuis)\s+)?(?:\d{1,2}(?:er)?\s+)?([a-z]+)\.?\s*[\s\-/]\s*(\d{2}|\d{4})$")


_Result = TypeVar("_Result")
#: Cells up to this length are read once per text (see `remembered_per_text`).
_REMEMBERED_LENGTH = 256


def remembered_per_text(read: Callable[[Cell], _Result]) -> Callable[[Cell], _Result]:
    """`read` (a pure function of a cell) with its result kept per text for
    short text cells: a table's cells are read again for each candidate
    header row above them, and by several readers (null, number, date, code)."""
    cached = functools.lru_cache(maxsize=1 << 16)(read)

    @functools.wraps(read)
    def remembered(cell: Cell) -> _Result:
        if isinstance(cell, str) and len(cell) <= _REMEMBERED_LENGTH:
            return cached(cell)
        return read(cell)

    return remembered


def cell_text(cell: Cell) -> str:
    """The cell as one line of text ('' for None)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "oui" if cell else "non"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


@remembered_per_text
def is_null(cell: Cell) -> bool:
    """Blank, or a marker for an unknown value."""
    if cell is None:
        return True
    if isinstance(cell, (bool, int, float)):
        return False
    folded = fold(cell_text(cell)).strip(" .")
    return folded in NULL_MARKERS or cell_text(cell).strip(" .") in NULL_MARKERS


# -- booleans --------------------------------------------------------------------------------


def is_tick(cell: Cell) -> bool:
    """A mark in a box (`X`, `✓`): "yes" in a column where blank means "no"."""
    return isinstance(cell, str) and cell.strip().lower() in TICKS


@remembered_per_text
def looks_like_bool(cell: Cell) -> bool:
    return parse_bool(cell) is not None


def parse_bool(cell: Cell, *, ticks: bool = False) -> bool | None:
    """`oui`/`non`, `X`/`✓`, `vrai`, True... With `ticks` (the table marks yes
    with a tick), a blank cell means False."""
    if isinstance(cell, bool):
        return cell
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return False if ticks else None
    if isinstance(cell, (int, float)):
        return {1: True, 0: False}.get(cell)  # type: ignore[call-overload]
    raw = cell.strip().lower()
    if raw in TICKS:
        return True
    if raw in CROSSES_FOR_NO:
        return False
    folded = fold(raw).strip(" .!")
    if folded in NULL_MARKERS:
        return None
    if folded in TRUE_WORDS:
        return True
    if folded in FALSE_WORDS:
        return False
    # "Oui, depuis 2019", "non (en sommeil)": the answer is the first word.
    first = re.split(r"[\s,;:(]", folded, maxsplit=1)[0]
    if first == "oui":
        return True
    if first == "non":
        return False
    return None


# -- numbers ---------------------------------------------------------------------------------


def parse_number(cell: Cell) -> float | int | None:
    """A number as written in French (`3 000`, `1 000,50`, `2.500 €`, `12 membres`)."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        return _tidy(cell)
    text = cell_text(cell)
    if is_null(text):
        return None
    lowered = text.lower()
    match = _NUMBER.search(lowered)
    if match is None:
        return None
    number = _french_number(match.group())
    if number is None:
        return None
    rest = lowered[match.end():].strip()
    if rest.startswith(("k€", "k ", "k")) and not rest.startswith(("km",)):
        number *= 1000
    return _tidy(number)


@remembered_per_text
def looks_like_number(cell: Cell) -> bool:
    """A cell that is a number and little else (not a date, a code or a sentence)."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)):
        return True
    text = cell_text(cell)
    if not text or _ISO_DATE.match(text) or _NUMERIC_DATE.match(text):
        return False
    stripped = re.sub(r"[\d\s\u00a0\u202f.,'€+\-]|eur(os?)?|k€|membres?|personnes?|habitants?|environ|env\.?|~", "",
                      fold(text))
    return bool(re.search(r"\d", text)) and len(stripped.strip()) <= 2


def parse_int(cell: Cell) -> int | None:
    number = parse_number(cell)
    if number is None:
        return None
    return int(round(number))


def parse_amount(cell: Cell) -> float | int | None:
    """Euros: `3 000 €`, `1 000,00 €`, `1.500 euros`, `3k€`."""
    return parse_number(cell)


def _french_number(text: str) -> float | None:
    text = text.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("'", " ")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-").strip()
    # Spaces only group thousands when followed by three digits.
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text).split(" ")[0]
    if "," in text and "." in text:
        # The last separator is the decimal one: 1.000,50 or 1,000.50
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = head.replace(",", "") + "." + tail if len(tail) != 3 or not head else text.replace(",", "")
    elif text.count(".") == 1:
        head, _, tail = text.partition(".")
        if len(tail) == 3 and head and head != "0":
            text = head + tail  # 2.500 = two thousand five hundred
    elif text.count(".") > 1:
        text = text.replace(".", "")
    text = text.rstrip(".,")
    try:
        return sign * float(text)
    except ValueError:
        return None


def _tidy(number: float | int) -> float | int:
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


# -- dates -----------------------------------------------------------------------------------


@remembered_per_text
def parse_month(cell: Cell) -> str | None:
    """A month as `YYYY-MM`: from ISO dates, `03/2016`, `01/03/2016`,
    `mars 2016`, `juin-15`, or an Excel serial number. A bare year has no
    month and gives None."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        if int(cell) in EXCEL_SERIALS:
            day = EXCEL_EPOCH + dt.timedelta(days=int(cell))
            return f"{day.year:04d}-{day.month:02d}"
        return None
    text = cell_text(cell)
    if is_null(text):
        return None
    folded = " ".join(strip_accents(text).split()).replace("1er", "1")
    for pattern in (_ISO_DATE, _YEAR_MONTH):
        match = pattern.match(folded)
        if match:
            return _month(int(match.group(1)), int(match.group(2)))
    match = _NUMERIC_DATE.match(folded)
    if match:
        return _month(_full_year(match.group(3)), int(match.group(2)))
    match = _MONTH_NAME_YEAR.match(folded)
    if match and match.group(1) in MONTHS:
        return _month(_full_year(match.group(2)), MONTHS[match.group(1)])
    # A month named anywhere with a year ("créé en mars 2016 par la ville").
    words = re.findall(r"[a-z]+|\d{4}", folded)
    for index, word in enumerate(words[:-1]):
        if word in MONTHS and len(word) > 3 and _YEAR.fullmatch(words[index + 1]):
            return _month(int(words[index + 1]), MONTHS[word])
    return None


def looks_like_date(cell: Cell) -> bool:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return int(cell) in EXCEL_SERIALS
    return parse_month(cell) is not None


def parse_year(cell: Cell) -> int | None:
    """A year: `2018`, 2018, `2018-05-01`, `depuis 2015`, an Excel date."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        if 1950 <= cell <= 2100:
            return int(cell)
        month = parse_month(cell)
        return int(month[:4]) if month else None
    text = cell_text(cell)
    if is_null(text):
        return None
    month = parse_month(text)
    if month:
        return int(month[:4])
    years = _YEAR.findall(text)
    return int(years[0]) if len(set(years)) == 1 else None


def looks_like_year(cell: Cell) -> bool:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return 1950 <= cell <= 2100
    return bool(_YEAR.fullmatch(cell_text(cell)))


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _month(year: int, month: int) -> str | None:
    if not (1950 <= year <= 2100 and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


# -- text ------------------------------------------------------------------------------------


@remembered_per_text
def parse_text(cell: Cell) -> str | None:
    """Text with whitespace normalised; null markers give None."""
    if cell is None or isinstance(cell, bool):
        return None
    text = cell_text(cell)
    return None if is_null(text) else text
