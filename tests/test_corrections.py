"""Corrections as data (`storage/corrections.py`): what a person settles is
laid over extraction in every analyst view, the department status, the
exports, the reminder list and the dashboard; kept through `bilan
reprocess`; undoable; moved between warehouses. On a SQLite file and on
PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import delete, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dashboard import build_report
from bilan.ingestion import import_path
from bilan.outgoing.reminders import draft_reminders
from bilan.parsers.pool import default_pool
from bilan.pipeline import Pipeline, Selection, reprocess
from bilan.settings import Settings
from bilan.storage.corrections import CorrectionError, CorrectionRequest, ImportResult
from bilan.storage.export import export_contract
from bilan.storage.models import (
    Annexe1Row,
    Annexe2Row,
    CorrectionRow,
    Message,
    MessageDepartment,
    Recommendation,
)
from bilan.storage.status import campaign_status, department_statuses
from bilan.storage.view_export import read_views
from bilan.storage.views import counts_by
from bilan.storage.warehouse import Warehouse
from tests.conftest import REPO, SAMPLES, empty_database
from tests.loading import load_raw
from tests.mail import message

UTC = dt.UTC
EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))
ISERE_LATE = "12-isere-late-truncated-pdf.eml"
HERAULT = "07-herault-contribution.eml"
BEFORE_DEADLINE = dt.datetime(2021, 12, 1, 9, 0, tzinfo=UTC)
AFTER_DEADLINE = dt.datetime(2021, 12, 20, 9, 0, tzinfo=UTC)


# -- helpers ---------------------------------------------------------------------


@pytest.fixture
def campaign(warehouse, pipeline):
    """The sample mailbox, ingested by the real pipeline."""
    import_path(pipeline, SAMPLES)
    return warehouse


def sha256_of(warehouse: Warehouse, name: str) -> str:
    with warehouse.engine.connect() as connection:
        return connection.execute(
            text("SELECT sha256 FROM message WHERE message_id = :m"), {"m": EXPECTED[name]["message_id"]}
        ).scalar_one()


def pk_of(warehouse: Warehouse, sha256: str) -> int:
    with warehouse.engine.connect() as connection:
        return connection.execute(text("SELECT id FROM message WHERE sha256 = :s"), {"s": sha256}).scalar_one()


def statuses(warehouse: Warehouse) -> dict:
    return {s.code: s for s in department_statuses(warehouse.engine, warehouse.campaign)}


def chased(warehouse: Warehouse, settings: Settings, now: dt.datetime = BEFORE_DEADLINE) -> set[str]:
    """The departments of the reminder list."""
    return {draft.department.code for draft in draft_reminders(warehouse, settings, now)}


def rows(warehouse: Warehouse, sql: str, **params) -> list[tuple]:
    with warehouse.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def exported_message(warehouse: Warehouse, sha256: str) -> dict:
    source_id = rows(warehouse, "SELECT message_id FROM message WHERE sha256 = :s", s=sha256)[0][0]
    return next(m for m in export_contract(warehouse)["messages"] if m["message_id"] == source_id)


def stored(
    warehouse: Warehouse,
    number: int,
    *,
    kind: str = "contribution",
    departments: tuple[str, ...] = ("02",),
    received: dt.datetime = dt.datetime(2021, 12, 8, 10, 0, tzinfo=UTC),
    annex_rows: int = 1,
    recommendations: int = 1,
    needs_review: bool = False,
    failed: str | None = None,
) -> str:
    """A processed message written straight into the tables, with annex rows
    and recommendations: a stand-in for extraction where the test is about
    what happens after it (checks, undo, listing), quicker than spaCy."""
    sha256 = f"{number:064x}"
    with Session(warehouse.engine) as session, session.begin():
        stored_message = Message(
            sha256=sha256, message_id=f"<m{number}@test>", sender=f"agent{number}@aisne.gouv.fr",
            subject=f"Message {number}", source="test", size=1, received_at=received, archived_at=received,
            processed_at=None if failed else received, process_error=failed, kind=kind, modality=3, pii=False,
            needs_review=needs_review, review_reason="low confidence: test" if needs_review else None,
        )
        session.add(stored_message)
        session.flush()
        session.add_all(MessageDepartment(message_id=stored_message.id, department_code=code) for code in departments)
        session.add_all(
            Annexe1Row(
                message_id=stored_message.id, position=position, source_file="Annexe 1.xlsx", source_row=position + 2,
                commune=f"Commune {position}", membres_habitants=10 + position, actif=True, department_code=departments[0],
            )
            for position in range(annex_rows)
        )
        session.add_all(
            Recommendation(
                message_id=stored_message.id, position=position, text=f"Préconisation {position}",
                departments=" ".join(departments), origin="heading", theme="formation", theme_score=0.4,
            )
            for position in range(recommendations)
        )
    return sha256


# -- the campaign team's story, on the sample mailbox ------------------------------


def test_a_wrong_department_is_corrected_everywhere_and_kept_through_reprocess(campaign, pipeline, settings_env):
    """Isère's late contribution is said to be for the Vienne (86): the
    status, the JSON export, the analyst views, the reminder list and the
    dashboard all follow; `bilan reprocess` keeps it; undo restores Isère."""
    sha = sha256_of(campaign, ISERE_LATE)
    source_id = EXPECTED[ISERE_LATE]["message_id"]
    before = statuses(campaign)
    assert (before["38"].status, before["86"].status) == ("late", "missing")
    assert "86" in chased(campaign, settings_env) and "38" not in chased(campaign, settings_env)

    correction_id = campaign.apply_correction(CorrectionRequest(
        subject="message_departments", target=sha, new_value=["86"], author="claire",
        reason="Vienne the department, not the town in Isère",
    ))

    def shows_the_correction() -> None:
        now = statuses(campaign)
        assert (now["38"].status, now["86"].status) == ("missing", "late")
        assert now["86"].first_contribution_at == dt.datetime(2021, 12, 14, 8, 41, 55, tzinfo=UTC)
        exported = export_contract(campaign)
        item = next(m for m in exported["messages"] if m["message_id"] == source_id)
        assert item["departments"] == ["86"] and item["confidence"]["departments"] == {"86": 1.0}
        assert exported["departments"]["86"]["status"] == "late" and source_id in exported["departments"]["86"]["messages"]
        assert exported["departments"]["38"]["status"] == "missing"
        assert source_id not in exported["departments"]["38"]["messages"]
        reminded = chased(campaign, settings_env)
        assert "38" in reminded and "86" not in reminded
        sheets = {sheet.name: sheet for sheet in read_views(campaign.engine)}
        contribution = sheets["current_contribution"]
        assert [row[1] for row in contribution.rows if row[0] == pk_of(campaign, sha)] == ["86"]
        report = build_report(campaign)
        assert 'st-late" data-departement="86"' in report and 'st-missing" data-departement="38"' in report

    shows_the_correction()
    assert sha in Selection(departments=("86",)).matching(campaign)  # `bilan reprocess -d 86` finds it
    assert sha in Selection(departments=("38",)).matching(campaign)  # and `-d 38`, where extraction put it
    [listed] = campaign.list_corrections(target=sha)
    assert (listed.id, listed.subject, listed.author) == (correction_id, "message_departments", "claire")
    assert (listed.old_value, listed.new_value, listed.field) == (["38"], ["86"], None)
    assert listed.applies and listed.in_force and listed.undone_at is None

    summary = reprocess(pipeline, Selection())
    assert (summary.processed, summary.failed) == (len(EXPECTED), 0)
    # extraction wrote its own rows again (Isère), and the correction still lies over them
    assert rows(campaign, "SELECT department_code FROM message_department WHERE message_id = :m", m=pk_of(campaign, sha)) == [("38",)]
    shows_the_correction()

    campaign.undo_correction(correction_id, author="claire")
    after = statuses(campaign)
    assert (after["38"].status, after["86"].status) == ("late", "missing")
    assert exported_message(campaign, sha)["departments"] == ["38"]
    assert campaign.list_corrections(target=sha) == []
    [undone] = campaign.list_corrections(target=sha, include_undone=True)
    assert undone.undone_by == "claire" and undone.undone_at is not None and not undone.in_force


def test_annex_cells_rows_and_recommendations_are_corrected_in_the_views_and_the_export(campaign, pipeline):
    sha = sha256_of(campaign, HERAULT)
    pk = pk_of(campaign, sha)
    annexe1 = rows(campaign, "SELECT position, commune, membres_habitants FROM annexe1_row WHERE message_id = :m ORDER BY position", m=pk)
    annexe2 = rows(campaign, "SELECT position FROM annexe2_row WHERE message_id = :m ORDER BY position", m=pk)
    found = rows(campaign, "SELECT position, text, theme FROM recommendation WHERE message_id = :m ORDER BY position", m=pk)
    assert len(annexe1) >= 1 and len(annexe2) >= 1 and len(found) >= 2, "the Hérault sample has annex rows and recommendations"
    new_theme = "numerique" if found[1][2] != "numerique" else "autonomie"

    def correct(subject: str, target: str, value, field: str | None = None) -> int:
        return campaign.apply_correction(CorrectionRequest(subject, f"{sha}/{target}", value, "analyste", "relu", field))

    correct("annex_cell", "annexe1/0", "Sète (corrigé)", "commune")
    correct("annex_cell", "annexe1/0", 99, "membres_habitants")
    correct("annex_cell", "annexe1/0", False, "conseil_constitue")
    correct("annex_row", "annexe2/0", {"rejected": True})
    correct("recommendation", "recommendation/0", "rejected", "status")
    correct("recommendation", "recommendation/1", new_theme, "theme")
    correct("recommendation", "recommendation/1", "Former les membres des conseils citoyens (corrigé)", "text")

    def shows_the_corrections() -> None:
        view = rows(campaign, "SELECT commune, membres_habitants, conseil_constitue FROM annexe1 WHERE message_id = :m ORDER BY row_id", m=pk)
        assert view[0] == ("Sète (corrigé)", 99, 0) and len(view) == len(annexe1)
        assert rows(campaign, "SELECT count(*) FROM annexe2 WHERE message_id = :m", m=pk) == [(len(annexe2) - 1,)]
        recommendations = rows(
            campaign, "SELECT DISTINCT position, text, theme, theme_confidence FROM recommendations WHERE message_id = :m ORDER BY position", m=pk,
        )
        assert [r[0] for r in recommendations] == [position for position, _, _ in found[1:]]
        assert recommendations[0][1:] == ("Former les membres des conseils citoyens (corrigé)", new_theme, 1.0)
        with campaign.engine.connect() as connection:  # what the dashboard counts
            themes = dict(counts_by(connection, "recommendations", ("theme",), "recommendation_id"))
        assert themes.get(new_theme, 0) >= 1
        item = exported_message(campaign, sha)
        assert item["annexe1_rows"][0]["commune"] == "Sète (corrigé)"
        assert item["annexe1_rows"][0]["membres_habitants"] == 99 and item["annexe1_rows"][0]["conseil_constitue"] is False
        assert item["confidence"]["annexe1_rows"][0]["cells"]["commune"] == 1.0
        assert len(item["annexe2_rows"]) == len(annexe2) - 1 == len(item["confidence"]["annexe2_rows"])
        assert item["recommendations"][0] == {"text": "Former les membres des conseils citoyens (corrigé)", "theme": new_theme}
        assert len(item["recommendations"]) == len(found) - 1 == len(item["confidence"]["recommendations"])
        assert found[0][1] not in [r["text"] for r in item["recommendations"]]
        sheets = {sheet.name: sheet for sheet in read_views(campaign.engine)}  # what xlsx, csv and parquet write
        assert "Sète (corrigé)" in {row[5] for row in sheets["annexe1"].rows}

    shows_the_corrections()
    reprocess(pipeline, Selection(kinds=("contribution",)))
    shows_the_corrections()
    # extraction's values are still there, under the corrections
    assert rows(campaign, "SELECT commune FROM annexe1_row WHERE message_id = :m AND position = 0", m=pk) == [(annexe1[0][1],)]


def test_corrections_move_to_another_warehouse(campaign, database_url, settings_env, tmp_path, request):
    isere = sha256_of(campaign, ISERE_LATE)
    herault = sha256_of(campaign, HERAULT)
    moved = campaign.apply_correction(CorrectionRequest("message_departments", isere, ["86"], "claire"))
    campaign.apply_correction(CorrectionRequest("annex_cell", f"{herault}/annexe1/0", "Lodève", "claire", field="commune"))
    excused = campaign.apply_correction(CorrectionRequest("department_exempt", "976", True, "claire", "Mayotte: cyclone"))
    undone = campaign.apply_correction(CorrectionRequest("message_kind", isere, "question", "bob"))
    campaign.undo_correction(undone, "claire")
    document = json.loads(json.dumps(campaign.export_corrections()))  # as written to a file
    assert len(document["corrections"]) == 4

    def described(warehouse: Warehouse) -> list[tuple]:
        return [
            (c.made_at, c.author, c.subject, c.target, c.field, c.old_value, c.new_value, c.reason, c.undone_at, c.undone_by)
            for c in warehouse.list_corrections(include_undone=True)
        ]

    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    with empty_database(kind, tmp_path / "second.db", request) as url:
        settings = Settings(database_url=url, archive_dir=tmp_path / "second-archive")
        second = Warehouse.open(settings)
        assert second.import_corrections(document) == ImportResult(added=4, undone=0, unchanged=0)
        assert described(second) == described(campaign)
        # no message yet: the message corrections are kept, and do not apply
        assert {c.subject: c.applies for c in second.list_corrections()} == {
            "message_departments": False, "annex_cell": False, "department_exempt": True,
        }
        assert statuses(second)["976"].status == "exempt"
        assert second.import_corrections(document) == ImportResult(added=0, undone=0, unchanged=4)
        assert len(second.list_corrections(include_undone=True)) == 4

        with Pipeline.open(settings, pool=default_pool()) as second_pipeline:
            import_path(second_pipeline, SAMPLES)
        assert all(c.applies for c in second.list_corrections())
        assert (statuses(second)["38"].status, statuses(second)["86"].status) == ("missing", "late")
        assert exported_message(second, herault)["annexe1_rows"][0]["commune"] == "Lodève"

        campaign.undo_correction(moved, "claire")
        campaign.undo_correction(excused, "claire")
        assert second.import_corrections(campaign.export_corrections()) == ImportResult(added=0, undone=2, unchanged=2)
        assert (statuses(second)["38"].status, statuses(second)["976"].status) == ("late", "missing")
        assert described(second) == described(campaign)


# -- exempt departments -------------------------------------------------------


def _contribution(code: str, name: str, domain: str, received: dt.datetime) -> bytes:
    return message(
        subject=f"Contribution bilan démarches participatives - {name} ({code})",
        sender=f"Paul <paul@{domain}.gouv.fr>", received=received, message_id=f"<c@{domain}.gouv.fr>",
    ).as_bytes()


def test_an_exempt_department_is_neither_late_nor_missing_nor_reminded(warehouse, settings_env):
    load_raw(warehouse, _contribution("11", "Aude", "aude", dt.datetime(2021, 12, 13, 9, 0, tzinfo=UTC)))
    load_raw(warehouse, _contribution("02", "Aisne", "aisne", dt.datetime(2021, 12, 8, 9, 0, tzinfo=UTC)))
    before = statuses(warehouse)
    assert (before["11"].status, before["75"].status, before["02"].status) == ("late", "missing", "on_time")
    assert {"75", "02", "11"} <= chased(warehouse, settings_env, AFTER_DEADLINE)  # 02 and 11 lack their annexes
    summary_before = campaign_status(warehouse.engine, warehouse.campaign)

    ids = {
        code: warehouse.apply_correction(CorrectionRequest("department_exempt", code, True, "claire", "excused"))
        for code in ("11", "75", "2a")
    }
    now = statuses(warehouse)
    assert (now["11"].status, now["75"].status, now["2A"].status) == ("exempt", "exempt", "exempt")
    assert now["11"].exempt and now["75"].exempt and not now["02"].exempt
    summary = campaign_status(warehouse.engine, warehouse.campaign)
    assert summary.exempt == 3
    assert (summary.late, summary.missing) == (summary_before.late - 1, summary_before.missing - 2)
    for moment in (BEFORE_DEADLINE, AFTER_DEADLINE):
        assert not {"11", "75", "2A"} & chased(warehouse, settings_env, moment)
    assert "59" in chased(warehouse, settings_env)
    assert export_contract(warehouse)["departments"]["75"]["status"] == "exempt"
    report = build_report(warehouse)
    assert 'st-exempt" data-departement="75"' in report and "Départements dispensés (3)" in report

    # a department that answered on time stays on time
    warehouse.apply_correction(CorrectionRequest("department_exempt", "02", True, "claire"))
    assert statuses(warehouse)["02"].status == "on_time" and "02" not in chased(warehouse, settings_env, AFTER_DEADLINE)
    # the latest correction wins; undo restores
    warehouse.apply_correction(CorrectionRequest("department_exempt", "11", False, "bob", "not excused after all"))
    assert statuses(warehouse)["11"].status == "late"
    warehouse.undo_correction(ids["75"], "claire")
    assert statuses(warehouse)["75"].status == "missing" and "75" in chased(warehouse, settings_env)


# -- message values, links, the order of corrections ---------------------------


def test_kind_modality_and_version_links_are_corrected(warehouse):
    first = stored(warehouse, 1, kind="question", received=dt.datetime(2021, 12, 6, 10, 0, tzinfo=UTC))
    second = stored(warehouse, 2, received=dt.datetime(2021, 12, 9, 10, 0, tzinfo=UTC))
    assert statuses(warehouse)["02"].first_contribution_at == dt.datetime(2021, 12, 9, 10, 0, tzinfo=UTC)

    warehouse.apply_correction(CorrectionRequest("message_kind", first, "contribution", "claire"))
    assert statuses(warehouse)["02"].first_contribution_at == dt.datetime(2021, 12, 6, 10, 0, tzinfo=UTC)
    assert exported_message(warehouse, first)["kind"] == "contribution"
    assert exported_message(warehouse, first)["confidence"]["kind"] == 1.0

    warehouse.apply_correction(CorrectionRequest("message_supersedes", second, first, "claire", "a corrected version"))
    current = rows(warehouse, "SELECT message_id, supersedes_message_id FROM current_contribution")
    assert current == [(pk_of(warehouse, second), pk_of(warehouse, first))]
    assert exported_message(warehouse, second)["supersedes"] == "<m1@test>"

    warehouse.apply_correction(CorrectionRequest("message_supersedes", second, None, "claire"))
    warehouse.apply_correction(CorrectionRequest("message_complements", second, first, "claire"))
    current = rows(warehouse, "SELECT message_id, supersedes_message_id, complements_message_id FROM current_contribution ORDER BY message_id")
    assert current == [(pk_of(warehouse, first), None, None), (pk_of(warehouse, second), None, pk_of(warehouse, first))]

    warehouse.apply_correction(CorrectionRequest("message_modality", second, 1, "claire"))
    assert statuses(warehouse)["02"].modality == 1
    assert exported_message(warehouse, second)["modality"] == 1


def test_the_latest_correction_wins_and_undo_restores_the_previous_one(warehouse):
    sha = stored(warehouse, 1, kind="question")

    def kind() -> str:
        return rows(warehouse, "SELECT kind FROM effective_message WHERE sha256 = :s", s=sha)[0][0]

    first = warehouse.apply_correction(CorrectionRequest("message_kind", sha, "contribution", "claire"))
    second = warehouse.apply_correction(CorrectionRequest("message_kind", sha, "spam", "bob"))
    assert kind() == "spam" and statuses(warehouse)["02"].status == "missing"
    listed = warehouse.list_corrections(target=sha)
    assert [(c.id, c.old_value, c.new_value, c.in_force) for c in listed] == [
        (first, "question", "contribution", False), (second, "contribution", "spam", True),
    ]
    warehouse.undo_correction(second, "bob")
    assert kind() == "contribution" and statuses(warehouse)["02"].status == "on_time"
    assert [c.in_force for c in warehouse.list_corrections(target=sha)] == [True]
    warehouse.undo_correction(first, "claire")
    assert kind() == "question" and statuses(warehouse)["02"].status == "missing"
    assert len(warehouse.list_corrections(include_undone=True)) == 2  # undoing deletes nothing
    with pytest.raises(CorrectionError, match="already undone by claire"):
        warehouse.undo_correction(first, "bob")
    with pytest.raises(CorrectionError, match="no correction #999"):
        warehouse.undo_correction(999, "bob")


def test_a_correction_whose_target_is_gone_is_kept_and_listed_as_not_applying(warehouse):
    sha = stored(warehouse, 1, annex_rows=2)
    warehouse.apply_correction(CorrectionRequest("annex_cell", f"{sha}/annexe1/1", "Laon", "claire", field="commune"))
    assert rows(warehouse, "SELECT commune FROM annexe1 ORDER BY row_id") == [("Commune 0",), ("Laon",)]
    with Session(warehouse.engine) as session, session.begin():  # a reprocess that reads one row only
        session.execute(delete(Annexe1Row).where(Annexe1Row.position == 1))
    [orphan] = warehouse.list_corrections()
    assert not orphan.applies and orphan.in_force and orphan.new_value == "Laon"
    assert rows(warehouse, "SELECT commune FROM annexe1") == [("Commune 0",)]
    stored_pk = pk_of(warehouse, sha)
    with Session(warehouse.engine) as session, session.begin():  # the row comes back
        session.add(Annexe1Row(message_id=stored_pk, position=1, source_file="Annexe 1.xlsx", source_row=3, commune="Lao"))
    assert warehouse.list_corrections()[0].applies
    assert rows(warehouse, "SELECT commune FROM annexe1 ORDER BY row_id") == [("Commune 0",), ("Laon",)]


def test_a_correction_never_moves_onto_another_row(warehouse):
    """A reprocess that reads one row more above a corrected one shifts the
    positions: the row now at the corrected position came from elsewhere in
    the file, so the correction no longer applies (and says so)."""
    sha = stored(warehouse, 1, annex_rows=2, recommendations=2)
    warehouse.apply_correction(CorrectionRequest("annex_cell", f"{sha}/annexe1/1", "Laon", "claire", field="commune"))
    warehouse.apply_correction(CorrectionRequest("recommendation", f"{sha}/recommendation/1", "moyens", "claire", field="theme"))
    assert [c.applies for c in warehouse.list_corrections()] == [True, True]
    assert exported_message(warehouse, sha)["confidence"]["annexe1_rows"][1]["cells"] == {"commune": 1.0}
    with Session(warehouse.engine) as session, session.begin():
        session.query(Annexe1Row).filter(Annexe1Row.position == 1).update({"source_row": 40, "commune": "Chauny"})
        session.query(Recommendation).filter(Recommendation.position == 1).update({"text": "Une autre préconisation"})
    assert [c.applies for c in warehouse.list_corrections()] == [False, False]
    assert rows(warehouse, "SELECT commune FROM annexe1 ORDER BY row_id") == [("Commune 0",), ("Chauny",)]
    assert rows(warehouse, "SELECT theme FROM recommendations ORDER BY position") == [("formation",), ("formation",)]
    item = exported_message(warehouse, sha)
    assert item["annexe1_rows"][1]["commune"] == "Chauny" and item["confidence"]["annexe1_rows"][1]["cells"] == {}
    assert [r["theme"] for r in item["recommendations"]] == ["formation", "formation"]


# -- what cannot be corrected ------------------------------------------------------


def _invalid_requests(sha: str) -> list[tuple[CorrectionRequest, str]]:
    other = "b" * 64
    row, recommendation = f"{sha}/annexe1/0", f"{sha}/recommendation/0"
    return [
        (CorrectionRequest("message_colour", sha, "red", "a"), "unknown subject 'message_colour'"),
        (CorrectionRequest("message_kind", "not-a-sha256", "spam", "a"), "64 hex digits"),
        (CorrectionRequest("message_kind", other, "spam", "a"), f"message {other} is not in this warehouse"),
        (CorrectionRequest("message_kind", sha, "letter", "a"), "unknown kind of message 'letter'"),
        (CorrectionRequest("message_kind", sha, "spam", ""), "needs an author"),
        (CorrectionRequest("message_kind", sha, "spam", "a", field="kind"), "has no field"),
        (CorrectionRequest("message_modality", sha, 4, "a"), "unknown modality 4"),
        (CorrectionRequest("message_modality", sha, True, "a"), "unknown modality True"),
        (CorrectionRequest("message_departments", sha, ["99"], "a"), "unknown department code '99'"),
        (CorrectionRequest("message_departments", sha, 2, "a"), "list of codes"),
        (CorrectionRequest("message_supersedes", sha, sha, "a"), "cannot supersede itself"),
        (CorrectionRequest("message_complements", sha, other, "a"), f"message {other} is not in this warehouse"),
        (CorrectionRequest("message_supersedes", sha, "earlier", "a"), "another message's sha256 or null"),
        (CorrectionRequest("annex_cell", row, "Laon", "a"), "needs a field"),
        (CorrectionRequest("annex_cell", row, "x.xlsx", "a", field="source_file"), "'source_file' is not a field"),
        (CorrectionRequest("annex_cell", row, "oui", "a", field="actif"), "annexe1.actif is true, false or null"),
        (CorrectionRequest("annex_cell", row, -3, "a", field="membres_habitants"), "whole number"),
        (CorrectionRequest("annex_cell", row, 2.5, "a", field="membres_habitants"), "whole number"),
        (CorrectionRequest("annex_cell", row, "mars 2016", "a", field="date_creation"), "YYYY-MM"),
        (CorrectionRequest("annex_cell", row, "99", "a", field="department_code"), "unknown department code"),
        (CorrectionRequest("annex_cell", f"{sha}/annexe1/7", "Laon", "a", field="commune"), "row 7 of annexe1"),
        (CorrectionRequest("annex_cell", f"{sha}/annexe2/0", "fête", "a", field="type"), "is not in this warehouse"),
        (CorrectionRequest("annex_cell", f"{sha}/annexe3/0", "Laon", "a", field="commune"), "<sha256>/annexe1/<position>"),
        (CorrectionRequest("annex_row", row, {"rejected": "yes"}, "a"), '{"rejected": true}'),
        (CorrectionRequest("annex_row", row, True, "a"), '{"rejected": true}'),
        (CorrectionRequest("recommendation", recommendation, "x", "a", field="colour"), "'colour' is not a field"),
        (CorrectionRequest("recommendation", recommendation, "maybe", "a", field="status"), "'accepted', 'rejected'"),
        (CorrectionRequest("recommendation", recommendation, "cuisine", "a", field="theme"), "unknown theme 'cuisine'"),
        (CorrectionRequest("recommendation", recommendation, "  ", "a", field="text"), "cannot be empty"),
        (CorrectionRequest("recommendation", row, "rejected", "a", field="status"), "<sha256>/recommendation/<position>"),
        (CorrectionRequest("department_exempt", "99", True, "a"), "unknown department code '99'"),
        (CorrectionRequest("department_exempt", "75", "yes", "a"), "true or false"),
    ]


def test_invalid_requests_raise_a_correction_error_and_store_nothing(warehouse):
    sha = stored(warehouse, 1)
    for request, message_part in _invalid_requests(sha):
        with pytest.raises(CorrectionError) as raised:
            warehouse.apply_correction(request)
        assert message_part in str(raised.value), (request, str(raised.value))
        assert isinstance(raised.value, ValueError)
    assert warehouse.list_corrections(include_undone=True) == []
    with Session(warehouse.engine) as session:
        assert session.query(CorrectionRow).count() == 0


def test_an_imported_file_is_checked_as_a_whole(warehouse):
    good = {"made_at": "2021-12-11T10:00:00+00:00", "author": "claire", "subject": "department_exempt",
            "target": "75", "field": None, "old_value": False, "new_value": True, "reason": "", "undone_at": None,
            "undone_by": None}
    bad = {**good, "subject": "department_colour"}
    with pytest.raises(CorrectionError, match="correction 2 of the file: unknown subject"):
        warehouse.import_corrections({"format": "bilan-corrections", "version": 1, "corrections": [good, bad]})
    assert warehouse.list_corrections(include_undone=True) == []  # all or nothing
    with pytest.raises(CorrectionError, match="not a corrections file"):
        warehouse.import_corrections({"messages": []})
    naive = {**good, "made_at": "2021-12-11T10:00:00"}
    with pytest.raises(CorrectionError, match="time zone"):
        warehouse.import_corrections({"format": "bilan-corrections", "version": 1, "corrections": [naive]})


# -- the command line ---------------------------------------------------------------


def test_the_command_line_corrects_lists_undoes_exports_and_imports(warehouse, settings_env, tmp_path):
    sha = stored(warehouse, 1)
    runner = CliRunner()

    def bilan(*args: str):
        result = runner.invoke(app, list(args))
        return result.exit_code, result.output

    code, output = bilan("correct", "message_departments", sha, '["01", "2a"]', "--author", "claire", "--reason", "SGAR")
    assert code == 0 and "correction #1 recorded" in output
    code, output = bilan("correct", "department_exempt", "976", "true", "--author", "claire")
    assert code == 0
    assert statuses(warehouse)["976"].status == "exempt" and statuses(warehouse)["2A"].status == "on_time"
    code, output = bilan("status", "--status", "exempt")
    assert code == 0 and "976" in output and "1 exempt" in output
    code, output = bilan("correct", "message_kind", sha, "letter")
    assert code == 1 and "error: unknown kind of message 'letter'" in output
    code, output = bilan("corrections", "list")
    assert code == 0 and "2 correction(s)" in output
    assert bilan("corrections", "undo", "2", "--author", "bob")[0] == 0
    assert statuses(warehouse)["976"].status == "missing"
    code, output = bilan("corrections", "undo", "2")
    assert code == 1 and "already undone" in output
    assert "2 correction(s)" in bilan("corrections", "list", "--all")[1]
    exported = tmp_path / "corrections.json"
    assert bilan("corrections", "export", "--out", str(exported))[0] == 0
    document = json.loads(exported.read_text(encoding="utf-8"))
    assert [(c["subject"], c["undone_by"]) for c in document["corrections"]] == [
        ("message_departments", None), ("department_exempt", "bob"),
    ]
    code, output = bilan("corrections", "import", str(exported))
    assert code == 0 and "0 correction(s) added, 0 marked undone, 2 already known" in output
    not_json = tmp_path / "notes.txt"
    not_json.write_text("hello", encoding="utf-8")
    code, output = bilan("corrections", "import", str(not_json))
    assert code == 1 and "is not JSON" in output


# -- the views --------------------------------------------------------------------


def test_the_effective_views_have_every_column_of_their_tables(warehouse):
    """A column added to a table must be added to its `effective_*` view,
    or readers of the view would lose it."""
    with warehouse.engine.connect() as connection:
        for view, model in (
            ("effective_message", Message),
            ("effective_annexe1_row", Annexe1Row),
            ("effective_annexe2_row", Annexe2Row),
            ("effective_recommendation", Recommendation),
        ):
            columns = set(connection.execute(text(f"SELECT * FROM {view} LIMIT 0")).keys())
            assert {c.name for c in model.__table__.columns} <= columns, view


def test_two_corrections_in_the_same_instant_are_both_kept(warehouse):
    """The natural key holds the instant a correction was made: a clock that
    gives the same instant twice must not refuse the second correction."""
    from bilan.storage import corrections

    sha = stored(warehouse, 1)
    instant = dt.datetime(2021, 12, 11, 9, 0, tzinfo=UTC)
    with Session(warehouse.engine) as session, session.begin():
        corrections.apply(session, CorrectionRequest("message_kind", sha, "spam", "claire"), instant)
        corrections.apply(session, CorrectionRequest("message_kind", sha, "question", "claire"), instant)
    listed = warehouse.list_corrections()
    assert [(c.new_value, c.in_force) for c in listed] == [("spam", False), ("question", True)]
    assert listed[1].made_at == instant + dt.timedelta(microseconds=1)


# -- the review queue empties as people work ------------------------------------------


def queue(warehouse: Warehouse) -> dict[str, str]:
    """The review queue: each message's sha256 and its problem."""
    return dict(rows(warehouse, "SELECT m.sha256, q.problem FROM review_queue q JOIN message m ON m.id = q.message_id"))


def flagged_counts(warehouse: Warehouse, code: str) -> tuple[int, int]:
    """Messages flagged for review: the campaign's (dashboard, campaign page) and one department's (`bilan status`)."""
    return (campaign_status(warehouse.engine, warehouse.campaign).flagged_for_review,
            statuses(warehouse)[code].flagged_for_review)


def test_a_message_marked_checked_leaves_the_review_queue_through_reprocess_until_undone(campaign, pipeline):
    """On the sample mailbox, flagged by real extraction: the mark takes the
    message out of the queue and out of every count of messages to review,
    `bilan reprocess` (which writes `needs_review` again) keeps it out, and
    undo puts it back."""
    before = queue(campaign)
    flagged = sorted(sha for sha, problem in before.items() if problem == "needs_review")
    assert flagged, "the sample mailbox has messages flagged for review"
    sha = flagged[0]
    code = rows(campaign, "SELECT md.department_code FROM effective_message_department md JOIN message m "
                "ON m.id = md.message_id WHERE m.sha256 = :s ORDER BY 1", s=sha)[0][0]
    counts = flagged_counts(campaign, code)
    review = campaign.apply_correction(CorrectionRequest("message_review", sha, "checked", "claire", "annexes relues"))

    def left_out() -> None:
        assert queue(campaign) == {k: v for k, v in before.items() if k != sha}
        assert flagged_counts(campaign, code) == (counts[0] - 1, counts[1] - 1)
        assert rows(campaign, "SELECT needs_review FROM effective_message WHERE sha256 = :s", s=sha) == [(False,)]
        dashboard = re.search(r'(\d+)</div><div class="label">messages à vérifier', build_report(campaign))
        assert int(dashboard.group(1)) == len(before) - 1
        # extraction's flag and reason are kept under the mark
        assert rows(campaign, "SELECT needs_review, review_reason IS NOT NULL FROM message WHERE sha256 = :s", s=sha) == [(True, True)]

    left_out()
    [listed] = campaign.list_corrections(subject="message_review")
    assert (listed.id, listed.target, listed.old_value, listed.new_value, listed.in_force) == (review, sha, None, "checked", True)
    summary = reprocess(pipeline, Selection())
    assert summary.failed == 0
    left_out()
    campaign.undo_correction(review, "bob")
    assert queue(campaign) == before
    assert flagged_counts(campaign, code) == counts


def test_review_marks_move_between_warehouses_and_a_failed_message_stays_in_the_queue(
    warehouse, database_url, tmp_path, request,
):
    """A mark is exported and imported like any correction (twice changes
    nothing, an undo is carried over); a message whose processing failed
    stays in the queue though marked: a review does not read its files."""
    flagged, failed, other = stored(warehouse, 1, needs_review=True), stored(warehouse, 2, failed="parser crashed"), \
        stored(warehouse, 3, needs_review=True)
    assert queue(warehouse) == {flagged: "needs_review", failed: "processing_failed", other: "needs_review"}
    marked = warehouse.apply_correction(CorrectionRequest("message_review", flagged, "checked", "claire"))
    warehouse.apply_correction(CorrectionRequest("message_review", failed, "checked", "claire"))
    assert queue(warehouse) == {failed: "processing_failed", other: "needs_review"}
    assert campaign_status(warehouse.engine, warehouse.campaign).flagged_for_review == 1
    with pytest.raises(CorrectionError, match="message_review correction's value is 'checked'"):
        warehouse.apply_correction(CorrectionRequest("message_review", other, "looks fine", "claire"))
    with pytest.raises(CorrectionError, match="has no field"):
        warehouse.apply_correction(CorrectionRequest("message_review", other, "checked", "claire", field="status"))

    document = json.loads(json.dumps(warehouse.export_corrections()))
    assert [(c["subject"], c["new_value"]) for c in document["corrections"]] == [("message_review", "checked")] * 2
    kind = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    with empty_database(kind, tmp_path / "second.db", request) as url:
        second = Warehouse.open(Settings(database_url=url, archive_dir=tmp_path / "second-archive"))
        for number, values in ((1, {"needs_review": True}), (2, {"failed": "parser crashed"}), (3, {"needs_review": True})):
            stored(second, number, **values)
        assert second.import_corrections(document) == ImportResult(added=2, undone=0, unchanged=0)
        assert queue(second) == {failed: "processing_failed", other: "needs_review"}
        assert second.import_corrections(document) == ImportResult(added=0, undone=0, unchanged=2)
        assert queue(second) == {failed: "processing_failed", other: "needs_review"}
        warehouse.undo_correction(marked, "bob")
        assert queue(warehouse) == {flagged: "needs_review", failed: "processing_failed", other: "needs_review"}
        assert second.import_corrections(warehouse.export_corrections()) == ImportResult(added=0, undone=1, unchanged=1)
        assert queue(second) == queue(warehouse)


def test_the_command_line_marks_a_message_checked(warehouse, settings_env):
    sha = stored(warehouse, 1, needs_review=True)
    runner = CliRunner()
    result = runner.invoke(app, ["correct", "message_review", sha, "checked", "--author", "claire", "--reason", "relu"])
    assert result.exit_code == 0 and "correction #1 recorded" in result.output, result.output
    assert queue(warehouse) == {}
    assert "1 correction(s)" in runner.invoke(app, ["corrections", "list"]).output
    [listed] = warehouse.list_corrections()
    assert (listed.subject, listed.new_value, listed.author, listed.reason) == ("message_review", "checked", "claire", "relu")
    assert runner.invoke(app, ["corrections", "undo", "1", "--author", "claire"]).exit_code == 0
    assert queue(warehouse) == {sha: "needs_review"}
    refused = runner.invoke(app, ["correct", "message_review", sha, "true", "--author", "claire"])
    assert refused.exit_code == 1 and "value is 'checked'" in refused.output
