"""Prefect flow `ingest_mailbox`: the ingestion run of `bilan/ingestion.py`
(source, backlog, acknowledgements), each step a Prefect task.

The deployments of `prefect.yaml` run it: `poll-mailbox` (every 5 minutes)
and `ingest-on-new-mail` (triggered by the event that `bilan watch
--dispatch` emits); so do `bilan ingest` and `bilan import` when a Prefect
API is configured (`flows/policy.py`). Each message committed emits the
`bilan.message.ingested` event (`flows/events.py`).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from bilan.flows.events import announce_ingested
from bilan.flows.tasks import as_tasks
from bilan.ingestion import run_ingestion
from bilan.mailbox.errors import CONNECTION_ERRORS, FATAL_ERRORS, ImapLoginFailed
from bilan.pipeline import IngestSummary, Pipeline
from bilan.progress import LogProgress
from bilan.settings import get_settings


def _connection_trouble(task, task_run, state) -> bool:
    """Retry when the server was unreachable, not when it refused us (wrong
    password, untrusted certificate): a retry cannot fix those."""
    try:
        state.result()
    except FATAL_ERRORS + (ImapLoginFailed,):
        return False
    except CONNECTION_ERRORS:
        return True
    except Exception:
        return False
    return False


#: Retries by step: the IMAP fetch when the server was unreachable, the backlog once.
TASK_OPTIONS = {
    "ingest-imap": {
        "retries": 2, "retry_delay_seconds": 10, "retry_condition_fn": _connection_trouble,
    },  # fmt: skip
    "process-backlog": {"retries": 1, "retry_delay_seconds": 5},
}


@flow(name="ingest_mailbox")
def ingest_mailbox(from_dir: str | None = None) -> IngestSummary:
    """Ingest the IMAP folder of the settings, or a local mailbox (`from_dir`:
    a folder of `.eml` files, an `.eml`, an mbox file or a Maildir)."""
    logger = get_run_logger()
    settings = get_settings()
    with Pipeline.open(settings) as pipeline:
        summary = run_ingestion(
            pipeline, settings, Path(from_dir) if from_dir else None, LogProgress(logger),
            step=as_tasks(TASK_OPTIONS), on_ingested=announce_ingested,
        )  # fmt: skip
    logger.info(summary.describe())
    return summary
