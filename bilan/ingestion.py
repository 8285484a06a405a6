"""One ingestion run, the only place its steps are put in order: the source
(the IMAP folder of the settings, or a local mailbox), then whatever earlier
runs left archived but unprocessed, then the optional acknowledgements of
receipt.

`bilan ingest` and `bilan import` call `run_ingestion` in process when no
Prefect API is configured; the `ingest_mailbox` flow (`flows/ingest.py`)
calls it too, with each step run as a Prefect task (`bilan/steps.py`). No
Prefect here, so that a run without a server does not pay for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from bilan.mailbox.cycle import MailboxOptions, account_from_settings, ingest_imap
from bilan.mailbox.local import open_local_source
from bilan.outgoing.acknowledgements import AcknowledgementRun, acknowledge_contributions
from bilan.pipeline import (
    IngestedMessage,
    IngestSummary,
    Pipeline,
    ingest_messages,
    process_backlog,
)
from bilan.progress import Progress
from bilan.settings import Settings
from bilan.steps import StepRunner, direct

log = logging.getLogger(__name__)

#: Told of each message whose rows were just committed (the flows emit a Prefect event).
OnIngested = Callable[[IngestedMessage], None]


def run_ingestion(
    pipeline: Pipeline,
    settings: Settings,
    path: Path | None = None,
    progress: Progress | None = None,
    *,
    step: StepRunner = direct,
    on_ingested: OnIngested | None = None,
) -> IngestSummary:
    """The source, then whatever an earlier run left archived but
    unprocessed (except what this run failed on already), then the
    acknowledgements if BILAN_ACKNOWLEDGE asks for them."""
    if path is not None:
        summary = step("import-path", import_path)(pipeline, path, progress, on_ingested)
    else:
        summary = step("ingest-imap", fetch_imap)(pipeline, settings, progress, on_ingested)
    backlog = step("process-backlog", process_backlog)
    summary.add(backlog(pipeline, progress=progress, tried=summary.failures))
    if settings.acknowledge:
        acknowledge = step("acknowledge-contributions", acknowledge_new_contributions)
        log.info(acknowledge(pipeline, settings).describe())
    return summary


def import_path(
    pipeline: Pipeline,
    path: Path,
    progress: Progress | None = None,
    on_ingested: OnIngested | None = None,
) -> IngestSummary:
    """A folder of `.eml` files, one `.eml`, an mbox file or a Maildir (told
    apart by `open_local_source`), archived and processed message by message."""
    source = open_local_source(path)
    if progress is not None:
        progress.start(len(source), f"{Path(path).name} ({source.kind})")
    summary = ingest_messages(pipeline, iter(source), progress=progress)
    if progress is not None:
        progress.finish()
    for message in summary.ingested if on_ingested is not None else ():
        on_ingested(message)
    return summary


def fetch_imap(
    pipeline: Pipeline,
    settings: Settings,
    progress: Progress | None = None,
    on_ingested: OnIngested | None = None,
) -> IngestSummary:
    """One exactly-once cycle on the IMAP folder of the settings (`bilan/mailbox/cycle.py`)."""
    account, options = account_from_settings(settings), MailboxOptions.from_settings(settings)
    return ingest_imap(pipeline, account, options, progress=progress, on_ingested=on_ingested)


def acknowledge_new_contributions(pipeline: Pipeline, settings: Settings) -> AcknowledgementRun:
    """Optional acknowledgements of receipt (BILAN_ACKNOWLEDGE), once per new contribution."""
    return acknowledge_contributions(pipeline.warehouse, settings, dt.datetime.now(dt.UTC))
