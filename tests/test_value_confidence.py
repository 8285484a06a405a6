"""A confidence for every extracted value, stored with it (SQLite and
PostgreSQL), and the review rule: a value under its threshold sends its
message to `review_queue` with the reason; a sure one does not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import docx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bilan.loading import message_record
from bilan.mailbox.raw import RawMessage
from bilan.nlp.annex_tables import AnnexRow, RowSource
from bilan.nlp.departments import DepartmentGuess
from bilan.nlp.extraction import Extraction, extract
from bilan.nlp.findings import Recommendation
from bilan.nlp.modality import read_modality
from bilan.nlp.review import ReviewThresholds, review_uncertain_values
from bilan.parsers import parse_message
from bilan.parsers.document import Provenance
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.settings import get_settings
from bilan.storage.export import export_contract
from bilan.storage.models import Annexe1Row, Message, MessageDepartment
from bilan.storage.models import Recommendation as RecommendationRow
from tests.mail import DOCX, XLSX, message, xlsx_bytes

RECEIVED = dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC)
ANNEX1 = [["Département :", "Gard (30)"], [None] * 2,
          ["Commune", "Code QPV", "Nom du quartier", "Conseil citoyen constitué", "Budget annuel (€)"],
          ["Nîmes", "QN03001", "Pissevin", "oui", "3 000 €"]]
SURE = ReviewThresholds(kind=0.6, sender_role=0.6, modality=0.6, department=0.5, annex_cell=0.6,
                        recommendation=0.6, theme=0.5)


def _report(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _contribution(body: str, report: str = "Annexe") -> bytes:
    mail = message(sender="Jeanne Martin <jeanne.martin@gard.gouv.fr>", body=body, received=RECEIVED)
    mail.add_attachment(_report(report), *DOCX, filename="document.docx")
    mail.add_attachment(xlsx_bytes(ANNEX1), *XLSX, filename="Annexe 1.xlsx")
    return mail.as_bytes()


# -- modality ---------------------------------------------------------------


def test_an_explicit_modality_is_surer_than_a_phrase_and_a_tie_is_unsure():
    explicit = read_modality(parse_message(_contribution("Ci-joint notre bilan.", "Compte rendu (modalité 2).")))
    phrase = read_modality(parse_message(_contribution("Ci-joint le compte rendu de la rencontre territoriale.")))
    tie = read_modality(parse_message(_contribution(
        "Nous avons tenu une rencontre territoriale et une réunion en ligne sur Grande Équipe.")))
    assert (explicit.modality, phrase.modality) == (2, 1)
    assert explicit.confidence > phrase.confidence >= SURE.modality
    assert tie.confidence < SURE.modality < phrase.confidence


def test_nothing_said_of_the_modality_is_not_judged():
    extraction = extract(parse_message(_contribution("Ci-joint les annexes.")), SURE)
    assert extraction.modality is None and "modality" not in extraction.confidence


# -- the review rule ----------------------------------------------------------


def _extraction(**confidence: float) -> Extraction:
    return Extraction(kind="contribution", sender_role="ddets", modality=1, confidence=dict(confidence),
                      departments=[DepartmentGuess("30", 0.9, "sender domain")])


def _recommendation(text: str, confidence: float, theme_score: float) -> Recommendation:
    return Recommendation(text=text, provenance=Provenance(file="bilan.docx"), attachment=0, origin="heading",
                          theme="formation", theme_score=theme_score, theme_source="model", confidence=confidence)


def test_values_above_their_thresholds_or_not_judged_are_no_reason():
    extraction = _extraction(kind=0.9, modality=0.61)  # sender_role not judged
    review_uncertain_values(extraction, SURE)
    assert not extraction.needs_review and extraction.review_reason is None


def test_each_uncertain_value_is_named_with_its_confidence_and_threshold():
    extraction = _extraction(kind=0.9, sender_role=0.3, modality=0.45)
    extraction.review_reason = "conflicting signal: 13 (QPV code)"
    extraction.departments.append(DepartmentGuess("13", 0.42, "commune in the body"))
    source = RowSource(file="Annexe 1.xlsx", sheet="Annexe 1", page=None, row=4)
    extraction.annexe1_rows = [
        AnnexRow(1, {"commune": "Nîmes"}, source, {"commune": 0.9, "budget_annuel_eur": 0.5}),
        AnnexRow(1, {"commune": "Alès"}, source, {"commune": 0.4}),
    ]
    extraction.recommendations = [_recommendation("Former les membres.", 0.55, 0.9),
                                  _recommendation("Renouveler les membres.", 0.95, 0.35)]
    review_uncertain_values(extraction, SURE)
    assert extraction.needs_review
    assert extraction.review_reason.split("; ") == [
        "conflicting signal: 13 (QPV code)",
        "low confidence: sender_role ddets (0.30 < 0.60)",
        "low confidence: modality 1 (0.45 < 0.60)",
        "low confidence: department 13 (0.42 < 0.50): commune in the body",
        "low confidence: 2 Annexe 1 cells, weakest Annexe 1 row 2 commune (0.40 < 0.60)",
        "low confidence: recommendation 1 (0.55 < 0.60)",
        "low confidence: recommendation theme 2 (0.35 < 0.50)",
    ]


def test_the_thresholds_are_settings(monkeypatch):
    monkeypatch.setenv("BILAN_REVIEW_BELOW_THEME", "0.8")
    thresholds = get_settings().review_thresholds()
    assert thresholds.theme == 0.8 and thresholds.modality == SURE.modality


# -- stored, and in the views -------------------------------------------------


def _archive(warehouse, raw: bytes) -> str:
    return archive_raw(warehouse, RawMessage(raw=raw, source="test:1")).sha256


def _review_queue(warehouse) -> list[tuple]:
    with warehouse.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT problem, detail FROM review_queue"))]


def test_confidences_are_stored_and_shown_in_the_views(warehouse):
    raw = _contribution("Veuillez trouver ci-joint notre contribution écrite.")
    parsed = parse_message(raw)
    extraction = extract(parsed, SURE)
    # What the kind, role, annex and recommendation readers report about their values.
    extraction.confidence.update(kind=0.97, sender_role=0.8)
    (row,) = extraction.annexe1_rows
    row.cell_confidence = {"commune": 0.95, "qpv_code": 0.99, "budget_annuel_eur": 0.7}
    extraction.recommendations = [_recommendation("Former les membres des conseils citoyens.", 0.88, 0.77)]
    extraction.needs_review, extraction.review_reason = False, None
    review_uncertain_values(extraction, SURE)  # judged again on the values set above
    assert warehouse.record_processing(_archive(warehouse, raw), message_record(parsed, extraction))
    with Session(warehouse.engine) as session:
        stored, department, annex, recommendation = (
            session.scalars(select(model)).one() for model in (Message, MessageDepartment, Annexe1Row, RecommendationRow)
        )
    with warehouse.engine.connect() as connection:
        contribution = connection.execute(text(
            "SELECT department_confidence, sender_role_confidence, modality_confidence FROM current_contribution"
        )).one()
        annex_view = connection.execute(text("SELECT confidence FROM annexe1")).scalar_one()
        recommendation_view = connection.execute(text(
            "SELECT confidence, theme_confidence FROM recommendations")).one()
    modality = extraction.confidence["modality"]
    assert (stored.kind_confidence, stored.sender_role_confidence, stored.modality_confidence) == (0.97, 0.8, modality)
    assert department.confidence == extraction.departments[0].confidence
    assert (annex.confidence, annex.cell_confidence) == (0.7, {"commune": 0.95, "qpv_code": 0.99, "budget_annuel_eur": 0.7})
    assert (recommendation.confidence, recommendation.theme_score) == (0.88, 0.77)
    assert tuple(contribution) == (department.confidence, 0.8, modality)
    assert annex_view == 0.7 and tuple(recommendation_view) == (0.88, 0.77)
    assert not stored.needs_review and _review_queue(warehouse) == []


def test_values_not_judged_are_stored_as_null(warehouse):
    raw = _contribution("Ci-joint les annexes.")
    parsed = parse_message(raw)
    extraction = extract(parsed, SURE)
    extraction.confidence.clear()
    extraction.annexe1_rows = [dataclasses.replace(r, cell_confidence={}) for r in extraction.annexe1_rows]
    assert warehouse.record_processing(_archive(warehouse, raw), message_record(parsed, extraction))
    with Session(warehouse.engine) as session:
        stored, annex = (session.scalars(select(model)).one() for model in (Message, Annexe1Row))
    assert (stored.kind_confidence, stored.sender_role_confidence, stored.modality_confidence) == (None, None, None)
    assert (annex.confidence, annex.cell_confidence) == (None, None)


def test_a_low_confidence_value_puts_its_message_in_the_review_queue(warehouse, monkeypatch):
    sure = _archive(warehouse, _contribution("Veuillez trouver ci-joint notre contribution écrite."))
    assert process_archived(Pipeline(warehouse), sure).processed == 1
    assert _review_queue(warehouse) == []
    # Stricter than the modality read from a sender's phrase: the same message becomes uncertain.
    monkeypatch.setenv("BILAN_REVIEW_BELOW_MODALITY", "0.9")
    assert process_archived(Pipeline(warehouse), sure, replace=True).processed == 1
    ((problem, detail),) = _review_queue(warehouse)
    assert problem == "needs_review" and detail.startswith("low confidence: modality 3 (0.")
    assert detail.endswith(" < 0.90)")
    exported = export_contract(warehouse)["messages"][0]
    assert exported["modality"] == 3 and 0 < exported["confidence"]["modality"] < 0.9


# -- migration ----------------------------------------------------------------


def _columns(engine, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {column["name"] for column in inspect(engine).get_columns(table)}


def _views(engine) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(engine).get_view_names())


def test_the_confidence_migration_upgrades_and_downgrades(alembic):
    from bilan.storage.schema import downgrade, migrate

    alembic("upgrade", "0005")
    assert not _views(alembic.engine)  # migrations create no view
    with alembic.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO message (sha256, subject, source, size, archived_at, pii, needs_review) "
            "VALUES ('ab', '', 'test:1', 1, '2021-12-08 10:00:00', false, false)"
        ))
    migrate(alembic.engine)
    assert {"kind_confidence", "sender_role_confidence", "modality_confidence"} <= _columns(alembic.engine, "message")
    assert {"confidence", "cell_confidence"} <= _columns(alembic.engine, "annexe2_row")
    assert {"current_contribution", "annexe1", "annexe2", "recommendations"} <= _views(alembic.engine)
    with alembic.engine.connect() as connection:
        assert connection.execute(text("SELECT modality_confidence FROM message")).one() == (None,)
    downgrade(alembic.engine, "0005")  # under the views that read these columns
    assert "modality_confidence" not in _columns(alembic.engine, "message")
    assert "confidence" not in _columns(alembic.engine, "recommendation")
    assert not _views(alembic.engine)
    migrate(alembic.engine)
    assert "recommendations" in _views(alembic.engine)
