"""Reminders: which departments to chase, to whom, and the French e-mail
each one gets; written as a list (XLSX, CSV) and as `.eml` drafts, and sent
only when asked.

Before the deadline, the departments that have not answered are chased;
after it, those and the ones whose contribution is incomplete (a required
annex never received in a readable file). A department a person excused
(`exempt`, see `storage/corrections.py`) is never chased. Nobody is reminded twice the same
day: each sending is claimed in the `reminder` table first.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from bilan.nlp.text import fold
from bilan.outgoing.letters import (
    TEMPLATES,
    address_of,
    department_values,
    french_date,
    french_datetime,
    letter,
    render,
)
from bilan.outgoing.mailer import Mailer, MailerError, SmtpServer
from bilan.settings import Settings
from bilan.steps import StepRunner, direct
from bilan.storage.outgoing import ReceivedFile, contacts_seen, unreadable_contribution_files
from bilan.storage.status import MISSING, DepartmentStatus, closes_at, department_statuses
from bilan.storage.tabular import Column, Sheet, write_csv, write_xlsx
from bilan.storage.views import PARSE_STATUS_LABELS, STATUS_LABELS
from bilan.storage.warehouse import Warehouse

ANNEX_NAMES = {
    1: "l'annexe 1 (conseils citoyens)",
    2: "l'annexe 2 (autres démarches participatives)",
    3: "l'annexe 3 (questionnaire aux membres des conseils citoyens)",
}
INCOMPLETE = "incomplete"
REASON_LABELS = {MISSING: "sans réponse", INCOMPLETE: "incomplet"}
EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


class ContactsFileError(ValueError):
    """The contacts file cannot be read; says which line and why."""


@dataclass
class ReminderDraft:
    department: DepartmentStatus
    reason: str
    missing_annexes: list[int]
    unreadable: list[ReceivedFile]
    recipients: list[str]
    subject: str
    body: str
    message: EmailMessage

    @property
    def filename(self) -> str:
        return f"relance-{self.department.code}-{fold(self.department.name).replace(' ', '-')}.eml"


@dataclass
class ReminderRun:
    """What a run did: the drafts, the files written, and when sending, what happened to each."""

    drafts: list[ReminderDraft] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    already_reminded_today: list[str] = field(default_factory=list)
    without_address: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def describe(self, sent: bool) -> str:
        text = f"{len(self.drafts)} department(s) to remind"
        if not sent:
            return text + "; dry run: nothing sent (add --send to send)"
        parts = [f"{len(self.sent)} sent", f"{len(self.already_reminded_today)} already reminded today",
                 f"{len(self.without_address)} without address", f"{len(self.failed)} failed"]
        return text + ": " + ", ".join(parts)


# -- one run -------------------------------------------------------------------


def run_reminders(
    warehouse: Warehouse,
    settings: Settings,
    now: dt.datetime,
    out_dir: Path,
    *,
    send: bool = False,
    contacts: Path | None = None,
    template: Path | None = None,
    step: StepRunner = direct,
) -> ReminderRun:
    """The one order of a reminders run: draft, write the list and the
    drafts, and send only when asked (a dry run is the default). `contacts`
    and `template` default to the settings'; `step` as in `bilan/steps.py`."""
    contacts = contacts or settings.reminder_contacts
    template = template or settings.reminder_template
    run = ReminderRun()
    run.drafts = step("draft-reminders", draft_reminders)(warehouse, settings, now, contacts, template)
    run.files = step("write-reminders", write_reminders)(run.drafts, out_dir, warehouse.campaign.timezone)
    if send and run.drafts:
        run = step("send-reminders", send_through_server)(warehouse, settings, run.drafts, now, run)
    return run


# -- who to remind ----------------------------------------------------------


def departments_to_chase(
    statuses: list[DepartmentStatus], now: dt.datetime, closes: dt.datetime, required: tuple[int, ...]
) -> list[tuple[DepartmentStatus, str, list[int]]]:
    """(department, reason, missing annexes) for each department to remind."""
    chase = []
    for status in statuses:
        if status.exempt:
            continue
        if status.status == MISSING:
            chase.append((status, MISSING, []))
        elif now >= closes and status.missing_annexes(required):
            chase.append((status, INCOMPLETE, status.missing_annexes(required)))
    return chase


def load_contacts(path: Path) -> dict[str, list[str]]:
    """A CSV with a `department` column (code: 01, 2A, 971...) and an `email`
    column (one or several addresses separated by `;` or `,`); other columns
    are ignored. The delimiter (`,` or `;`) is detected."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    columns = {fold(name or ""): name for name in reader.fieldnames or []}
    code_column = columns.get("department") or columns.get("departement") or columns.get("code")
    email_column = columns.get("email") or columns.get("e mail") or columns.get("courriel") or columns.get("adresse")
    if not code_column or not email_column:
        raise ContactsFileError(f"{path}: needs a 'department' and an 'email' column (found: {', '.join(reader.fieldnames or [])})")
    contacts: dict[str, list[str]] = {}
    for line, row in enumerate(reader, start=2):
        code = (row.get(code_column) or "").strip().upper()
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        addresses = EMAIL.findall(row.get(email_column) or "")
        if not code or not addresses:
            raise ContactsFileError(f"{path}, line {line}: a department code and an e-mail address are needed")
        known = contacts.setdefault(code, [])
        known.extend(a.lower() for a in addresses if a.lower() not in known)
    return contacts


# -- drafting -----------------------------------------------------------------


def draft_reminders(
    warehouse: Warehouse, settings: Settings, now: dt.datetime, contacts_file: Path | None = None,
    template: Path | None = None,
) -> list[ReminderDraft]:
    campaign = warehouse.campaign
    closes = closes_at(campaign)
    statuses = department_statuses(warehouse.engine, campaign)
    reference = load_contacts(contacts_file) if contacts_file else {}
    seen = contacts_seen(warehouse.engine)
    unreadable = unreadable_contribution_files(warehouse.engine)
    template = template or TEMPLATES / "relance.txt"
    sender = settings.smtp_from
    drafts = []
    for status, reason, missing in departments_to_chase(statuses, now, closes, settings.required_annex_numbers):
        recipients = list(dict.fromkeys(reference.get(status.code, []) + seen.get(status.code, [])))
        files = unreadable.get(status.code, [])
        subject, body = render(
            template,
            campagne=campaign.name,
            departement=department_values(status.code, status.name, status.region),
            motif=reason,
            echeance_passee=now >= closes,
            date_limite=french_date(campaign.deadline),
            premiere_contribution=(
                french_datetime(status.first_contribution_at, campaign.timezone) if status.first_contribution_at else ""
            ),
            annexes_manquantes=[ANNEX_NAMES[number] for number in missing],
            fichiers_illisibles=[
                {"nom": f.filename, "dans": f.inside, "raison": PARSE_STATUS_LABELS.get(f.status, f.status)}
                for f in files
            ],
            adresse_retour=address_of(sender),
        )
        message = letter(sender, recipients, subject, body, now)
        message["Reply-To"] = address_of(sender)
        drafts.append(ReminderDraft(status, reason, missing, files, recipients, subject, body, message))
    return drafts


LIST_COLUMNS = (
    Column("department_code", "Code"),
    Column("department_name", "Département"),
    Column("region", "Région"),
    Column("reason", "Motif", labels=REASON_LABELS),
    Column("status", "Statut", labels=STATUS_LABELS),
    Column("first_contribution_at", "Première contribution", "datetime"),
    Column("missing_annexes", "Annexes manquantes"),
    Column("unreadable_files", "Fichiers illisibles"),
    Column("recipients", "Destinataires"),
    Column("reminders_sent", "Relances déjà envoyées", "int"),
    Column("last_reminder_at", "Dernière relance", "datetime"),
    Column("draft", "Brouillon"),
)


def write_reminders(drafts: list[ReminderDraft], out_dir: Path, timezone: str) -> list[Path]:
    """The list (`relances.xlsx`, `relances.csv`) and one `.eml` draft per
    department (opened as a draft by mail clients: `X-Unsent: 1`)."""
    rows = []
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for draft in drafts:
        d = draft.department
        rows.append((
            d.code, d.name, d.region, draft.reason, d.status, d.first_contribution_at,
            ", ".join(str(n) for n in draft.missing_annexes),
            ", ".join(f.filename for f in draft.unreadable),
            ", ".join(draft.recipients), d.reminders_sent, d.last_reminder_at, draft.filename,
        ))
        unsent = copy.deepcopy(draft.message)
        unsent["X-Unsent"] = "1"
        path = out_dir / draft.filename
        path.write_bytes(unsent.as_bytes())
        files.append(path)
    sheet = Sheet("relances", "Relances", LIST_COLUMNS, rows)
    return [write_xlsx(out_dir / "relances.xlsx", [sheet], timezone), write_csv(out_dir / "relances.csv", sheet), *files]


# -- sending ------------------------------------------------------------------


def send_reminders(
    warehouse: Warehouse, drafts: list[ReminderDraft], mailer: Mailer, now: dt.datetime, run: ReminderRun
) -> ReminderRun:
    """Send each draft that has recipients, unless that department was
    already reminded today (local day). The claim comes first, so a crash
    after sending can never lead to a second reminder the same day."""
    day = now.astimezone(ZoneInfo(warehouse.campaign.timezone)).date()
    for draft in drafts:
        code = draft.department.code
        if not draft.recipients:
            run.without_address.append(code)
            continue
        reminder_id = warehouse.claim_reminder(code, day, draft.reason, draft.recipients, draft.subject)
        if reminder_id is None:
            run.already_reminded_today.append(code)
            continue
        try:
            message_id = mailer.send(draft.message)
        except MailerError as exc:
            warehouse.finish_reminder(reminder_id, error=str(exc))
            run.failed[code] = str(exc)
            continue
        warehouse.finish_reminder(reminder_id, smtp_message_id=message_id)
        run.sent.append(code)
    return run


def send_through_server(
    warehouse: Warehouse, settings: Settings, drafts: list[ReminderDraft], now: dt.datetime, run: ReminderRun
) -> ReminderRun:
    """`send_reminders` over one connection to the SMTP server of the settings."""
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        return send_reminders(warehouse, drafts, mailer, now, run)
