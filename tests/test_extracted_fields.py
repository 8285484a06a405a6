"""Each extracted field is declared once per stage: the NLP stage's
`Extraction` holds it, a column of `message` declared with
`extracted_column` holds it in the warehouse, and the storage input record,
the one mapping between them (`bilan/loading.py`), the writer and the export
contract follow from those declarations."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bilan import evaluate
from bilan.loading import message_record, message_values
from bilan.mailbox.raw import RawMessage
from bilan.nlp import annex_tables
from bilan.nlp.extraction import extract
from bilan.parsers import parse_message
from bilan.pipeline import archive_raw
from bilan.storage import models
from bilan.storage.export import export_contract
from bilan.storage.records import (
    AnnexRowRecord,
    AttachmentRecord,
    FindingRecord,
    MentionRecord,
    MessageValues,
    SurveyAnswerRecord,
    SurveyRecord,
    TextRecord,
    extracted_columns,
)
from tests.mail import message

RECEIVED = dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC)
VERDICTS = (
    "mx.anct.gouv.fr; dkim=pass header.d=herault.gouv.fr; spf=pass smtp.mailfrom=herault.gouv.fr; "
    "dmarc=pass header.from=herault.gouv.fr"
)


def _contribution() -> bytes:
    mail = message(
        subject="Contribution de l'Hérault (34) - bilan des démarches participatives",
        sender="Claire Fontanel <claire.fontanel@herault.gouv.fr>",
        body="Madame, Monsieur,\n\nVeuillez trouver notre contribution (modalité 3).\n\n"
        "Claire Fontanel\nPréfecture de l'Hérault\n",
        received=RECEIVED,
        headers={"In-Reply-To": "<relance-1@anct.gouv.fr>"},
    )
    return f"Authentication-Results: {VERDICTS}\r\n".encode() + mail.as_bytes()


def test_the_storage_record_has_one_field_per_extracted_column():
    assert [f.name for f in fields(MessageValues)] == [c.key for c in extracted_columns()]


def test_values_of_the_same_name_are_copied_and_the_others_shaped():
    extraction = extract(parse_message(_contribution()))
    values = message_values(extraction)
    for name in ("kind", "sender_role", "modality", "pii", "needs_review", "review_reason", "sender_check"):
        assert getattr(values, name) == getattr(extraction, name)
    assert (values.kind, values.modality, values.dkim_result, values.spf_result) == ("contribution", 3, "pass", "pass")
    assert values.auth_server == "mx.anct.gouv.fr" and values.arc_result is None
    assert values.kind_confidence == extraction.confidence["kind"]
    assert values.replies_to == ["<relance-1@anct.gouv.fr>"]


def test_a_column_the_extraction_does_not_hold_is_an_error_not_a_null():
    extraction = extract(parse_message(_contribution()))
    without = SimpleNamespace(**{k: v for k, v in vars(extraction).items() if k != "sender_check"})
    with pytest.raises(AttributeError, match="sender_check"):
        message_values(without)


def test_the_writer_stores_and_the_export_shows_every_value(warehouse):
    raw = _contribution()
    parsed = parse_message(raw)
    record = message_record(parsed, extract(parsed))
    sha256 = archive_raw(warehouse, RawMessage(raw=raw, source="test:1")).sha256
    assert warehouse.record_processing(sha256, record)
    with Session(warehouse.engine) as session:
        stored = session.scalar(select(models.Message).where(models.Message.sha256 == sha256))
        assert {f.name: getattr(stored, f.name) for f in fields(MessageValues)} == {
            f.name: getattr(record.values, f.name) for f in fields(MessageValues)
        }
    (exported,) = export_contract(warehouse)["messages"]
    for column in extracted_columns():
        name = column.key
        if column.info["exported"] and name.endswith("_confidence"):
            assert exported["confidence"][name.removesuffix("_confidence")] == getattr(record.values, name)
        elif column.info["exported"]:
            assert exported[name] == getattr(record.values, name)
        else:
            assert name not in exported


@pytest.mark.parametrize(
    "record, model, not_columns",
    [
        (AttachmentRecord, models.Attachment, {"parent_position"}),
        (TextRecord, models.ExtractedText, set()),
        (AnnexRowRecord, models.Annexe1Row, {"values"}),
        (AnnexRowRecord, models.Annexe2Row, {"values"}),
        (SurveyRecord, models.SurveyResponse, {"answers"}),
        (SurveyAnswerRecord, models.SurveyAnswer, set()),
        (FindingRecord, models.Recommendation, {"mentions"}),
        (MentionRecord, models.Mention, set()),
    ],
)
def test_each_field_of_a_record_is_a_column_of_its_table(record, model, not_columns):
    """The writer copies a record's fields by name: one misspelt would be left out."""
    names = {f.name for f in fields(record)} - not_columns
    assert names <= set(model.__table__.columns.keys())


def test_the_annex_tables_cells_are_the_templates_fields_and_the_truth_schemas():
    assert models.Annexe1Row.cell_fields() == annex_tables.ANNEXE1_FIELDS == evaluate.ANNEXE1_FIELDS
    assert models.Annexe2Row.cell_fields() == annex_tables.ANNEXE2_FIELDS == evaluate.ANNEXE2_FIELDS
