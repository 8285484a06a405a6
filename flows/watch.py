"""`bilan watch`: the watcher of `bilan/mailbox/watcher.py`, wired to
Prefect's events (`flows/events.py`): each message it ingests emits
`bilan.message.ingested`, and in dispatch mode it announces new mail with
`bilan.mailbox.new-mail`, which triggers the `ingest-on-new-mail`
deployment. Events are sent only when a Prefect API is configured; the
watcher itself is no flow (it runs until stopped).
"""

from __future__ import annotations

import logging

from bilan.flows.events import announce_ingested, announce_new_mail
from bilan.flows.policy import prefect_api_configured
from bilan.mailbox.watcher import Watcher
from bilan.pipeline import Pipeline
from bilan.settings import Settings

log = logging.getLogger(__name__)


def watcher(
    settings: Settings, pipeline: Pipeline, *, dispatch: bool = False, poll: bool = False
) -> Watcher:
    """A watcher whose ingested messages and new mail are told to Prefect."""
    if prefect_api_configured():  # also pays for importing Prefect now, not at the first message
        from prefect.settings import PREFECT_API_URL

        log.info("events go to the Prefect API at %s", PREFECT_API_URL.value())
    return Watcher(
        settings, pipeline, dispatch=dispatch, poll=poll,
        on_ingested=announce_ingested, announce=announce_new_mail,
    )  # fmt: skip
