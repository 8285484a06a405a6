"""Prefect flow `remind`: the reminders run of `bilan/outgoing/reminders.py`
(draft, write the list and the `.eml` drafts, send only when asked), each
step a Prefect task.

The `remind-weekly` deployment of `prefect.yaml` runs it; so does `bilan
reminders` when a Prefect API is configured (`flows/policy.py`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger

from bilan.flows.tasks import as_tasks
from bilan.outgoing.reminders import ReminderRun, run_reminders
from bilan.settings import get_settings
from bilan.storage.warehouse import Warehouse


@flow(name="remind")
def remind(
    out_dir: str = "relances",
    send_now: bool = False,
    contacts: str | None = None,
    template: str | None = None,
    now: dt.datetime | None = None,
) -> ReminderRun:
    """List the departments to chase and draft their reminders; send them if
    `send_now`. No retries: a retry could only resend what the `reminder`
    table already refuses; failed sendings are tried again by the next run."""
    settings = get_settings()
    run = run_reminders(
        Warehouse.open(settings),
        settings,
        now or dt.datetime.now(dt.UTC),
        Path(out_dir),
        send=send_now,
        contacts=Path(contacts) if contacts else None,
        template=Path(template) if template else None,
        step=as_tasks(),
    )
    get_run_logger().info(run.describe(send_now))
    return run
