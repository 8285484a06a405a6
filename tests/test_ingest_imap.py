"""End to end on real parts: Dovecot -> ingest_mailbox (Prefect) -> warehouse,
on SQLite and PostgreSQL. Nothing is lost, nothing is loaded twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from bilan.storage.models import Attachment, ImapProgress, Message
from tests.conftest import REPO, SAMPLES

EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))
N_MESSAGES = len(EXPECTED)
N_ATTACHMENTS = sum(len(m["attachments"]) for m in EXPECTED.values())


def _counts(warehouse) -> tuple[int, int, int]:
    with warehouse.engine.connect() as connection:
        messages = connection.scalar(select(func.count()).select_from(Message))
        distinct = connection.scalar(select(func.count(func.distinct(Message.sha256))))
        attachments = connection.scalar(select(func.count()).select_from(Attachment))
    assert messages == distinct
    return messages, attachments, len(list(warehouse.archive))


def test_imap_ingestion_loads_every_message_once(prefect_server, imap_env, warehouse):
    from bilan.flows.ingest import ingest_mailbox

    imap_env.append_many(sorted(SAMPLES.glob("*.eml")))
    summary = ingest_mailbox()
    assert (summary.new, summary.processed, summary.failed) == (N_MESSAGES, N_MESSAGES, 0)
    assert _counts(warehouse) == (N_MESSAGES, N_ATTACHMENTS, N_MESSAGES)
    with warehouse.engine.connect() as connection:
        progress = connection.execute(select(ImapProgress.last_uid)).scalars().all()
        sources = connection.scalars(select(Message.source)).all()
    assert progress == [N_MESSAGES]
    assert all(s.startswith("imap://") and ";UID=" in s for s in sources)

    again = ingest_mailbox()
    assert (again.new, again.processed) == (0, 0)
    assert _counts(warehouse) == (N_MESSAGES, N_ATTACHMENTS, N_MESSAGES)


def test_receipt_time_is_the_imap_internaldate(prefect_server, imap_env, warehouse):
    from bilan.flows.ingest import ingest_mailbox

    path = SAMPLES / "12-isere-late-truncated-pdf.eml"
    imap_env.append_many([path])  # INTERNALDATE = topmost Received header
    ingest_mailbox()
    with warehouse.engine.connect() as connection:
        received = connection.scalar(select(Message.received_at))
    assert received.strftime("%Y-%m-%dT%H:%M:%SZ") == EXPECTED[path.name]["received_at"]


def test_new_mail_after_a_run_is_picked_up(prefect_server, imap_env, warehouse):
    from bilan.flows.ingest import ingest_mailbox

    paths = sorted(SAMPLES.glob("*.eml"))
    imap_env.append_many(paths[:5])
    assert ingest_mailbox().new == 5
    imap_env.append_many(paths[5:])
    assert ingest_mailbox().new == N_MESSAGES - 5
    assert _counts(warehouse)[0] == N_MESSAGES


@pytest.mark.slow  # two `bilan ingest` processes, each starting Python, Prefect and spaCy
def test_two_ingestions_at_once_leave_one_row_each(prefect_server, imap_env, warehouse, settings_env):
    """Two `bilan ingest` processes against the same mailbox and warehouse."""
    from prefect.settings import PREFECT_API_URL

    imap_env.append_many(sorted(SAMPLES.glob("*.eml")))
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [sys.executable, "-m", "bilan.cli", "ingest"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert _counts(warehouse) == (N_MESSAGES, N_ATTACHMENTS, N_MESSAGES)
    with warehouse.engine.connect() as connection:
        unprocessed = connection.scalar(select(func.count()).where(Message.processed_at.is_(None)))
    assert unprocessed == 0
