"""The Prefect events bilan emits, so that automations can react.

* `bilan.message.ingested`: one per message whose rows were just committed,
  with its sha256, Message-ID, kind and departments as payload; the message
  (`bilan.message.<sha256>`) is the resource, each department a related
  resource (`bilan.department.<code>`, role `department`). An automation can
  for instance notify someone when a contribution from a given department
  arrives.
* `bilan.mailbox.new-mail`: emitted by `bilan watch --dispatch` when the
  server announces new messages; the deployment `ingest-on-new-mail` of
  `prefect.yaml` is triggered by it, so that a worker does the ingestion
  instead of the watcher.

Events are sent only when a Prefect API is configured (`PREFECT_API_URL`):
without one, Prefect would start a temporary server in the process just to
receive them, which is seconds of start-up for an event nobody can see.
"""

from __future__ import annotations

import logging

from bilan.flows.policy import prefect_api_configured
from bilan.pipeline import IngestedMessage

log = logging.getLogger(__name__)

MESSAGE_INGESTED = "bilan.message.ingested"
NEW_MAIL = "bilan.mailbox.new-mail"


def mailbox_resource_id(account_name: str, folder: str) -> str:
    return f"bilan.mailbox.{account_name}/{folder}"


def announce_ingested(message: IngestedMessage) -> None:
    if not prefect_api_configured():
        return
    from prefect.events import emit_event

    emit_event(
        event=MESSAGE_INGESTED,
        resource={
            "prefect.resource.id": f"bilan.message.{message.sha256}",
            "prefect.resource.name": message.message_id or message.sha256,
        },
        related=[
            {"prefect.resource.id": f"bilan.department.{code}", "prefect.resource.role": "department"}
            for code in message.departments
        ],
        payload={
            "sha256": message.sha256,
            "message_id": message.message_id,
            "kind": message.kind,
            "departments": message.departments,
        },
    )


def announce_new_mail(account_name: str, folder: str, uidvalidity: int, uids: list[int]) -> bool:
    """Tell the Prefect server that these UIDs wait to be ingested. Returns
    False when no API is configured (nobody would hear)."""
    if not prefect_api_configured():
        return False
    from prefect.events import emit_event

    emit_event(
        event=NEW_MAIL,
        resource={"prefect.resource.id": mailbox_resource_id(account_name, folder)},
        payload={"folder": folder, "uidvalidity": uidvalidity, "first_uid": min(uids), "last_uid": max(uids),
                 "count": len(uids)},
    )  # fmt: skip
    return True
