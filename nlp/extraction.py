"""Everything the NLP stage says about one message, as one typed record."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from bilan.nlp.departments import DepartmentGuess, decide_departments
from bilan.nlp.findings import Finding, Recommendation, extract_findings
from bilan.nlp.gazetteer import get_department_finder
from bilan.nlp.kind import classify_kind
from bilan.parsers.message import ParsedMessage

log = logging.getLogger(__name__)


@dataclass
class Extraction:
    kind: str
    departments: list[DepartmentGuess] = field(default_factory=list)
    sender_role: str | None = None
    modality: int | None = None
    meeting_date: dt.date | None = None
    meeting_participants: int | None = None
    pii: bool = False
    needs_review: bool = False
    review_reason: str | None = None
    #: Role of each attachment, by its index in the message's flat list.
    attachment_roles: dict[int, str] = field(default_factory=dict)
    #: Recommendations with their theme (contributions and survey responses),
    #: strengths and weaknesses (contributions): see `nlp/findings.py`.
    recommendations: list[Recommendation] = field(default_factory=list)
    strengths: list[Finding] = field(default_factory=list)
    weaknesses: list[Finding] = field(default_factory=list)


def extract(parsed: ParsedMessage) -> Extraction:
    kind = classify_kind(parsed)
    decision = decide_departments(parsed, kind, get_department_finder())
    extraction = Extraction(
        kind=kind.value,
        departments=decision.departments,
        needs_review=decision.needs_review,
        review_reason=decision.reason,
    )
    add_findings(extraction, parsed)
    return extraction


def add_findings(extraction: Extraction, parsed: ParsedMessage) -> None:
    """Recommendations, strengths and weaknesses, read once the kind is known.
    A failure here leaves the rest of the message's extraction standing: the
    message is flagged for review with the reason."""
    try:
        findings = extract_findings(parsed, extraction.kind)
    except Exception as exc:  # one unreadable document must not lose the kind and departments
        log.exception("recommendations could not be read")
        extraction.needs_review = True
        reason = f"recommendations could not be read: {type(exc).__name__}: {exc}"
        extraction.review_reason = "; ".join(filter(None, [extraction.review_reason, reason]))
        return
    extraction.recommendations = findings.recommendations
    extraction.strengths = findings.strengths
    extraction.weaknesses = findings.weaknesses
