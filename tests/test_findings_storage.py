"""Recommendations, strengths, weaknesses and mentions in the warehouse (SQLite
and PostgreSQL) and in the export contract."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.export import export_contract
from bilan.storage.models import Mention, Recommendation, Strength, Weakness
from tests.mail import DOCX, message

RECEIVED = dt.datetime(2021, 12, 8, 15, 0, tzinfo=dt.UTC)


def _contribution_docx() -> bytes:
    import io

    import docx

    document = docx.Document()
    document.add_heading("Contribution écrite de la préfecture de l'Aisne", level=0)
    document.add_heading("Atouts et réussites", level=1)
    document.add_paragraph("La table de quartier de Soissons mobilise des habitants éloignés des instances.", style="List Bullet")
    document.add_heading("Fragilités", level=1)
    document.add_paragraph("Un budget annuel versé trop tard aux associations.", style="List Bullet")
    document.add_heading("Préconisations", level=1)
    document.add_paragraph("Confier aux centres sociaux l'accompagnement des conseils citoyens.", style="List Bullet")
    document.add_paragraph("Équiper les conseils citoyens d'un ordinateur et d'une connexion internet.", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _raw() -> bytes:
    mail = message(
        subject="Contribution 02 - bilan des démarches participatives",
        body="Madame, Monsieur,\n\nVeuillez trouver ci-joint la contribution du département de l'Aisne.\n",
        received=RECEIVED,
    )
    mail.add_attachment(_contribution_docx(), *DOCX, filename="contribution_02.docx")
    return mail.as_bytes()


def _rows(warehouse, model):
    with warehouse.engine.connect() as connection:
        return connection.execute(select(model).order_by(model.id)).all()


def _count(warehouse, model) -> int:
    with warehouse.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_findings_are_stored_with_department_theme_and_provenance(warehouse):
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    assert process_archived(Pipeline(warehouse), archived.sha256).processed == 1
    recommendations = _rows(warehouse, Recommendation)
    assert [(r.position, r.text) for r in recommendations] == [
        (0, "Confier aux centres sociaux l'accompagnement des conseils citoyens."),
        (1, "Équiper les conseils citoyens d'un ordinateur et d'une connexion internet."),
    ]
    first = recommendations[0]
    assert (first.departments, first.attachment_position, first.file, first.origin) == (
        "02", 0, "contribution_02.docx", "heading")
    assert first.paragraph is not None and first.theme_source == "model"
    assert [r.theme for r in recommendations] == ["accompagnement", "numerique"]
    assert [s.text for s in _rows(warehouse, Strength)] == [
        "La table de quartier de Soissons mobilise des habitants éloignés des instances."
    ]
    assert [w.text for w in _rows(warehouse, Weakness)] == ["Un budget annuel versé trop tard aux associations."]
    mentions = {(m.label, m.normalized, m.recommendation_id is not None) for m in _rows(warehouse, Mention)}
    assert ("organisation", "centre social", True) in mentions
    assert ("organisation", "table de quartier", False) in mentions


def test_processing_again_replaces_the_findings(warehouse):
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    process_archived(Pipeline(warehouse), archived.sha256)
    counts = [_count(warehouse, m) for m in (Recommendation, Strength, Weakness, Mention)]
    assert process_archived(Pipeline(warehouse), archived.sha256, replace=True).processed == 1
    assert [_count(warehouse, m) for m in (Recommendation, Strength, Weakness, Mention)] == counts


def test_the_export_contract_carries_the_findings(warehouse):
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    process_archived(Pipeline(warehouse), archived.sha256)
    (exported,) = export_contract(warehouse)["messages"]
    assert exported["recommendations"] == [
        {"text": "Confier aux centres sociaux l'accompagnement des conseils citoyens.", "theme": "accompagnement"},
        {"text": "Équiper les conseils citoyens d'un ordinateur et d'une connexion internet.", "theme": "numerique"},
    ]
    assert exported["strengths"] == ["La table de quartier de Soissons mobilise des habitants éloignés des instances."]
    assert exported["weaknesses"] == ["Un budget annuel versé trop tard aux associations."]


def _readme_queries() -> list[str]:
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Recommendations, strengths and weaknesses", 1)[1]
    block = section.split("```sql", 1)[1].split("```", 1)[0]
    return [q.strip() for q in block.split(";") if q.strip()]


def test_the_readme_queries_run(warehouse):
    from sqlalchemy import text

    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    process_archived(Pipeline(warehouse), archived.sha256)
    queries = _readme_queries()
    assert len(queries) == 4
    with warehouse.engine.connect() as connection:
        results = [connection.execute(text(query)).all() for query in queries]
    assert sorted(tuple(row) for row in results[0]) == [("accompagnement", 1), ("numerique", 1)]
    assert len(results[1]) == 2
    assert ("centre social", 1) in [tuple(row) for row in results[2]]
    assert [tuple(row) for row in results[3]] == [("02", 1, 1)]


def test_a_failure_reading_findings_keeps_the_message_and_flags_it(warehouse, monkeypatch):
    """The error path, forced: no real document is known to break the reader."""
    from bilan.storage.models import Message

    def broken_reader(parsed, kind):
        raise ValueError("unreadable table")

    monkeypatch.setattr("bilan.nlp.extraction.extract_findings", broken_reader)
    archived = archive_raw(warehouse, RawMessage(raw=_raw(), source="test:1"))
    assert process_archived(Pipeline(warehouse), archived.sha256).processed == 1
    with warehouse.engine.connect() as connection:
        row = connection.execute(select(Message.kind, Message.needs_review, Message.review_reason)).one()
    assert row.kind == "contribution" and row.needs_review
    assert "recommendations could not be read: ValueError: unreadable table" in row.review_reason
    assert _count(warehouse, Recommendation) == 0
