"""Quality of recommendations, themes, strengths and weaknesses on the
labelled development corpus, through the same functions the pipeline calls
(parse, extract), without the warehouse: `bilan evaluate` reports the same
figures after an ingestion.

The recommendation bar is asserted on the messages whose files are all parsed
today; on the whole corpus it waits for the parsers of ODT, ODS, XLS, scanned
PDFs (OCR) and two-column PDFs."""

from __future__ import annotations

import pytest

from bilan.evaluate import compute_metrics, load_truth
from bilan.nlp.extraction import extract
from bilan.parsers.message import parse_message
from tests.corpus_subsets import parsed_today, restrict

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

BARS = {
    "recommendation_f1": 0.90,
    "recommendation_theme_accuracy": 0.85,
    "strength_f1": 0.85,
    "weakness_f1": 0.85,
}


@pytest.fixture(scope="module")
def corpus_export(corpus):
    messages = []
    for path in sorted((corpus / "messages").glob("*.eml")):
        parsed = parse_message(path.read_bytes())
        extraction = extract(parsed)
        messages.append({
            "message_id": parsed.envelope.message_id,
            "kind": extraction.kind,
            "attachments": [
                {"filename": a.filename, "format": a.format, "parseable": a.status.parseable}
                for a in parsed.attachments
            ],
            "recommendations": [{"text": r.text, "theme": r.theme} for r in extraction.recommendations],
            "strengths": [s.text for s in extraction.strengths],
            "weaknesses": [w.text for w in extraction.weaknesses],
        })
    return {"messages": messages, "departments": {}}


@pytest.fixture(scope="module")
def truth(corpus):
    return load_truth(corpus)


@pytest.mark.parametrize("metric", ["recommendation_theme_accuracy", "strength_f1", "weakness_f1"])
def test_bar_on_the_whole_corpus(corpus_export, truth, metric):
    metrics = compute_metrics(truth, corpus_export)
    assert metrics[metric] >= BARS[metric], f"{metric} = {metrics[metric]:.3f}"


@pytest.mark.parametrize("metric", sorted(BARS))
def test_bar_on_the_messages_parsed_today(corpus_export, truth, metric):
    subset = restrict(truth, parsed_today(corpus_export))
    assert len(subset.messages) >= 150
    metrics = compute_metrics(subset, corpus_export)
    assert metrics[metric] >= BARS[metric], f"{metric} = {metrics[metric]:.3f}"


@pytest.mark.xfail(
    strict=True,
    reason="ODT/ODS/XLS attachments, scanned PDFs and two-column PDFs are not parsed yet (parsers issue); "
    "when this passes, remove the mark",
)
def test_recommendation_bar_on_the_whole_corpus(corpus_export, truth):
    metrics = compute_metrics(truth, corpus_export)
    assert metrics["recommendation_f1"] >= BARS["recommendation_f1"]
