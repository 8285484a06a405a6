"""Reference data the warehouse needs before any message: the 101 departments
and the campaign with its deadline."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bilan.storage.models import Campaign, Department
from bilan.storage.status import closes_at

DEPARTMENTS_CSV = Path(__file__).parent / "data" / "departments.csv"
COMMUNES_CSV = Path(__file__).parent / "data" / "communes.csv.gz"


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


def seed_reference(session: Session, campaign_name: str, deadline: dt.date, timezone: str) -> Campaign:
    """Insert what is missing (departments, campaign); never duplicates."""
    known = set(session.scalars(select(Department.code)))
    for info in departments():
        if info.code not in known:
            session.add(
                Department(
                    code=info.code,
                    name=info.name,
                    region=info.region,
                    prefecture=info.prefecture,
                    mail_domain=info.domain,
                    other_mail_domain=info.other_domain or None,
                )
            )
    campaign = session.scalar(select(Campaign).where(Campaign.name == campaign_name))
    if campaign is None:
        campaign = Campaign(name=campaign_name, deadline=deadline, timezone=timezone)
        session.add(campaign)
    else:
        campaign.deadline, campaign.timezone = deadline, timezone
    campaign.closes_at = closes_at(campaign)
    session.flush()
    return campaign
