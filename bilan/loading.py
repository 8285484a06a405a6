"""The one mapping from what parsing and extraction found about a message
to what the warehouse stores of it (`storage/records.py`).

It lives outside `nlp/` and `storage/` so that neither knows the other:
the NLP stage returns its `Extraction`, storage takes its `MessageRecord`,
and only this module reads the one to fill the other. The message's own
values are copied by name: a value extraction holds under the name of its
column needs no line here; the lines below are the values whose shape
differs (confidences by field, the server's verdicts, the follow-up cues).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from bilan.reference import department_of_qpv
from bilan.storage.records import (
    AnnexRowRecord,
    AttachmentRecord,
    DepartmentRecord,
    FindingRecord,
    MentionRecord,
    MessageRecord,
    MessageValues,
    SurveyAnswerRecord,
    SurveyRecord,
    TextRecord,
)

if TYPE_CHECKING:
    from bilan.nlp.annex_tables import AnnexRow
    from bilan.nlp.extraction import Extraction
    from bilan.nlp.findings import Finding, Recommendation
    from bilan.nlp.survey import SurveyResponse
    from bilan.parsers.message import ParsedMessage

#: The server's verdicts kept, each in the column `<method>_result`.
AUTHENTICATION_METHODS = ("dkim", "spf", "dmarc", "arc")


def message_record(parsed: ParsedMessage, extraction: Extraction) -> MessageRecord:
    """Everything the warehouse stores of a processed message."""
    departments = extraction.departments
    # A questionnaire belongs to its message's department when there is only one.
    department = departments[0].code if len(departments) == 1 else None
    return MessageRecord(
        values=message_values(extraction),
        departments=[DepartmentRecord(d.code, d.confidence, d.evidence) for d in departments],
        attachments=_attachments(parsed, extraction.attachment_roles),
        texts=_texts(parsed),
        annexe1_rows=[_annex_row(row) for row in extraction.annexe1_rows],
        annexe2_rows=[_annex_row(row) for row in extraction.annexe2_rows],
        survey_responses=[_survey(survey, department) for survey in extraction.survey_responses],
        recommendations=[_recommendation(item) for item in extraction.recommendations],
        strengths=[_finding(item) for item in extraction.strengths],
        weaknesses=[_finding(item) for item in extraction.weaknesses],
    )


def message_values(extraction: Extraction) -> MessageValues:
    """The message's own values: those whose shape differs below, every
    other one from the extraction's attribute of the same name (a column
    extraction has no attribute for is an error here, not a silent null)."""
    shaped = _shaped_values(extraction)
    names = [f.name for f in fields(MessageValues) if f.name not in shaped]
    return MessageValues(**{name: getattr(extraction, name) for name in names}, **shaped)


def _shaped_values(extraction: Extraction) -> dict[str, Any]:
    confidence = extraction.confidence
    judged = ("kind", "sender_role", "modality")
    values: dict[str, Any] = {f"{name}_confidence": confidence.get(name) for name in judged}
    authentication = extraction.authentication
    values["auth_server"] = (authentication.server or None) if authentication else None
    for method in AUTHENTICATION_METHODS:
        verdict = getattr(authentication, method) if authentication else None
        values[f"{method}_result"] = verdict or None
    values["follow_up"] = extraction.follow_up.relation
    values["follow_up_cited_date"] = extraction.follow_up.cited_date
    values["replies_to"] = extraction.follow_up.replies_to or None
    return values


def _attachments(parsed: ParsedMessage, roles: dict[int, str]) -> list[AttachmentRecord]:
    return [
        AttachmentRecord(
            position=item.index,
            parent_position=item.parent,
            filename=item.filename,
            content_type=item.content_type,
            format=item.format,
            size=item.size,
            sha256=item.sha256,
            inline=item.inline,
            role=roles.get(item.index),
            parse_status=item.status.value,
            parse_error=item.error,
        )
        for item in parsed.attachments
    ]


def _texts(parsed: ParsedMessage) -> list[TextRecord]:
    """The body's text always (even empty), a file's only when it has one."""
    return [
        TextRecord(
            position=-1 if attachment is None else attachment.index,
            text=document.text,
            blocks=len(document.blocks),
            tables=len(document.tables),
        )
        for attachment, document in parsed.documents()
        if document.text or attachment is None
    ]


def _annex_row(row: AnnexRow) -> AnnexRowRecord:
    return AnnexRowRecord(
        attachment_position=row.source.attachment,
        source_file=row.source.file,
        source_sheet=row.source.sheet,
        source_page=row.source.page,
        source_row=row.source.row,
        department_code=department_of_qpv(row.values.get("qpv_code")),
        # Not judged (no cell confidence) is stored as null, not as the property's 1.0.
        confidence=row.confidence if row.cell_confidence else None,
        cell_confidence=dict(row.cell_confidence) or None,
        values=row.values,
    )


def _survey(response: SurveyResponse, department: str | None) -> SurveyRecord:
    return SurveyRecord(
        attachment_position=response.attachment,
        source_file=response.source,
        conseil_citoyen=response.conseil_citoyen,
        department_code=department,
        pii=response.has_pii,
        answers=[SurveyAnswerRecord(a.number, a.topic, a.question, a.answer, a.pii)
                 for a in response.answers],
    )


def _finding(item: Finding) -> FindingRecord:
    """A strength or weakness, or what a recommendation shares with them."""
    provenance = item.provenance
    return FindingRecord(
        text=item.text,
        attachment_position=item.attachment,
        file=provenance.file,
        page=provenance.page,
        sheet=provenance.sheet,
        cell_range=provenance.cell_range,
        paragraph=provenance.paragraph,
        origin=item.origin,
        mentions=[MentionRecord(m.label, m.text, m.normalized) for m in item.mentions],
    )


def _recommendation(item: Recommendation) -> FindingRecord:
    return replace(
        _finding(item),
        theme=item.theme,
        theme_score=item.theme_score,
        theme_source=item.theme_source,
        confidence=item.confidence,
    )
