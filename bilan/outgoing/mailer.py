"""Sending mail through the configured SMTP server, STARTTLS first.

One connection for a batch of messages. The password is read from the
settings (a `SecretStr`) and never appears in a log line or an error: errors
name the server, the port and the SMTP reply, nothing else.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from bilan.settings import Settings

log = logging.getLogger(__name__)


class MailerError(RuntimeError):
    """Sending failed; the message says why, without any secret."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    ca_file: Path | None = None
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout,
        )

    def __str__(self) -> str:
        return f"smtp://{self.host}:{self.port}"


class Mailer:
    """`with Mailer(server) as mailer: mailer.send(message)`."""

    def __init__(self, server: SmtpServer):
        if server.user and not server.starttls:
            raise MailerError(f"{server}: refusing to send the SMTP password without STARTTLS")
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        server = self.server
        try:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            smtp.ehlo()
            if server.starttls:
                if not smtp.has_extn("starttls"):
                    smtp.quit()
                    raise MailerError(f"{server} does not offer STARTTLS")
                context = ssl.create_default_context(cafile=str(server.ca_file) if server.ca_file else None)
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailerError(f"{server}: login refused for {server.user!r} ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailerError(f"{server}: {type(exc).__name__}: {exc}") from None
        self._smtp = smtp
        return self

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage) -> str:
        """Send one message; return its Message-ID."""
        if self._smtp is None:
            raise MailerError("Mailer used outside its `with` block")
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain=_domain_of(message["From"]))
        try:
            refused = self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailerError(f"{self.server}: {type(exc).__name__}: {exc}") from None
        if refused:
            log.warning("%s: some recipients were refused: %s", self.server, ", ".join(refused))
        return str(message["Message-ID"])


def _domain_of(address: str | None) -> str | None:
    if address and "@" in address:
        return address.rsplit("@", 1)[1].strip(" >")
    return None
