"""Prefect flow `remind`: draft the reminders, write the list and the `.eml`
drafts, and send them only when asked (a dry run is the default).

Run it with `bilan reminders`, or as a deployment. Tasks call the plain
functions of `bilan.outgoing.reminders`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from bilan.pipeline import open_warehouse
from bilan.outgoing.mailer import Mailer, SmtpServer
from bilan.outgoing.reminders import ReminderDraft, ReminderRun, draft_reminders, send_reminders, write_reminders
from bilan.settings import get_settings


@task(name="draft-reminders", cache_policy=NO_CACHE)
def draft(now: dt.datetime, contacts: str | None, template: str | None) -> list[ReminderDraft]:
    settings = get_settings()
    contacts_file = Path(contacts) if contacts else settings.reminder_contacts
    template_file = Path(template) if template else settings.reminder_template
    return draft_reminders(open_warehouse(settings), settings, now, contacts_file, template_file)


@task(name="write-reminders", cache_policy=NO_CACHE)
def write(drafts: list[ReminderDraft], out_dir: str) -> list[Path]:
    return write_reminders(drafts, Path(out_dir), open_warehouse(get_settings()).campaign.timezone)


# No retries: a retry could only resend what the `reminder` table already
# refuses; failed sendings are tried again by the next run.
@task(name="send-reminders", cache_policy=NO_CACHE)
def send(drafts: list[ReminderDraft], now: dt.datetime, run: ReminderRun) -> ReminderRun:
    settings = get_settings()
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        return send_reminders(open_warehouse(settings), drafts, mailer, now, run)


@flow(name="remind")
def remind(
    out_dir: str = "relances",
    send_now: bool = False,
    contacts: str | None = None,
    template: str | None = None,
    now: dt.datetime | None = None,
) -> ReminderRun:
    """List the departments to chase and draft their reminders; send them if `send_now`."""
    now = now or dt.datetime.now(dt.timezone.utc)
    run = ReminderRun()
    run.drafts = draft(now, contacts, template)
    run.files = write(run.drafts, out_dir)
    if send_now and run.drafts:
        run = send(run.drafts, now, run)
    get_run_logger().info(run.describe(send_now))
    return run
