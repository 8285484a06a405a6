"""Department status: first contribution against the deadline, end of day in
Paris. The one rule (`status.closes_at`) is tested where it is applied: in
the `department_status` view, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.models import Campaign
from bilan.storage.status import closes_at, department_statuses
from bilan.storage.warehouse import Warehouse
from tests.mail import message

UTC = dt.UTC


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


def _contribution(code: str, name: str, domain: str, received: dt.datetime) -> bytes:
    return message(
        subject=f"Contribution bilan démarches participatives - {name} ({code})",
        sender=f"Paul <paul@{domain}.gouv.fr>",
        received=received,
        message_id=f"<c@{domain}.gouv.fr>",
    ).as_bytes()


def test_the_view_puts_the_deadline_at_midnight_in_paris(warehouse):
    """10 December 2021, Paris is UTC+1: 22:59:59 UTC is 23:59:59 in Paris
    (on time), 23:00:00 UTC is midnight (late)."""
    _ingest(warehouse, _contribution("02", "Aisne", "aisne", dt.datetime(2021, 12, 10, 22, 59, 59, tzinfo=UTC)))
    _ingest(warehouse, _contribution("11", "Aude", "aude", dt.datetime(2021, 12, 10, 23, 0, 0, tzinfo=UTC)))
    statuses = {s.code: s.status for s in department_statuses(warehouse.engine, warehouse.campaign)}
    assert (statuses["02"], statuses["11"], statuses["59"]) == ("on_time", "late", "missing")
    # The view reads the instant the rule gives, stored with the campaign.
    assert warehouse.campaign.closes_at == closes_at(warehouse.campaign) == dt.datetime(2021, 12, 10, 23, 0, tzinfo=UTC)


def test_the_view_follows_the_declared_deadline(warehouse, settings_env):
    _ingest(warehouse, _contribution("11", "Aude", "aude", dt.datetime(2021, 12, 13, 9, 0, tzinfo=UTC)))
    assert _status_of(warehouse, "11") == "late"
    extended = settings_env.model_copy(update={"campaign_deadline": dt.date(2021, 12, 13)})
    assert _status_of(Warehouse.open(extended), "11") == "on_time"


def _status_of(warehouse, code: str) -> str:
    return {s.code: s.status for s in department_statuses(warehouse.engine, warehouse.campaign)}[code]
