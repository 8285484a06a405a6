"""Prefect flow `reprocess_messages`: parse and extract archived messages
again, all or a selection, without touching IMAP (see `bilan/pipeline.py`,
reprocessing, for what it guarantees and how shards split the work).

The `reprocess` deployment of `prefect.yaml` runs it; so does `bilan
reprocess` when a Prefect API is configured (`flows/policy.py`).
"""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from bilan.pipeline import IngestSummary, Pipeline, Selection, Shard, reprocess
from bilan.progress import LogProgress
from bilan.settings import get_settings


@flow(name="reprocess_messages")
def reprocess_messages(
    departments: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kinds: list[str] | None = None,
    only_failed: bool = False,
    shard: int = 0,
    shards: int = 1,
) -> IngestSummary:
    """Reprocess archived messages (all, or a selection) without touching IMAP.
    With `shards` > 1, only the part `shard` (0 to shards - 1) of the
    selection: start one run per part, on as many workers, to spread the work."""
    settings = get_settings()
    selection = Selection(
        departments=tuple(departments or ()), since=since, until=until, kinds=tuple(kinds or ()),
        only_failed=only_failed, timezone=settings.campaign_timezone,
    )  # fmt: skip
    logger = get_run_logger()
    part = Shard(shard, shards)
    logger.info("reprocessing %s%s", selection.describe(), f" ({part.describe()})" if shards > 1 else "")
    with Pipeline.open(settings) as pipeline:
        summary = reprocess(pipeline, selection, LogProgress(logger), part)
    logger.info(summary.describe())
    return summary
