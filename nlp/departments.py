"""Which departments a message speaks for.

Every signal becomes a piece of evidence (a department, a weight, where it
was seen): departments named in the subject; the prefecture mail domain of
the sender (`@aisne.gouv.fr`); departments, sous-préfectures and postal codes
in the signature ("Sous-préfecture de Laval", "68000 Colmar"); the
`Département :` label, the QPV codes and the communes of the annex tables;
the commune of the conseil citoyen in survey answers; departments named with
a cue in the body. The decision takes the most specific signals first (the
subject may name two departments for a regional sender), the sender's domain
next, then the content; its confidence combines all the evidence that agrees.
A message whose department cannot be decided, or whose signals disagree, is
flagged for review rather than guessed silently (and one decided on weak
evidence too, by the review rule of `nlp/review.py`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from bilan.nlp.gazetteer import (
    CommuneGazetteer,
    CommuneMention,
    DepartmentFinder,
    DepartmentMention,
)
from bilan.nlp.kind import Kind
from bilan.nlp.mailtext import own_text, sender_address, signature_block
from bilan.nlp.text import fold
from bilan.parsers.message import ParsedMessage
from bilan.reference import department_of_qpv, departments

_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")

#: Weights of the signals (how often each alone names the right department).
SUBJECT = 0.9
SENDER_DOMAIN = 0.9
ANNEX_LABEL = 0.85
QPV_CODE = 0.8
SIGNATURE = 0.7
SURVEY_COMMUNE = 0.7
ANNEX_COMMUNE = 0.5
BODY = 0.5
BODY_COMMUNE = 0.4


@dataclass(frozen=True)
class DepartmentGuess:
    code: str
    confidence: float
    evidence: str


@dataclass(frozen=True)
class DepartmentDecision:
    departments: list[DepartmentGuess]
    needs_review: bool
    reason: str | None = None


@dataclass(frozen=True)
class Evidence:
    code: str
    weight: float
    source: str


@dataclass
class ContentSignals:
    """Department signals found in the message's content by other extractors."""

    annex_labels: list[str] = field(default_factory=list)
    qpv_codes: list[str] = field(default_factory=list)
    annex_communes: list[str] = field(default_factory=list)
    #: "Les Cèdres – Perpignan": what survey respondents answer for their conseil citoyen.
    survey_places: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _domains() -> dict[str, str]:
    table: dict[str, str] = {}
    for info in departments():
        for domain in (info.domain, info.other_domain):
            if domain:
                table[domain.lower()] = info.code
    return table


def department_of_domain(address: str | None) -> str | None:
    """`x@aisne.gouv.fr`, `x@ddets.aisne.gouv.fr`, `x@aisne.pref.gouv.fr` all give 02."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].lower()
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        code = _domains().get(".".join(labels[start:]))
        if code:
            return code
    return None


def expected_domains(code: str) -> tuple[str, ...]:
    """The mail domains a department's state services write from, by the
    reference data: its prefecture's domains (`herault.gouv.fr`,
    `herault.pref.gouv.fr`; their sub-domains too, such as a DDETS's), then
    those of its region's prefectures, since the SGAR writes for every
    department of its region from the regional prefecture (which is one of
    them: Nantes for the Pays de la Loire) or from the region's own domain
    (`occitanie.gouv.fr`)."""
    info = next((d for d in departments() if d.code == code), None)
    if info is None:
        return ()
    neighbours = [d for d in departments() if d.region == info.region and d.code != code]
    region = re.sub(r"[^a-z0-9]+", "-", fold(info.region)).strip("-")
    domains = [info.domain, info.other_domain, f"{region}.gouv.fr"]
    domains += [domain for d in neighbours for domain in (d.domain, d.other_domain)]
    return tuple(dict.fromkeys(d.lower() for d in domains if d))


def domain_expected_for(address: str | None, code: str) -> bool:
    """Whether `address` is on one of the department's expected domains (or a sub-domain)."""
    if not address or "@" not in address:
        return False
    domain = address.rsplit("@", 1)[1].lower()
    return any(domain == expected or domain.endswith("." + expected) for expected in expected_domains(code))


def decide_departments(
    parsed: ParsedMessage,
    kind: Kind,
    finder: DepartmentFinder,
    communes: CommuneGazetteer | None = None,
    content: ContentSignals | None = None,
) -> DepartmentDecision:
    if kind is Kind.BOUNCE:
        codes = _failed_recipient_departments(parsed.body.text)
        return _decision(codes, [Evidence(c, 0.9, "address that could not be reached") for c in codes])
    if kind is Kind.SPAM:
        return DepartmentDecision([], needs_review=False)
    evidence = collect_evidence(parsed, finder, communes, content or ContentSignals())
    chosen = _choose(evidence)
    if not chosen and kind in (Kind.AUTO_REPLY, Kind.READ_RECEIPT):
        return DepartmentDecision([], needs_review=False)
    return _decision(chosen, evidence)


def collect_evidence(
    parsed: ParsedMessage,
    finder: DepartmentFinder,
    communes: CommuneGazetteer | None,
    content: ContentSignals,
) -> list[Evidence]:
    envelope = parsed.envelope
    evidence: list[Evidence] = []
    evidence += _from_mentions(finder.find(envelope.subject), SUBJECT, "named in the subject")
    address = sender_address(envelope)
    domain_code = department_of_domain(address)
    if domain_code:
        evidence.append(Evidence(domain_code, SENDER_DOMAIN, f"sender domain {address.rsplit('@', 1)[1]}"))
    text = own_text(parsed.body.text)
    signature = signature_block(text)
    evidence += _from_mentions([m for m in finder.find(signature) if m.cued], SIGNATURE, "named in the signature")
    if communes is not None:
        places = [m for m in communes.find(signature) if m.via in ("postcode", "seat")]
        evidence += _from_communes(places, SIGNATURE, "commune in the signature")
    for label in content.annex_labels:
        evidence += _from_mentions(finder.find(label), ANNEX_LABEL, "department of the annex")
    for code in content.qpv_codes:
        department = department_of_qpv(code)
        if department:
            evidence.append(Evidence(department, QPV_CODE, f"QPV code {code}"))
    if communes is not None:
        for name in content.annex_communes:
            evidence += _from_communes([_mention(communes, name)], ANNEX_COMMUNE, "commune of the annex")
        for place in content.survey_places:
            evidence += _from_communes(_places(communes, place), SURVEY_COMMUNE, "commune of the conseil citoyen")
        for code in communes.find_qpv_codes(text):
            department = department_of_qpv(code)
            if department:
                evidence.append(Evidence(department, QPV_CODE, f"QPV code {code}"))
        evidence += _from_communes(communes.find(text), BODY_COMMUNE, "commune named in the body")
    evidence += _from_mentions([m for m in finder.find(text) if m.cued], BODY, "named in the body")
    return evidence


def _choose(evidence: list[Evidence]) -> list[str]:
    """The most specific signal decides: the subject (which may name two
    departments), then the sender's domain, then the signature, then the
    content by total weight."""
    for source in ("named in the subject", "sender domain", "named in the signature", "commune in the signature",
                   "department of the annex"):
        codes = list(dict.fromkeys(e.code for e in evidence if e.source.startswith(source)))
        if codes:
            return codes if source in ("named in the subject", "department of the annex") else codes[:1]
    totals: dict[str, float] = defaultdict(float)
    for item in evidence:
        totals[item.code] += item.weight
    if not totals:
        return []
    best = max(totals.values())
    return [code for code, total in totals.items() if total == best][:1]


def _decision(codes: list[str], evidence: list[Evidence]) -> DepartmentDecision:
    if not codes:
        return DepartmentDecision([], needs_review=True, reason="no department could be identified")
    guesses = []
    for code in codes:
        agreeing = [e for e in evidence if e.code == code]
        confidence = 1.0
        for item in agreeing:
            confidence *= 1 - item.weight
        sources = list(dict.fromkeys(e.source for e in agreeing))
        guesses.append(DepartmentGuess(code, round(1 - confidence, 3), "; ".join(sources)))
    reasons = []  # weak evidence is judged with the message's other values (nlp/review.py)
    strongest_other = max((e for e in evidence if e.code not in codes), key=lambda e: e.weight, default=None)
    if strongest_other is not None and strongest_other.weight >= QPV_CODE:
        reasons.append(f"conflicting signal: {strongest_other.code} ({strongest_other.source})")
    return DepartmentDecision(guesses, needs_review=bool(reasons), reason="; ".join(reasons) or None)


def _from_mentions(mentions: Iterable[DepartmentMention], weight: float, source: str) -> list[Evidence]:
    return [Evidence(code, weight, source) for code in dict.fromkeys(m.code for m in mentions)]


def _from_communes(mentions: Iterable[CommuneMention | None], weight: float, source: str) -> list[Evidence]:
    """A commune whose name exists in several departments counts for the most
    likely one (a seat, else the most populous), with less weight."""
    evidence = []
    for mention in mentions:
        if mention is None or not mention.candidates:
            continue
        shared = len(mention.departments) > 1
        evidence.append(
            Evidence(
                mention.departments[0],
                weight * (0.6 if shared else 1.0),
                f"{source} ({mention.name}{', homonyms elsewhere' if shared else ''})",
            )
        )
    return evidence


def _mention(communes: CommuneGazetteer, name: str) -> CommuneMention | None:
    candidates = communes.lookup(name)
    return CommuneMention(name, candidates, "cell") if candidates else None


def _places(communes: CommuneGazetteer, text: str) -> list[CommuneMention]:
    """"Les Cèdres – Perpignan", "quartier Bel-Air à Dijon", "Dijon (Grésilles)":
    the parts that are communes, the last one first (the quartier comes first)."""
    found = communes.find(text)
    if found:
        return found
    parts = [p.strip(" .") for p in re.split(r"\s[–—-]\s|[,;/()]|\s(?:a|à)\s", text) if p.strip(" .")]
    mentions = [_mention(communes, part) for part in reversed(parts)]
    return [m for m in mentions if m is not None][:1]


def _failed_recipient_departments(text: str) -> list[str]:
    codes = [department_of_domain("x@" + domain) for domain in _ADDRESS.findall(text)]
    return list(dict.fromkeys(c for c in codes if c))
