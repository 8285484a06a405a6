"""The one place where configuration is read.

Everything comes from the environment (or a `.env` file in the working
folder), prefixed with `BILAN_`. Secrets are typed as `SecretStr` so that they
never show up in a repr, a log line or an error message.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bilan.nlp.review import ReviewThresholds


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BILAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///bilan.db",
        description="SQLAlchemy URL of the warehouse (SQLite file or PostgreSQL).",
    )
    archive_dir: Path | None = Field(
        default=None,
        description="Folder of raw messages; default: `archive/` beside the SQLite file.",
    )

    imap_host: str = "localhost"
    imap_port: int | None = None
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    imap_ssl: bool = True

    # -- mailbox: secure connections, marking, watching (see bilan/mailbox/imap.py, bilan/mailbox/watcher.py) --
    imap_starttls: bool = Field(
        default=False, description="Without BILAN_IMAP_SSL: upgrade the plain port with STARTTLS."
    )
    imap_allow_plaintext: bool = Field(
        default=False, description="Allow plain IMAP (no TLS) to a host that is not on loopback."
    )
    imap_ca_file: Path | None = Field(
        default=None, description="PEM file of the CA(s) to trust instead of the system's."
    )
    imap_auth: Literal["password", "xoauth2"] = "password"
    imap_password_block: str | None = Field(
        default=None, description="Name of a Prefect Secret block holding the IMAP password."
    )
    imap_oauth2_token: SecretStr = SecretStr("")
    imap_oauth2_token_block: str | None = Field(
        default=None, description="Name of a Prefect Secret block holding the XOAUTH2 access token."
    )
    imap_keyword: str = Field(
        default="$BilanIngested",
        description="Keyword set on a message once its rows are committed; empty: do not mark.",
    )
    imap_move_to: str | None = Field(
        default=None, description="Folder to move ingested messages to (only if the server has MOVE)."
    )
    imap_poll_seconds: float = Field(
        default=60.0, gt=0, description="Polling interval when IDLE is not offered."
    )
    imap_idle_seconds: float = Field(
        default=25 * 60.0,
        gt=0,
        le=29 * 60.0,
        description="Re-issue IDLE after this long (RFC 2177: servers may drop it after 30 minutes).",
    )
    imap_reconnect_max_seconds: float = Field(
        default=300.0, gt=0, description="Longest pause between two reconnection attempts."
    )
    imap_batch_size: int = Field(
        default=20, gt=0, description="Messages fetched per round trip; progress advances per batch."
    )
    lock_timeout_seconds: float = Field(
        default=600.0, gt=0, description="How long an ingestion waits for another one on the same folder."
    )

    campaign_name: str = "Bilan des démarches participatives 2021"
    campaign_deadline: dt.date = dt.date(2021, 12, 10)
    campaign_timezone: str = "Europe/Paris"

    max_attachment_bytes: int = Field(
        default=5 * 1024 * 1024, description="Files above this size are not parsed (too_large)."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Folder of parsed documents kept by sha256 and of the NLP results per text (nlp-memo.sqlite); "
        "default: `parse-cache/` beside the archive.",
    )
    parse_workers: int | None = Field(
        default=None,
        description="Parser worker processes (default: the cores the extraction workers leave, at least one, at "
        "most 4; one per core with BILAN_EXTRACT_WORKERS=0; 0 parses in-process, without limits).",
    )
    parse_seconds: float = Field(
        default=60.0, description="Seconds one file may take to parse before its worker is killed (timeout)."
    )
    extract_workers: int | None = Field(
        default=None, ge=0,
        description="Extraction worker processes, sharing one loaded language model (default: one per core, as "
        "many as the 1 GiB memory budget of the process tree holds; 0 extracts in the main process).",
    )

    # -- outgoing mail: reminders and acknowledgements of receipt --
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS before anything else.")
    smtp_ca_file: Path | None = Field(
        default=None, description="Extra CA certificate(s) to trust for the SMTP server (PEM)."
    )
    smtp_timeout: float = 30.0
    smtp_from: str = Field(
        default="ANCT - Participation des habitants <participation-habitants@anct.gouv.fr>",
        description="From of reminders and acknowledgements; replies come back to the contribution mailbox.",
    )
    reminder_template: Path | None = Field(default=None, description="Reminder e-mail template (Jinja2, French).")
    reminder_contacts: Path | None = Field(
        default=None, description="CSV of contacts per department (columns: department, email[, name])."
    )
    required_annexes: str = Field(
        default="1,2", description="Annexes a contribution must include; without them it is incomplete."
    )
    acknowledge: bool = Field(default=False, description="Send an acknowledgement of receipt for new contributions.")
    acknowledge_within_days: int = Field(
        default=3, description="Only contributions received this recently are acknowledged (never old mail)."
    )
    acknowledge_template: Path | None = Field(default=None, description="Acknowledgement template (Jinja2, French).")

    # -- review: a value extracted with less confidence than this sends its message to review_queue --
    review_below_kind: float = Field(default=0.6, ge=0, le=1, description="Confidence of the message kind.")
    review_below_sender_role: float = Field(
        default=0.35, ge=0, le=1,
        description="Confidence of the sender role (it changes no count or status: only a role read from nothing is worth a look).")
    review_below_modality: float = Field(default=0.6, ge=0, le=1, description="Confidence of the modality.")
    review_below_department: float = Field(default=0.5, ge=0, le=1, description="Confidence of each department.")
    review_below_annex_cell: float = Field(default=0.6, ge=0, le=1, description="Confidence of each annex cell.")
    review_below_recommendation: float = Field(
        default=0.6, ge=0, le=1, description="Confidence that a sentence is a recommendation."
    )
    review_below_theme: float = Field(default=0.5, ge=0, le=1, description="Confidence of a recommendation's theme.")
    auth_servers: str = Field(
        default="",
        description="authserv-id(s) of the receiving mail server, comma-separated: only their "
        "Authentication-Results count; empty: the topmost header.",
    )

    # -- the web application (`bilan serve`, bilan/web/) --
    web_secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Key that signs session cookies (32+ random bytes); empty: a new one at each start "
        "(everyone logged out on restart).",
    )
    web_secure_cookies: bool = Field(
        default=True, description="Session cookie only over HTTPS (browsers also accept it from localhost)."
    )
    web_session_hours: float = Field(default=12.0, gt=0, description="A session ends this long after login.")
    web_trusted_header: str = Field(
        default="",
        description="Header in which a reverse proxy names the logged-in account (e.g. X-Remote-User); "
        "empty: local passwords only.",
    )
    web_trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description="Addresses whose requests may carry the trusted header, comma-separated.",
    )
    web_login_attempts: int = Field(
        default=5, gt=0, description="Failed logins allowed per account and per address within the window."
    )
    web_login_window_seconds: float = Field(default=300.0, gt=0, description="The window of that limit.")

    def review_thresholds(self) -> ReviewThresholds:
        """The thresholds of the review rule (`nlp/review.py`)."""
        from bilan.nlp.review import ReviewThresholds

        return ReviewThresholds(
            kind=self.review_below_kind,
            sender_role=self.review_below_sender_role,
            modality=self.review_below_modality,
            department=self.review_below_department,
            annex_cell=self.review_below_annex_cell,
            recommendation=self.review_below_recommendation,
            theme=self.review_below_theme,
            trusted_auth_servers=tuple(s.strip() for s in self.auth_servers.split(",") if s.strip()),
        )

    @property
    def required_annex_numbers(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.required_annexes.replace(" ", "").split(",") if part)

    @cached_property
    def archive_path(self) -> Path:
        """Where raw messages are kept: explicit setting, else beside the SQLite file."""
        if self.archive_dir is not None:
            return self.archive_dir
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url != "sqlite:///:memory:":
            return Path(self.database_url[len(prefix):]).expanduser().resolve().parent / "archive"
        return Path("archive").resolve()

    @property
    def parse_cache_path(self) -> Path:
        """Where parsed documents are cached: explicit setting, else beside the archive."""
        return self.cache_dir if self.cache_dir is not None else self.archive_path.parent / "parse-cache"

    @property
    def nlp_memo_path(self) -> Path:
        """Where the NLP results per text are kept (`nlp/memo.py`): in the parse cache folder."""
        return self.parse_cache_path / "nlp-memo.sqlite"

    def parse_limits(self):
        """The parsers' safety limits, as configured."""
        from bilan.parsers.limits import Limits

        return Limits(max_file_bytes=self.max_attachment_bytes, parse_seconds=self.parse_seconds)

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or (993 if self.imap_ssl else 143)

    @property
    def imap_security(self) -> Literal["ssl", "starttls", "plain"]:
        """Implicit TLS (IMAPS), STARTTLS on the plain port, or no TLS at all."""
        if self.imap_ssl:
            return "ssl"
        return "starttls" if self.imap_starttls else "plain"


def get_settings() -> Settings:
    """Read the settings afresh (cheap; lets tests change the environment).
    A value that does not parse raises `SettingsError`, which names the
    variable and what it must be."""
    from pydantic import ValidationError

    from bilan.errors import settings_error

    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from exc
