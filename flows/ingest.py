"""Prefect flow `ingest_mailbox`: archive every new message, then parse,
extract and load it; and the plain `run_ingestion` the CLI calls when no
Prefect server is configured.

The flow is what the deployments of `prefect.yaml` run: `poll-mailbox`
(every 5 minutes) and `ingest-on-new-mail` (triggered by the event that
`bilan watch --dispatch` emits). Tasks call plain functions of
`bilan.flows.imap_ingestion` and `bilan.flows.pipeline`, so that the CLI, the
watcher and the tests run exactly the same code. After new messages are
loaded, contributions are acknowledged when BILAN_ACKNOWLEDGE asks for it
(`flows/acknowledge.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from bilan.flows.acknowledge import AcknowledgementRun, acknowledge_contributions
from bilan.flows.events import announce_ingested
from bilan.flows.imap import CONNECTION_ERRORS, ImapLoginFailed, InsecureConnectionRefused, TlsVerificationFailed
from bilan.flows.imap_ingestion import MailboxOptions, account_from_settings, ingest_imap
from bilan.flows.pipeline import IngestSummary, ingest_messages, open_warehouse, process_backlog, processing_for
from bilan.flows.progress import LogProgress, Progress
from bilan.flows.sources import open_local_source
from bilan.settings import Settings, get_settings

__all__ = ["import_path", "ingest_mailbox", "open_warehouse", "run_ingestion"]

log = logging.getLogger(__name__)

FATAL_ERRORS = (TlsVerificationFailed, InsecureConnectionRefused)


def import_path(settings: Settings, path: Path, progress: Progress | None = None) -> IngestSummary:
    """A folder of `.eml` files, one `.eml`, an mbox file or a Maildir (told
    apart by `open_local_source`), archived and processed message by message."""
    warehouse = open_warehouse(settings)
    source = open_local_source(path)
    if progress is not None:
        progress.start(len(source), f"{Path(path).name} ({source.kind})")
    summary = ingest_messages(warehouse, iter(source), processing=processing_for(settings), progress=progress)
    if progress is not None:
        progress.finish()
    for message in summary.ingested:
        announce_ingested(message)
    return summary


def fetch_imap(settings: Settings, progress: Progress | None = None) -> IngestSummary:
    """One exactly-once cycle on the IMAP folder of the settings."""
    return ingest_imap(
        open_warehouse(settings),
        account_from_settings(settings),
        MailboxOptions.from_settings(settings),
        processing=processing_for(settings),
        progress=progress,
        on_ingested=announce_ingested,
    )


def run_ingestion(settings: Settings, path: Path | None = None, progress: Progress | None = None) -> IngestSummary:
    """What `bilan ingest` does without Prefect: the source, then whatever an
    earlier run left archived but unprocessed."""
    summary = import_path(settings, path, progress) if path is not None else fetch_imap(settings, progress)
    summary.add(backlog(settings, progress))
    if settings.acknowledge:
        log.info(acknowledge_new_contributions(settings).describe())
    return summary


def backlog(settings: Settings, progress: Progress | None = None) -> IngestSummary:
    return process_backlog(open_warehouse(settings), processing=processing_for(settings), progress=progress)


def acknowledge_new_contributions(settings: Settings) -> AcknowledgementRun:
    """Optional acknowledgements of receipt (BILAN_ACKNOWLEDGE), once per new contribution."""
    return acknowledge_contributions(open_warehouse(settings), settings, dt.datetime.now(dt.timezone.utc))


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
def process_backlog_task() -> IngestSummary:
    return backlog(get_settings(), LogProgress(get_run_logger()))


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
    summary.add(process_backlog_task())
    if get_settings().acknowledge:
        acknowledge()
    get_run_logger().info(summary.describe())
    return summary
