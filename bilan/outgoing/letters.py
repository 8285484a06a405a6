"""French e-mails written from templates the team can edit.

A template is a Jinja2 text file whose first line is the subject
(`Objet : ...`), then a blank line, then the body. The defaults live in
`bilan/outgoing/templates/`; a copy can be pointed at by a setting
(`BILAN_REMINDER_TEMPLATE`, `BILAN_ACKNOWLEDGE_TEMPLATE`).
"""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

TEMPLATES = Path(__file__).parent / "templates"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


class TemplateError(ValueError):
    """The template cannot be used (syntax, unknown variable, no subject line)."""


def french_date(day: dt.date) -> str:
    """`10 décembre 2021` (`1er` for the first of the month), as a letter writes it."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def french_datetime(moment: dt.datetime, timezone: str) -> str:
    """`6 décembre 2021 à 15 h 32`, local time."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{french_date(local.date())} à {local.hour} h {local.minute:02d}"


def department_values(code: str, name: str, region: str) -> dict[str, str]:
    """What a template may say of a department: `nom`, `code`, `region`, and
    the name as French grammar wants it after "de" (`de_nom`: "de l'Isère",
    "du Nord", "de Paris") or in a sentence (`le_nom`: "l'Isère", "le Nord")."""
    from bilan.reference import department_info

    info = department_info(code)
    return {
        "code": code,
        "nom": name,
        "region": region,
        "le_nom": info.with_article if info else name,
        "de_nom": info.of_name if info else f"du département {name}",
    }


def render(template: Path, **values) -> tuple[str, str]:
    """Subject and body of a letter. Unknown variables are an error, so that a
    typo in an edited template is caught before anything is sent."""
    import jinja2  # here, not at the top: every ingestion imports this module, few write letters (0.07 s)

    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False,
    )
    try:
        text = environment.from_string(template.read_text(encoding="utf-8")).render(**values)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{template}: {exc}") from None
    first, _, body = text.partition("\n")
    for prefix in ("Objet :", "Objet:", "Subject:"):
        if first.startswith(prefix):
            return first[len(prefix):].strip(), body.lstrip("\n")
    raise TemplateError(f"{template}: the first line must be the subject, starting with 'Objet :'")


def letter(sender: str, recipients: list[str], subject: str, body: str, when: dt.datetime | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate((when or dt.datetime.now(dt.UTC)).timestamp(), localtime=False)
    message.set_content(body)
    return message


def address_of(header_value: str) -> str:
    """The bare address of a From-like value."""
    addresses = getaddresses([header_value])
    return addresses[0][1] if addresses else header_value

