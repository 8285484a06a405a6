"""`bilan reprocess`: archived messages parsed and extracted again, all or a
selection, derived rows replaced in one transaction per message, IMAP never
touched."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bilan.cli import app
from bilan.ingestion import import_path
from bilan.pipeline import Selection, reprocess
from bilan.storage.models import Attachment, ExtractedText, Message, MessageDepartment
from tests.conftest import REPO, SAMPLES

EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))
ID = {name: m["message_id"] for name, m in EXPECTED.items()}


@pytest.fixture
def campaign(warehouse, pipeline, monkeypatch):
    """The sample mailbox in the warehouse; IMAP settings that lead nowhere."""
    import_path(pipeline, SAMPLES)
    monkeypatch.setenv("BILAN_IMAP_HOST", "imap.invalid")  # reprocessing must not need it
    return warehouse


def selected_ids(warehouse, selection: Selection) -> set[str]:
    shas = selection.matching(warehouse)
    with warehouse.engine.connect() as connection:
        return set(connection.scalars(select(Message.message_id).where(Message.sha256.in_(shas))))


def table_counts(warehouse) -> list[int]:
    with warehouse.engine.connect() as connection:
        return [
            connection.scalar(select(func.count()).select_from(model))
            for model in (Message, Attachment, ExtractedText, MessageDepartment)
        ]


def test_selection_by_department_date_and_kind(campaign):
    assert len(Selection().matching(campaign)) == len(EXPECTED)
    assert selected_ids(campaign, Selection(departments=("59",), kinds=("contribution",))) == {
        ID["06-nord-meeting-report.eml"]
    }
    both = selected_ids(campaign, Selection(departments=("44", "72")))
    assert ID["11-sgar-loire-atlantique-sarthe.eml"] in both
    # days of the campaign's time zone, both included
    assert selected_ids(campaign, Selection(since=dt.date(2021, 12, 9), until=dt.date(2021, 12, 10))) == {
        ID[name] for name in ("08-puy-de-dome-forwarded.eml", "09-haute-vienne-webmail.eml",
                              "10-bouches-du-rhone-zip.eml", "11-sgar-loire-atlantique-sarthe.eml")
    }  # fmt: skip
    assert selected_ids(campaign, Selection(since=dt.date(2021, 12, 11))) == {ID["12-isere-late-truncated-pdf.eml"]}
    assert selected_ids(campaign, Selection(kinds=("bounce", "read_receipt"))) == {
        ID["04-bounce-sarthe.eml"], ID["05-read-receipt-isere.eml"]
    }


def test_reprocessing_everything_twice_changes_nothing(campaign, pipeline):
    before = table_counts(campaign)
    for _ in range(2):
        summary = reprocess(pipeline, Selection())
        assert (summary.processed, summary.failed, summary.new) == (len(EXPECTED), 0, 0)
        assert table_counts(campaign) == before


def test_an_improved_extractor_replaces_the_derived_rows(campaign, pipeline, monkeypatch):
    import bilan.pipeline as pipeline_module

    real_extract = pipeline_module.extract

    def improved(parsed, thresholds=None):
        extraction = real_extract(parsed, thresholds)
        if extraction.kind == "contribution":
            extraction.review_reason = "read by the improved extractor"
        return extraction

    monkeypatch.setattr(pipeline_module, "extract", improved)
    before = table_counts(campaign)
    summary = reprocess(pipeline, Selection(kinds=("contribution",)))
    assert summary.processed == 7
    with campaign.engine.connect() as connection:
        marked = dict(connection.execute(select(Message.kind, func.count()).where(
            Message.review_reason == "read by the improved extractor").group_by(Message.kind)).all())  # fmt: skip
    assert marked == {"contribution": 7}
    assert table_counts(campaign) == before  # replaced, not added


def test_a_message_whose_reprocessing_fails_keeps_its_previous_rows(campaign, pipeline, monkeypatch):
    """One transaction per message: a failure half-way leaves the old rows whole."""
    import bilan.storage.warehouse as warehouse_module

    before = table_counts(campaign)
    real_insert_texts = warehouse_module._insert_texts

    with campaign.engine.connect() as connection:
        herault = connection.scalar(
            select(Message.id).where(Message.message_id == ID["07-herault-contribution.eml"])
        )

    def insert_texts_or_fail(session, message_id, texts):
        real_insert_texts(session, message_id, texts)
        if message_id == herault:
            raise RuntimeError("disk full")  # after attachments were deleted and re-inserted

    monkeypatch.setattr(warehouse_module, "_insert_texts", insert_texts_or_fail)
    summary = reprocess(pipeline, Selection())
    assert (summary.processed, summary.failed) == (len(EXPECTED) - 1, 1)
    assert table_counts(campaign) == before
    with campaign.engine.connect() as connection:
        failed = connection.execute(
            select(Message.message_id, Message.process_error, Message.processed_at).where(
                Message.process_error.is_not(None)
            )
        ).one()
    assert failed.message_id == ID["07-herault-contribution.eml"] and "disk full" in failed.process_error
    assert failed.processed_at is not None  # its earlier results still stand
    assert len(Selection(only_failed=True).matching(campaign)) == 1


def test_the_reprocess_command(campaign):
    runner = CliRunner()
    dry = runner.invoke(app, ["reprocess", "--department", "59", "--kind", "contribution", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 message(s) would be reprocessed (departments 59; kind contribution)" in dry.output
    result = runner.invoke(app, ["reprocess", "--since", "2021-12-09", "--until", "2021-12-10"])
    assert result.exit_code == 0, result.output
    assert "4 processed, 0 failed" in result.output


def test_the_reprocess_flow_of_the_deployment(prefect_server, campaign):
    from bilan.flows.reprocess import reprocess_messages

    summary = reprocess_messages(departments=["13"], kinds=["contribution"])
    assert summary.processed == 1
