"""Prefect flow `ingest_mailbox`: archive every new message, then parse,
extract and load it.

Run it with `bilan ingest`, or as the polling deployment declared in
`prefect.yaml`. Tasks call plain functions of `bilan.flows.pipeline`.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from bilan.flows.acknowledge import AcknowledgementRun, acknowledge_contributions
from bilan.flows.pipeline import IngestSummary, ingest_source_messages, parse_setup, process_many
from bilan.flows.sources import DirectorySource, ImapAccount, ImapSource
from bilan.settings import Settings, get_settings
from bilan.storage.warehouse import Warehouse

#: Messages per processing task: small enough to retry cheaply, large enough
#: that Prefect's per-task cost stays small.
CHUNK = 25


@lru_cache(maxsize=4)
def _warehouse(database_url: str, archive_dir: str) -> Warehouse:
    settings = get_settings().model_copy(update={"database_url": database_url, "archive_dir": Path(archive_dir)})
    return Warehouse.open(settings)


def open_warehouse(settings: Settings) -> Warehouse:
    """One warehouse per process and database (migrations run once)."""
    return _warehouse(settings.database_url, str(settings.archive_path))


def imap_account(settings: Settings) -> ImapAccount:
    return ImapAccount(
        host=settings.imap_host,
        port=settings.imap_port_or_default,
        user=settings.imap_user,
        password=settings.imap_password.get_secret_value(),
        folder=settings.imap_folder,
        ssl=settings.imap_ssl,
    )


@task(name="archive-imap", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def archive_imap() -> tuple[list[str], IngestSummary, tuple[str, str, int, int] | None]:
    """Fetch the messages above the last committed UID and archive them."""
    settings = get_settings()
    warehouse = open_warehouse(settings)
    account = imap_account(settings)
    with ImapSource(account) as source:
        assert source.uidvalidity is not None
        last_uid = warehouse.imap_last_uid(account.name, account.folder, source.uidvalidity)
        uids = source.uids_after(last_uid)
        get_run_logger().info("%s: %d new message(s) after UID %d", account.folder, len(uids), last_uid)
        pending, summary = ingest_source_messages(warehouse, source.fetch(uids))
    progress = (account.name, account.folder, source.uidvalidity, max(uids)) if uids else None
    return pending, summary, progress


@task(name="archive-directory", cache_policy=NO_CACHE)
def archive_directory(folder: str) -> tuple[list[str], IngestSummary]:
    warehouse = open_warehouse(get_settings())
    return ingest_source_messages(warehouse, iter(DirectorySource(Path(folder))))


@task(name="process-messages", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def process_chunk(shas: list[str]) -> IngestSummary:
    settings = get_settings()
    limits, cache = parse_setup(settings)
    return process_many(open_warehouse(settings), shas, limits=limits, cache=cache)


@task(name="acknowledge-contributions", cache_policy=NO_CACHE)
def acknowledge() -> AcknowledgementRun:
    """Optional acknowledgements of receipt (BILAN_ACKNOWLEDGE), once per new contribution."""
    settings = get_settings()
    run = acknowledge_contributions(open_warehouse(settings), settings, dt.datetime.now(dt.timezone.utc))
    get_run_logger().info(run.describe())
    return run


@flow(name="ingest_mailbox")
def ingest_mailbox(from_dir: str | None = None) -> IngestSummary:
    """Ingest the IMAP folder of the settings, or a folder of `.eml` files."""
    logger = get_run_logger()
    settings = get_settings()
    warehouse = open_warehouse(settings)
    progress = None
    if from_dir:
        pending, summary = archive_directory(from_dir)
    else:
        pending, summary, progress = archive_imap()
    # Messages archived by an earlier run that stopped before processing them.
    todo = pending + [sha for sha in warehouse.unprocessed() if sha not in set(pending)]
    for start in range(0, len(todo), CHUNK):
        summary.add(process_chunk(todo[start : start + CHUNK]))
    if progress is not None:
        # Advanced only now that every fetched message is archived and processed
        # (or recorded as failed, to be retried from the archive).
        warehouse.advance_imap(*progress)
    if settings.acknowledge:
        acknowledge()
    logger.info(summary.describe())
    return summary
