"""One ingestion run, without Prefect: the source (the IMAP folder of the
settings, or a local mailbox), then whatever earlier runs left archived but
unprocessed, then the optional acknowledgements of receipt.

`bilan ingest` calls `run_ingestion` directly when no Prefect server is
configured, and the tasks of the `ingest_mailbox` flow (`flows/ingest.py`)
call the same functions; this module does not import Prefect, so that a run
without a server does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from bilan.outgoing.acknowledgements import AcknowledgementRun, acknowledge_contributions
from bilan.flows.events import announce_ingested
from bilan.mailbox.cycle import MailboxOptions, account_from_settings, ingest_imap
from bilan.pipeline import IngestSummary, ingest_messages, open_warehouse, process_backlog, processing_for
from bilan.progress import Progress
from bilan.mailbox.local import open_local_source
from bilan.settings import Settings

__all__ = ["acknowledge_new_contributions", "backlog", "fetch_imap", "import_path", "open_warehouse", "run_ingestion"]

log = logging.getLogger(__name__)


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
    summary.add(backlog(settings, progress, tried=summary.failures))
    if settings.acknowledge:
        log.info(acknowledge_new_contributions(settings).describe())
    return summary


def backlog(settings: Settings, progress: Progress | None = None, tried: set[str] = frozenset()) -> IngestSummary:
    return process_backlog(
        open_warehouse(settings), processing=processing_for(settings), progress=progress, tried=tried
    )


def acknowledge_new_contributions(settings: Settings) -> AcknowledgementRun:
    """Optional acknowledgements of receipt (BILAN_ACKNOWLEDGE), once per new contribution."""
    return acknowledge_contributions(open_warehouse(settings), settings, dt.datetime.now(dt.timezone.utc))
