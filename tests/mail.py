"""Small helpers that build e-mails for tests (no corpus needed)."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import docx
import openpyxl


def message(
    subject: str = "Contribution bilan démarches participatives",
    sender: str = "Jeanne Martin <jeanne.martin@aisne.gouv.fr>",
    body: str = "Madame, Monsieur,\n\nVeuillez trouver ci-joint notre contribution.\n",
    received: datetime | None = None,
    message_id: str = "<test-1@aisne.gouv.fr>",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    if received is not None:
        mail["Received"] = f"from relay.example by mx.anct.gouv.fr; {format_datetime(received)}"
    mail["From"] = sender
    mail["To"] = "participation-habitants@anct.gouv.fr"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    return mail


def xlsx_bytes(rows: list[list[object]], title: str = "Annexe 1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def docx_bytes(heading: str, items: list[str], paragraph: str = "") -> bytes:
    document = docx.Document()
    document.add_heading(heading, level=1)
    if paragraph:
        document.add_paragraph(paragraph)
    for item in items:
        document.add_paragraph(item, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def numbered_messages(count: int, tag: str = "lot", start: datetime | None = None) -> list[bytes]:
    """`count` distinct contributions, each with a small .docx, as an MX
    stores them (CRLF, a Received header one minute apart)."""
    from datetime import timedelta

    start = start or datetime(2021, 12, 1, 9, 0, tzinfo=UTC)
    raws = []
    for n in range(count):
        mail = message(
            subject=f"Contribution bilan démarches participatives ({tag} {n})",
            body=f"Madame, Monsieur,\n\nVeuillez trouver ci-joint notre contribution numéro {n}.\n",
            received=start + timedelta(minutes=n),
            message_id=f"<{tag}-{n}@aisne.gouv.fr>",
        )
        mail.add_attachment(
            docx_bytes("Préconisations", [f"Former les conseillers citoyens ({n})"]), *DOCX, filename=f"note-{n}.docx"
        )
        raws.append(mail.as_bytes(policy=mail.policy.clone(linesep="\r\n")))
    return raws
