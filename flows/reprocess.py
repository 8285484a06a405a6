"""Prefect flow `reprocess_messages`: parse and extract archived messages
again, all or a selection, without touching IMAP (see `bilan/pipeline.py`,
reprocessing, for what it guarantees and how shards split the work).

The `reprocess` deployment of `prefect.yaml` runs it; so does `bilan
reprocess` when a Prefect API is configured (`flows/policy.py`).

Flow `reprocess_in_shards`: the same selection split in parts, one run of
the `reprocess` deployment per part, at once, on whichever workers of the
pool are free (one machine or several sharing the PostgreSQL warehouse and
the archive), the parts taking their messages from one work list as they go
(`plan_parts`); `bilan reprocess --shards N` runs it when a Prefect API is
configured.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.flow_runs import wait_for_flow_run
from prefect.utilities.asyncutils import run_coro_as_sync

from bilan.pipeline import IngestSummary, Pipeline, Selection, Shard, plan_parts, reprocess
from bilan.progress import LogProgress
from bilan.settings import get_settings
from bilan.storage.warehouse import Warehouse

#: The deployment of `prefect.yaml` that runs one part.
REPROCESS_DEPLOYMENT = "reprocess_messages/reprocess"


# The summary is kept as the run's result, so that `reprocess_in_shards` can
# add up the parts: in Prefect's local storage (PREFECT_LOCAL_STORAGE_PATH),
# which workers on several machines must share, as they share the archive.
@flow(name="reprocess_messages", persist_result=True)
def reprocess_messages(
    departments: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kinds: list[str] | None = None,
    only_failed: bool = False,
    shard: int = 0,
    shards: int = 1,
    work_list: str | None = None,
) -> IngestSummary:
    """Reprocess archived messages (all, or a selection) without touching IMAP.
    With `shards` > 1, only the part `shard` (0 to shards - 1) of the
    selection: start one run per part, on as many workers, to spread the work.
    `work_list`: the run's shared list, which this part takes its messages
    from instead of the selection (`reprocess_in_shards` gives it)."""
    settings = get_settings()
    selection = _selection(departments, since, until, kinds, only_failed)
    logger = get_run_logger()
    part = Shard(shard, shards, work_list)
    logger.info("reprocessing %s%s", selection.describe(), f" ({part.describe()})" if shards > 1 else "")
    with Pipeline.open(settings) as pipeline:
        summary = reprocess(pipeline, selection, LogProgress(logger), part)
    logger.info(summary.describe())
    return summary


@flow(name="reprocess_in_shards")
def reprocess_in_shards(
    departments: list[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    kinds: list[str] | None = None,
    only_failed: bool = False,
    shards: int = 2,
    deployment: str = REPROCESS_DEPLOYMENT,
) -> IngestSummary:
    """The selection in `shards` parts, one run of `deployment` each, all
    submitted at once (the pool's workers take them as they are free; start
    them with `--limit 1` so that each takes one part at a time). Waits for
    every part, then adds up their summaries; a part that did not complete
    fails this run, after the others have finished. The parts take their
    messages from one work list (`plan_parts`), made here and dropped when
    every part has ended."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    logger = get_run_logger()
    warehouse = Warehouse.open(get_settings())
    work_list = plan_parts(warehouse, _selection(departments, since, until, kinds, only_failed))
    try:
        selection = {"departments": departments, "since": since, "until": until, "kinds": kinds,
                     "only_failed": only_failed, "work_list": work_list.name}  # fmt: skip
        runs = [
            run_deployment(deployment, parameters={**selection, "shard": index, "shards": shards}, timeout=0)
            for index in range(shards)
        ]
        logger.info("submitted %d part(s) of the reprocessing to %s", shards, deployment)
        summary, unfinished = IngestSummary(), []
        for finished in wait_until_final(runs):
            if not finished.state.is_completed():
                unfinished.append(f"{finished.name} ({finished.state.name})")
                continue
            summary.add(finished.state.result())
    finally:
        work_list.discard()
        warehouse.engine.dispose()
    if unfinished:
        raise RuntimeError(f"{len(unfinished)} of {shards} part(s) did not complete: {', '.join(unfinished)}")
    logger.info(summary.describe())
    return summary


def _selection(
    departments: list[str] | None, since: dt.date | None, until: dt.date | None, kinds: list[str] | None,
    only_failed: bool,
) -> Selection:
    """The flows' parameters as a `Selection`, in the campaign's time zone."""
    return Selection(
        departments=tuple(departments or ()), since=since, until=until, kinds=tuple(kinds or ()),
        only_failed=only_failed, timezone=get_settings().campaign_timezone,
    )  # fmt: skip


def wait_until_final(runs: list[FlowRun]) -> list[FlowRun]:
    """The flow runs once each has reached a final state, in their order.
    Prefect's `wait_for_flow_run` follows the runs' events on the server's
    event stream rather than reading them every second: a run split in
    parts asks nothing of the server while its parts work (which share the
    cores with it on a small machine), and learns of each end at once."""

    async def all_final() -> list[FlowRun]:
        return list(await asyncio.gather(*(wait_for_flow_run(run.id, timeout=None) for run in runs)))

    return run_coro_as_sync(all_final())
