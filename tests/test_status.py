"""Department status: first contribution against the deadline, end of day in Paris."""

from __future__ import annotations

import datetime as dt

import pytest

from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Campaign
from bilan.storage.status import closes_at, department_statuses, status_of
from tests.mail import message

UTC = dt.timezone.utc
CAMPAIGN = Campaign(name="t", deadline=dt.date(2021, 12, 10), timezone="Europe/Paris")


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (dt.datetime(2021, 12, 10, 22, 59, 59, tzinfo=UTC), "on_time"),  # 23:59:59 in Paris (UTC+1)
        (dt.datetime(2021, 12, 10, 23, 0, 0, tzinfo=UTC), "late"),  # midnight in Paris
        (dt.datetime(2021, 12, 10, 23, 30, 0, tzinfo=UTC), "late"),  # still the 10th in UTC
        (None, "missing"),
    ],
)
def test_deadline_is_the_end_of_the_day_in_paris(received, expected):
    assert status_of(received, CAMPAIGN) == expected


def test_summer_time_is_taken_into_account():
    summer = Campaign(name="t", deadline=dt.date(2022, 6, 30), timezone="Europe/Paris")
    assert closes_at(summer) == dt.datetime(2022, 6, 30, 22, 0, tzinfo=UTC)


def _ingest(warehouse, raw: bytes) -> None:
    archived = archive_raw(warehouse, RawMessage(raw=raw, source="test"))
    process_archived(Pipeline(warehouse), archived.sha256)


def test_only_contributions_count(warehouse):
    question = message(
        subject="Question sur les annexes",
        body="Pouvez-vous nous renvoyer l'annexe 1 au format Excel ?",
        received=dt.datetime(2021, 12, 1, 9, 0, tzinfo=UTC),
        message_id="<q@aisne.gouv.fr>",
    )
    late = message(
        subject="Contribution bilan démarches participatives - Aisne (02)",
        received=dt.datetime(2021, 12, 13, 9, 0, tzinfo=UTC),
        message_id="<c@aisne.gouv.fr>",
    )
    on_time = message(
        subject="Contribution bilan démarches participatives - Aude (11)",
        sender="Paul <paul@aude.gouv.fr>",
        received=dt.datetime(2021, 12, 10, 22, 0, tzinfo=UTC),
        message_id="<c@aude.gouv.fr>",
    )
    for mail in (question, late, on_time):
        _ingest(warehouse, mail.as_bytes())
    statuses = {s.code: s for s in department_statuses(warehouse.engine, warehouse.campaign)}
    assert len(statuses) == 101
    assert statuses["02"].status == "late"
    assert statuses["02"].messages == 2 and statuses["02"].contributions == 1
    assert statuses["02"].first_contribution_at == dt.datetime(2021, 12, 13, 9, 0, tzinfo=UTC)
    assert statuses["11"].status == "on_time"
    assert statuses["59"].status == "missing"
