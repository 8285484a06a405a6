"""Prefect flow `ingest_mailbox`: archive every new message, then parse,
extract and load it.

The flow is what the deployments of `prefect.yaml` run: `poll-mailbox`
(every 5 minutes) and `ingest-on-new-mail` (triggered by the event that
`bilan watch --dispatch` emits), and what `bilan ingest` runs when a Prefect
server is configured. Its tasks call the plain functions of
`bilan.ingestion`, so that the CLI, the watcher and the tests run
exactly the same code. After new messages are loaded, contributions are
acknowledged when BILAN_ACKNOWLEDGE asks for it (`bilan/outgoing/acknowledgements.py`).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from bilan.outgoing.acknowledgements import AcknowledgementRun
from bilan.mailbox.imap import CONNECTION_ERRORS, ImapLoginFailed, InsecureConnectionRefused, TlsVerificationFailed
from bilan.ingestion import acknowledge_new_contributions, backlog, fetch_imap, import_path
from bilan.pipeline import IngestSummary, open_warehouse
from bilan.progress import LogProgress
from bilan.settings import get_settings

__all__ = ["import_path", "ingest_mailbox", "open_warehouse"]

FATAL_ERRORS = (TlsVerificationFailed, InsecureConnectionRefused)


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


@task(
    name="ingest-imap", retries=2, retry_delay_seconds=10, retry_condition_fn=_connection_trouble, cache_policy=NO_CACHE
)
def ingest_imap_task() -> IngestSummary:
    return fetch_imap(get_settings(), LogProgress(get_run_logger()))


@task(name="import-path", cache_policy=NO_CACHE)
def import_path_task(path: str) -> IngestSummary:
    return import_path(get_settings(), Path(path), LogProgress(get_run_logger()))


@task(name="process-backlog", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def process_backlog_task(tried: list[str]) -> IngestSummary:
    """`tried`: messages the run failed on already, not tried twice."""
    return backlog(get_settings(), LogProgress(get_run_logger()), tried=set(tried))


@task(name="acknowledge-contributions", cache_policy=NO_CACHE)
def acknowledge() -> AcknowledgementRun:
    run = acknowledge_new_contributions(get_settings())
    get_run_logger().info(run.describe())
    return run


@flow(name="ingest_mailbox")
def ingest_mailbox(from_dir: str | None = None) -> IngestSummary:
    """Ingest the IMAP folder of the settings, or a local mailbox (`from_dir`:
    a folder of `.eml` files, an `.eml`, an mbox file or a Maildir)."""
    summary = import_path_task(from_dir) if from_dir else ingest_imap_task()
    summary.add(process_backlog_task(sorted(summary.failures)))
    if get_settings().acknowledge:
        acknowledge()
    get_run_logger().info(summary.describe())
    return summary
