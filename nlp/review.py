"""The one rule that sends a message to review for an uncertain value.

Every extracted value may carry a confidence (0-1): the message's kind,
sender role and modality (`Extraction.confidence`), each department
(`DepartmentGuess.confidence`), each annex cell (`AnnexRow.cell_confidence`),
each recommendation (`Recommendation.confidence`) and its theme
(`Recommendation.theme_score`). A value under its threshold flags the message
(`needs_review`) with a reason that names the value, its confidence and the
threshold, so that the review queue says what to look at. A value that was
not judged (no confidence) is never a reason.

The thresholds are settings (`BILAN_REVIEW_BELOW_*`, see `bilan/settings.py`).

The same rule flags a contribution whose sender is not who it seems
(`review_sender`): the receiving server's DKIM, SPF or DMARC check failed
(`Authentication-Results`, see `parsers/authentication.py`), or the sender's
domain is not one the reference data gives for the department it speaks for.
Such a contribution still counts (a prefecture may write from a webmail on a
bad day); a person checks it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bilan.nlp.annex_tables import AnnexRow
    from bilan.nlp.extraction import Extraction
    from bilan.parsers.message import Envelope, ParsedMessage

#: `Extraction.sender_check`: what the sender check of a contribution found.
SENDER_VERIFIED = "verified"  # the server authenticated it and the domain is the department's
SENDER_EXPECTED_DOMAIN = "expected_domain"  # the domain is the department's; no verdict from the server
SENDER_UNEXPECTED_DOMAIN = "unexpected_domain"
SENDER_FAILED = "authentication_failed"
#: The checks that send a contribution to review.
SENDER_DOUBTFUL = (SENDER_FAILED, SENDER_UNEXPECTED_DOMAIN)

#: Message-level values, in the order reasons are written.
MESSAGE_VALUES = ("kind", "sender_role", "modality")


@dataclass(frozen=True)
class ReviewThresholds:
    """Below its threshold, a value is uncertain enough for a person to look."""

    kind: float
    sender_role: float
    modality: float
    department: float
    annex_cell: float
    recommendation: float
    theme: float
    #: authserv-ids of the receiving server whose `Authentication-Results`
    #: count; empty: the topmost header (the last server's).
    trusted_auth_servers: tuple[str, ...] = ()


def configured_thresholds() -> ReviewThresholds:
    """The thresholds of the current settings. Reading the settings costs
    milliseconds, a noticeable share of a message's extraction, so they are
    read once per distinct `BILAN_*` environment (a test or a run may change it)."""
    return _thresholds_for(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("BILAN_"))))


@lru_cache(maxsize=8)
def _thresholds_for(environment: tuple[tuple[str, str], ...]) -> ReviewThresholds:
    from bilan.settings import get_settings

    return get_settings().review_thresholds()


def flag_for_review(extraction: Extraction, reasons: list[str]) -> None:
    """Send the message to review with these reasons, after any it already has
    (nothing when there is none)."""
    if reasons:
        extraction.needs_review = True
        extraction.review_reason = "; ".join(filter(None, [extraction.review_reason, *reasons]))


def review_uncertain_values(extraction: Extraction, thresholds: ReviewThresholds) -> None:
    """Flag the message when one of its values is under its threshold, and
    add one reason per kind of uncertain value to its `review_reason`."""
    flag_for_review(extraction, list(uncertain_values(extraction, thresholds)))


def review_sender(extraction: Extraction, envelope: Envelope, trusted_servers: tuple[str, ...] = ()) -> None:
    """Keep the receiving server's verdicts (`extraction.authentication`:
    those of a trusted server when some are named), check who sent a
    contribution (`extraction.sender_check`), and flag it with the reasons
    when the verdicts fail or its domain is not the department's. Other kinds
    of message are not checked: a question or a survey answer may come from
    anyone."""
    authentication = envelope.authentication
    trusted = {server.lower() for server in trusted_servers}
    if authentication is not None and trusted and (authentication.server or "").lower() not in trusted:
        authentication = None  # written by someone else than our server: not a verdict
    extraction.authentication = authentication
    if extraction.kind != "contribution":
        return
    reasons = list(sender_doubts(extraction, envelope))
    if authentication is not None and authentication.failures():
        extraction.sender_check = SENDER_FAILED
    elif reasons:
        extraction.sender_check = SENDER_UNEXPECTED_DOMAIN
    elif authentication is not None and authentication.dmarc == "pass":
        extraction.sender_check = SENDER_VERIFIED
    else:
        extraction.sender_check = SENDER_EXPECTED_DOMAIN if extraction.departments else None
    flag_for_review(extraction, reasons)


def sender_doubts(extraction: Extraction, envelope: Envelope) -> Iterator[str]:
    """The reasons, e.g. "sender not authenticated by mx.example: dkim=fail,
    spf=fail, dmarc=fail" or "sender domain gmail.com is not the department
    34's (herault.gouv.fr, herault.pref.gouv.fr, occitanie.gouv.fr)"."""
    from bilan.nlp.departments import domain_expected_for, expected_domains
    from bilan.nlp.mailtext import sender_address

    authentication = extraction.authentication
    if authentication is not None and authentication.failures():
        server = f" by {authentication.server}" if authentication.server else ""
        yield f"sender not authenticated{server}: {', '.join(authentication.failures())}"
    address = sender_address(envelope)
    domain = address.rsplit("@", 1)[1] if address and "@" in address else "(none)"
    for guess in extraction.departments:
        if not domain_expected_for(address, guess.code):
            own = ", ".join(expected_domains(guess.code)[:2])
            yield f"sender domain {domain} is not one of the department {guess.code}'s or its region's ({own}...)"


def uncertain_values(extraction: Extraction, thresholds: ReviewThresholds) -> Iterator[str]:
    """The reasons, e.g. "low confidence: modality 3 (0.45 < 0.60)"."""
    for name in MESSAGE_VALUES:
        confidence = extraction.confidence.get(name)
        threshold = getattr(thresholds, name)
        if confidence is not None and confidence < threshold:
            yield _reason(f"{name} {getattr(extraction, name)}", confidence, threshold)
    for guess in extraction.departments:
        if guess.confidence < thresholds.department:
            yield _reason(f"department {guess.code}", guess.confidence, thresholds.department, guess.evidence)
    for annex, rows in ((1, extraction.annexe1_rows), (2, extraction.annexe2_rows)):
        reason = _uncertain_cells(annex, rows, thresholds.annex_cell)
        if reason:
            yield reason
    recommendations = list(enumerate(extraction.recommendations, start=1))
    yield from _weakest("recommendation", [(n, r.confidence) for n, r in recommendations], thresholds.recommendation)
    themes = [(n, r.theme_score) for n, r in recommendations if r.theme is not None and r.theme_score is not None]
    yield from _weakest("recommendation theme", themes, thresholds.theme)


def _uncertain_cells(annex: int, rows: list[AnnexRow], threshold: float) -> str | None:
    """One reason for all the uncertain cells of an annex: how many, and the weakest."""
    cells = [
        (confidence, number, name)
        for number, row in enumerate(rows, start=1)
        for name, confidence in row.cell_confidence.items()
        if confidence < threshold
    ]
    if not cells:
        return None
    confidence, number, name = min(cells)
    what = f"Annexe {annex} row {number} {name}"
    if len(cells) > 1:
        what = f"{len(cells)} Annexe {annex} cells, weakest {what}"
    return _reason(what, confidence, threshold)


def _weakest(what: str, scores: list[tuple[int, float]], threshold: float) -> Iterator[str]:
    """One reason for all the items under the threshold: how many, and the weakest."""
    low = [(score, number) for number, score in scores if score < threshold]
    if not low:
        return
    score, number = min(low)
    label = f"{what} {number}" if len(low) == 1 else f"{len(low)} {what}s, weakest {what} {number}"
    yield _reason(label, score, threshold)


def _reason(what: str, confidence: float, threshold: float, evidence: str | None = None) -> str:
    reason = f"low confidence: {what} ({confidence:.2f} < {threshold:.2f})"
    return f"{reason}: {evidence}" if evidence else reason


def review_what_parsing_said(extraction: Extraction, parsed: ParsedMessage) -> None:
    """Flag a message that was read only in part or with repairs: a MIME
    structure the parser had to repair (its declared boundary absent),
    headers or a body that hit a safety limit (cut, or read as plain text:
    `parsers/limits.py`), headers the e-mail parser could not read (kept as
    written, so the sender or the recipients may be missing). What was read
    may miss something; the reasons say what."""
    reasons = []
    repaired = parsed.body.metadata.get("mime_repaired")
    if repaired:
        reasons.append("message structure repaired: " + "; ".join(repaired))
    reasons += [f"limit hit: {sentence}" for sentence in parsed.limits_hit]
    if parsed.envelope.unreadable_headers:
        reasons.append("headers unreadable, kept as written: " + ", ".join(parsed.envelope.unreadable_headers))
    flag_for_review(extraction, reasons)
