"""Acknowledgement of receipt (optional, off by default: BILAN_ACKNOWLEDGE).

After new messages are loaded, every contribution received in the last few
days (BILAN_ACKNOWLEDGE_WITHIN_DAYS, so that importing an old mailbox never
writes to anybody) gets one French acknowledgement: the files received, and
those that could not be read with the reason. Each one is claimed in the
`acknowledgement` table before it is sent, so it is sent once per message,
whoever runs at the same time; a failed sending is tried again next time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from bilan.outgoing.letters import TEMPLATES, address_of, french_datetime, letter, render
from bilan.outgoing.mailer import Mailer, MailerError, SmtpServer
from bilan.settings import Settings
from bilan.storage.outgoing import (
    ROBOT_PREFIXES,
    ContributionToAcknowledge,
    contributions_to_acknowledge,
)
from bilan.storage.views import PARSE_STATUS_LABELS
from bilan.storage.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class AcknowledgementRun:
    sent: list[int] = field(default_factory=list)
    already_claimed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    error: str | None = None

    def describe(self) -> str:
        text = f"acknowledgements: {len(self.sent)} sent, {len(self.failed)} failed"
        return text + (f" ({self.error})" if self.error else "")


def build_acknowledgement(item: ContributionToAcknowledge, settings: Settings, timezone: str) -> EmailMessage:
    template = settings.acknowledge_template or TEMPLATES / "accuse_reception.txt"

    def described(f):
        return {"nom": f.filename, "dans": f.inside, "raison": PARSE_STATUS_LABELS.get(f.status, f.status)}

    subject, body = render(
        template,
        objet_origine=item.subject or "votre message",
        recu_le=french_datetime(item.received_at, timezone) if item.received_at else "",
        fichiers_lus=[described(f) for f in item.files if f.status == "ok"],
        fichiers_illisibles=[described(f) for f in item.files if f.status != "ok"],
    )
    message = letter(settings.smtp_from, [item.sender], subject, body)
    if item.message_id:
        message["In-Reply-To"] = item.message_id
        message["References"] = item.message_id
    # RFC 3834: an automatic answer, so that auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    return message


def acknowledge_contributions(
    warehouse: Warehouse,
    settings: Settings,
    now: dt.datetime,
    mailer_factory: Callable[[], Mailer] | None = None,
) -> AcknowledgementRun:
    """Acknowledge what is due; never raises for a mail problem (the ingest
    run that calls this must not fail because the SMTP server is down)."""
    run = AcknowledgementRun()
    ours = address_of(settings.smtp_from).lower()
    due = [
        item
        for item in contributions_to_acknowledge(warehouse.engine, now - dt.timedelta(days=settings.acknowledge_within_days))
        if item.sender.lower() != ours and not item.sender.lower().startswith(ROBOT_PREFIXES)
    ]
    if not due:
        return run
    factory = mailer_factory or (lambda: Mailer(SmtpServer.from_settings(settings)))
    try:
        with factory() as mailer:
            for item in due:
                if not warehouse.claim_acknowledgement(item.message_pk, item.sender):
                    run.already_claimed.append(item.message_pk)
                    continue
                try:
                    message = build_acknowledgement(item, settings, warehouse.campaign.timezone)
                    smtp_id = mailer.send(message)
                except Exception as exc:  # a template or SMTP problem: recorded, tried again next run
                    warehouse.finish_acknowledgement(item.message_pk, error=str(exc))
                    run.failed[item.message_pk] = str(exc)
                    continue
                warehouse.finish_acknowledgement(item.message_pk, smtp_message_id=smtp_id)
                run.sent.append(item.message_pk)
    except MailerError as exc:
        log.error("acknowledgements not sent: %s", exc)
        run.error = str(exc)
    return run
