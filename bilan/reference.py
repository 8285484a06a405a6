"""Reference facts about France that every stage reads: the 101 departments
(codes, names, regions, prefectures and their mail domains), the communes,
and the department a QPV code belongs to.

Dependency-free on purpose (the standard library and two files in `data/`):
`nlp/` reads it to recognise places and senders, `storage/` to seed its
`department` table, the CLI and the letters to name a department, without
any of them loading another stage's code."""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEPARTMENTS_CSV = Path(__file__).parent / "data" / "departments.csv"
COMMUNES_CSV = Path(__file__).parent / "data" / "communes.csv.gz"

#: A QPV code: `QN`, the department on three characters (`093`, `02A`,
#: `974`), two digits, and an optional letter.
QPV_CODE = re.compile(r"^QN(\d{3}|02[AB])(\d{2})([A-Z]?)$")

#: INSEE's "type de nom en clair" (TNCC) of a name: the article it takes,
#: and how "de" joins it (0: de Paris, 1: d'Eure-et-Loir, 2: du Nord,
#: 3: de la Seine-Saint-Denis, 4: des Hautes-Alpes, 5: de l'Ain).
NAME_TYPES = {
    "0": ("", "de "),
    "1": ("", "d'"),
    "2": ("le ", "du "),
    "3": ("la ", "de la "),
    "4": ("les ", "des "),
    "5": ("l'", "de l'"),
}


@dataclass(frozen=True)
class DepartmentInfo:
    code: str
    name: str
    region: str
    prefecture: str
    domain: str
    other_domain: str
    #: INSEE TNCC (see NAME_TYPES), from the Code officiel géographique.
    name_type: str = "0"

    @property
    def with_article(self) -> str:
        """The name as a sentence uses it: "l'Ain", "le Nord", "les Hautes-Alpes", "Paris"."""
        return NAME_TYPES.get(self.name_type, NAME_TYPES["0"])[0] + self.name

    @property
    def of_name(self) -> str:
        """"de" and the name, elided or contracted: "de l'Ain", "du Nord",
        "de la Seine-Saint-Denis", "des Hautes-Alpes", "de Paris", "de La Réunion"."""
        return NAME_TYPES.get(self.name_type, NAME_TYPES["0"])[1] + self.name


def department_info(code: str) -> DepartmentInfo | None:
    return next((d for d in departments() if d.code == code), None)


@lru_cache(maxsize=1)
def departments() -> tuple[DepartmentInfo, ...]:
    """All 101 departments (INSEE codes, 2A/2B and 971–976 included), with the
    mail domains of their prefecture."""
    with DEPARTMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(DepartmentInfo(**row) for row in csv.DictReader(handle))


@dataclass(frozen=True)
class CommuneInfo:
    name: str
    department: str
    population: int
    #: "P" seat of a prefecture, "S" of a sous-préfecture, "" otherwise.
    seat: str


@lru_cache(maxsize=1)
def communes() -> tuple[CommuneInfo, ...]:
    """French communes with their department (see data/README.md for the
    source and licence), used to place messages that come from webmail."""
    with gzip.open(COMMUNES_CSV, "rt", encoding="utf-8", newline="") as handle:
        return tuple(
            CommuneInfo(row["name"], row["department"], int(row["population"]), row["seat"])
            for row in csv.DictReader(handle)
        )


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
