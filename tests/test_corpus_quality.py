"""Quality on the labelled development corpus, through the same path a user
takes: ingest, export, evaluate. The floors are the issues' acceptance
levels; the figures themselves are reported by `bilan evaluate`."""

from __future__ import annotations

import pytest

from bilan.evaluate import evaluate
from bilan.storage.export import export_contract

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

FLOORS = {
    "kind_accuracy": 0.98,
    "status_accuracy": 1.0,
    "department_accuracy": 0.98,
    "modality_accuracy": 0.95,
    "pii_accuracy": 0.98,
    "annexe1_row_precision": 0.98,
    "annexe2_row_precision": 0.98,
    "attachment_role_accuracy": 0.95,
    "version_link_accuracy": 0.90,
    "sender_role_accuracy": 0.90,
    "meeting_accuracy": 0.95,
    "annexe1_cell_accuracy": 0.95,
    "annexe2_cell_accuracy": 0.95,
    "attachment_status_accuracy": 0.98,
    "recommendation_f1": 0.90,
    "recommendation_theme_accuracy": 0.85,
    "strength_f1": 0.85,
    "weakness_f1": 0.85,
}


@pytest.fixture(scope="module")
def corpus_metrics(request, corpus, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    workdir = tmp_path_factory.mktemp("corpus")
    monkeypatch.setenv("BILAN_DATABASE_URL", f"sqlite:///{workdir / 'bilan.db'}")
    monkeypatch.setenv("BILAN_ARCHIVE_DIR", str(workdir / "archive"))
    request.getfixturevalue("prefect_server")
    from bilan.flows.ingest import ingest_mailbox
    from bilan.settings import get_settings
    from bilan.storage.warehouse import Warehouse

    summary = ingest_mailbox(from_dir=str(corpus / "messages"))
    metrics = evaluate(corpus, export_contract(Warehouse.open(get_settings())))
    monkeypatch.undo()
    return summary, metrics


def test_every_message_is_ingested(corpus_metrics, corpus):
    summary, metrics = corpus_metrics
    n = len(list((corpus / "messages").glob("*.eml")))
    assert (summary.new, summary.processed, summary.failed) == (n, n, 0)
    assert metrics["messages_matched"] == n


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_quality_floor(corpus_metrics, metric):
    _, metrics = corpus_metrics
    assert metrics[metric] >= FLOORS[metric], f"{metric} = {metrics[metric]:.3f}"

