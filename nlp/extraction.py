"""Everything the NLP stage says about one message, as one typed record."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from bilan.nlp.annex_tables import AnnexRow, AnnexTables, extract_annex_tables
from bilan.nlp.attachments import attachment_roles
from bilan.nlp.departments import ContentSignals, DepartmentGuess, decide_departments
from bilan.nlp.findings import Finding, Recommendation, extract_findings
from bilan.nlp.follow_up_cues import FollowUp, detect_follow_up
from bilan.nlp.gazetteer import (
    get_commune_gazetteer,
    get_department_finder,
    get_state_service_finder,
)
from bilan.nlp.kind import ContentClues, Kind, judge_kind
from bilan.nlp.modality import find_meeting, read_modality
from bilan.nlp.original import original_message_id
from bilan.nlp.review import (
    ReviewThresholds,
    configured_thresholds,
    flag_for_review,
    review_sender,
    review_uncertain_values,
    review_what_parsing_said,
)
from bilan.nlp.sender import sender_role
from bilan.nlp.survey import SurveyResponse, extract_survey_responses
from bilan.parsers.authentication import SenderAuthentication
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
    #: Contributions: what the sender check found (`nlp/review.py`, SENDER_*).
    sender_check: str | None = None
    #: The receiving server's verdicts on the sender that count (`nlp/review.py`).
    authentication: SenderAuthentication | None = None
    #: How sure extraction is of each message-level value, 0-1, by field name
    #: ("kind", "sender_role", "modality"); a missing key means "not judged".
    #: Departments carry their own (`DepartmentGuess.confidence`).
    confidence: dict[str, float] = field(default_factory=dict)
    #: Role of each attachment, by its index in the message's flat list.
    attachment_roles: dict[int, str] = field(default_factory=dict)
    #: Bounces, read receipts, auto-replies: the Message-ID of the message they answer.
    original_message_id: str | None = None
    #: Annexe 1 / Annexe 2 rows, typed, de-duplicated, with their source.
    annexe1_rows: list[AnnexRow] = field(default_factory=list)
    annexe2_rows: list[AnnexRow] = field(default_factory=list)
    #: Filled Annexe 3 questionnaires (restricted: they hold personal data).
    survey_responses: list[SurveyResponse] = field(default_factory=list)
    #: What the message says of an earlier one; the link itself is resolved after loading.
    follow_up: FollowUp = field(default_factory=FollowUp)
    #: Recommendations with their theme (contributions and survey responses),
    #: strengths and weaknesses (contributions): see `nlp/findings.py`.
    recommendations: list[Recommendation] = field(default_factory=list)
    strengths: list[Finding] = field(default_factory=list)
    weaknesses: list[Finding] = field(default_factory=list)


_warm_up_lock = threading.Lock()


def warm_up() -> None:
    """Load what `extract` needs: the spaCy pipeline (seconds: the French
    tokenizer compiles a large regex), the gazetteers, the matchers and the
    theme model. Safe to call from any thread, any number of times; a caller
    that comes while another thread is loading waits for it rather than
    loading a second copy."""
    from bilan.nlp.mentions import get_mention_finder
    from bilan.nlp.recommendations import get_prescription_reader
    from bilan.nlp.themes import get_theme_classifier

    with _warm_up_lock:
        get_department_finder()
        get_commune_gazetteer()
        get_state_service_finder()
        get_prescription_reader()
        get_mention_finder()
        get_theme_classifier()


def warm_up_in_background() -> threading.Thread:
    """Start `warm_up` in a daemon thread, so that the models load while the
    first messages are archived and parsed (mostly waiting on the parser
    workers) instead of in front of the first extraction."""
    thread = threading.Thread(target=_warm_up_quietly, name="bilan-nlp-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_quietly() -> None:
    try:
        warm_up()
    except Exception:  # the first extraction will load again and report the error where it belongs
        log.exception("the NLP models could not be loaded in the background")


def extract(parsed: ParsedMessage, thresholds: ReviewThresholds | None = None) -> Extraction:
    """Everything the NLP stage reads from a message; a value read with less
    confidence than its threshold (default: the settings') flags the message
    for review (`nlp/review.py`)."""
    with _warm_up_lock:
        pass  # a warm-up still running in the background: wait for it rather than load twice
    annexes = extract_annex_tables(parsed)
    surveys = extract_survey_responses(parsed)
    judged = judge_kind(parsed, ContentClues(bool(annexes.annexe1 or annexes.annexe2), len(surveys)))
    kind = judged.kind
    decision = decide_departments(
        parsed, kind, get_department_finder(), get_commune_gazetteer(), _content_signals(annexes, surveys)
    )
    extraction = Extraction(
        kind=kind.value,
        departments=decision.departments,
        needs_review=decision.needs_review,
        review_reason=decision.reason,
        original_message_id=original_message_id(parsed, kind),
        confidence={"kind": judged.confidence},
    )
    _add_structure(extraction, parsed, kind, annexes, surveys)
    add_findings(extraction, parsed)
    thresholds = thresholds or configured_thresholds()
    review_uncertain_values(extraction, thresholds)
    review_sender(extraction, parsed.envelope, thresholds.trusted_auth_servers)
    review_what_parsing_said(extraction, parsed)
    return extraction


def _add_structure(
    extraction: Extraction, parsed: ParsedMessage, kind: Kind, annexes: AnnexTables, surveys: list[SurveyResponse]
) -> None:
    """Who wrote, how the department answered, the annex rows, the survey
    answers, follow-up cues and attachment roles."""
    role = sender_role(parsed, kind)
    extraction.sender_role = role.role
    extraction.confidence["sender_role"] = role.confidence
    extraction.attachment_roles = attachment_roles(parsed, kind, annexes, surveys)
    extraction.survey_responses = surveys
    extraction.pii = kind is Kind.SURVEY_RESPONSE or any(s.has_pii for s in surveys)
    if kind is not Kind.CONTRIBUTION:
        return
    extraction.annexe1_rows = annexes.annexe1
    extraction.annexe2_rows = annexes.annexe2
    extraction.follow_up = detect_follow_up(parsed)
    modality = read_modality(parsed, documents_only=extraction.follow_up.relation is not None)
    extraction.modality = modality.modality
    if modality.confidence is not None:
        extraction.confidence["modality"] = modality.confidence
    if extraction.modality != 3:
        meeting = find_meeting(parsed, parsed.envelope.received_at or parsed.envelope.date)
        if meeting is not None:
            extraction.meeting_date = meeting.date
            extraction.meeting_participants = meeting.participants


def _content_signals(annexes: AnnexTables, surveys: list[SurveyResponse]) -> ContentSignals:
    rows = annexes.annexe1 + annexes.annexe2
    return ContentSignals(
        annex_labels=annexes.department_labels,
        qpv_codes=[r.values["qpv_code"] for r in rows if r.values.get("qpv_code")],
        annex_communes=list(dict.fromkeys(r.values["commune"] for r in rows if r.values.get("commune"))),
        survey_places=[s.conseil_citoyen for s in surveys if s.conseil_citoyen],
    )


def add_findings(extraction: Extraction, parsed: ParsedMessage) -> None:
    """Recommendations, strengths and weaknesses, read once the kind is known.
    A failure here leaves the rest of the message's extraction standing: the
    message is flagged for review with the reason."""
    try:
        findings = extract_findings(parsed, extraction.kind)
    except Exception as exc:  # one unreadable document must not lose the kind and departments
        log.exception("recommendations could not be read")
        flag_for_review(extraction, [f"recommendations could not be read: {type(exc).__name__}: {exc}"])
        return
    extraction.recommendations = findings.recommendations
    extraction.strengths = findings.strengths
    extraction.weaknesses = findings.weaknesses
