"""`bilan reprocess --shards N` without a Prefect API: the N parts of the
selection (`Shard`) run at once in N processes of this machine, and their
summaries are added up. With an API, the same parts run as deployment runs
on the pool's workers (`flows/reprocess.py`, `reprocess_in_shards`).

Each part is a process of its own (started with `spawn`, so that it loads
spaCy and starts its parser workers itself, as `bilan reprocess --shard I/N`
would), because the extraction holds the GIL: threads would share one core.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import tempfile
from pathlib import Path

from bilan.errors import DatabaseUnavailable, UserError
from bilan.pipeline import IngestSummary, Pipeline, Selection, Shard, plan_parts, reprocess
from bilan.settings import Settings
from bilan.storage.warehouse import Warehouse
from bilan.storage.work_list import WorkList


class PartFailed(UserError):
    """A part's process ended without a summary. Its own error is printed
    above, by the part; this says which parts, on one line."""


def reprocess_in_processes(settings: Settings, selection: Selection, count: int) -> IngestSummary:
    """Reprocess `selection` in `count` parts, one process each, all at once,
    taking their messages from one work list (`plan_parts`)."""
    work_list = _plan(settings, selection)
    try:
        return _run_parts(settings, selection, count, work_list.name if work_list else None)
    finally:
        if work_list is not None:
            work_list.discard()
            work_list.engine.dispose()


def _run_parts(settings: Settings, selection: Selection, count: int, work_list: str | None) -> IngestSummary:
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bilan-shards-") as folder:
        results = [Path(folder) / f"part{index}.pickle" for index in range(count)]
        processes = [
            context.Process(target=_reprocess_part, args=(settings, selection, Shard(index, count, work_list), results[index]),
                            name=f"bilan-shard-{index}-of-{count}")  # fmt: skip
            for index in range(count)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        failed = [f"part {index} (exit code {p.exitcode})" for index, p in enumerate(processes) if p.exitcode != 0]
        if failed:
            raise PartFailed(f"{len(failed)} of {count} part(s) failed: {', '.join(failed)}; their errors are above")
        summary = IngestSummary()
        for result in results:
            summary.add(pickle.loads(result.read_bytes()))
        return summary


def _plan(settings: Settings, selection: Selection) -> WorkList | None:
    """The parts' work list; None if the warehouse cannot be reached from
    here: the parts then split by sha256, and each says why it fails."""
    try:
        warehouse = Warehouse.open(settings)
    except DatabaseUnavailable:
        return None
    try:
        return plan_parts(warehouse, selection)
    except BaseException:
        warehouse.engine.dispose()
        raise


def _reprocess_part(settings: Settings, selection: Selection, part: Shard, result: Path) -> None:
    """One part, in its own process; its summary is written to `result`."""
    from bilan.progress import LogProgress

    logging.basicConfig(level=logging.INFO, format=f"[{part.describe()}] %(message)s")
    with Pipeline.open(settings) as pipeline:
        summary = reprocess(pipeline, selection, LogProgress(logging.getLogger("bilan")), part)
    result.write_bytes(pickle.dumps(summary))
