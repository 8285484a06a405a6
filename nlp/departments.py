"""Which departments a message speaks for.

Signals, strongest first: departments named in the subject; the prefecture
mail domain of the sender (`@aisne.gouv.fr`); departments named with a cue in
the signature or body ("Préfecture de l'Aisne"); for a delivery failure, the
domain of the address that failed. A message where none of them speaks is
flagged for review rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from bilan.nlp.gazetteer import DepartmentFinder, DepartmentMention
from bilan.nlp.kind import Kind
from bilan.parsers.message import ParsedMessage
from bilan.storage.reference import departments

_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


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


def decide_departments(parsed: ParsedMessage, kind: Kind, finder: DepartmentFinder) -> DepartmentDecision:
    envelope = parsed.envelope
    if kind is Kind.BOUNCE:
        codes = _failed_recipient_departments(parsed.body.text)
        return _decision(codes, "address that could not be reached", 0.9)

    in_subject = _codes(finder.find(envelope.subject))
    from_domain = department_of_domain(envelope.sender_address)
    body_text = parsed.body.text
    cued_in_body = _codes([m for m in finder.find(_signature(body_text)) if m.cued])

    if in_subject:
        return _decision(in_subject, "named in the subject", 0.9)
    if from_domain:
        return _decision([from_domain], f"sender domain {envelope.sender_address.rsplit('@', 1)[1]}", 0.9)
    if cued_in_body:
        return _decision(cued_in_body[:1], "named in the signature", 0.7)
    if kind in (Kind.SPAM, Kind.AUTO_REPLY, Kind.READ_RECEIPT):
        return DepartmentDecision([], needs_review=False)
    mentions = Counter(m.code for m in finder.find(body_text) if m.cued)
    if mentions:
        code, _ = mentions.most_common(1)[0]
        return _decision([code], "most named in the body", 0.5)
    return DepartmentDecision([], needs_review=True, reason="no department could be identified")


def _decision(codes: list[str], evidence: str, confidence: float) -> DepartmentDecision:
    guesses = [DepartmentGuess(code, confidence, evidence) for code in codes]
    return DepartmentDecision(guesses, needs_review=not guesses, reason=None if guesses else evidence)


def _codes(mentions: list[DepartmentMention]) -> list[str]:
    """Distinct codes in order of first mention."""
    return list(dict.fromkeys(m.code for m in mentions))


def _signature(text: str) -> str:
    """The last lines of a message, where senders say who they are."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-12:])


def _failed_recipient_departments(text: str) -> list[str]:
    codes = [department_of_domain("x@" + domain) for domain in _ADDRESS.findall(text)]
    return list(dict.fromkeys(c for c in codes if c))
