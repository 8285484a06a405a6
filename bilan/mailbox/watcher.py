"""The watcher: keep an IMAP IDLE session on the contribution folder and
ingest each message as soon as the server announces it (`bilan watch`,
through `flows/watch.py`, which gives it Prefect's events).

Two ways to run, one process each:

* standalone (the default): the watcher does the work itself. Everything
  heavy (the warehouse and its migrations, the spaCy pipeline) is loaded
  once, then each announced message goes through the exactly-once cycle
  (`bilan/mailbox/cycle.py`), in the order and with the guarantees described
  there, typically within a second of the APPEND. No Prefect server is
  needed; `on_ingested` is told of each message committed (the flows' event).
* dispatch (`--dispatch`): the watcher only announces new mail through
  `announce` (the `bilan.mailbox.new-mail` event) and a Prefect server runs
  the deployment `ingest-on-new-mail` on its workers (the same flow as the
  polling deployment). This scales out and keeps a record of every run, at
  the price of a few seconds per run (trigger, worker, process start).

Both modes may run side by side, and several watchers at once: the folder's
lock and the sha256 key make the extra ones harmless.

The session: IDLE re-issued before the server's timeout (RFC 2177 allows
the server to drop it after 30 minutes; `BILAN_IMAP_IDLE_SECONDS`, 25 min by
default), cycles after each IDLE ends until one finds nothing new (a message
that arrived during ingestion is taken at once), polling every
`BILAN_IMAP_POLL_SECONDS` when the server has no IDLE or refuses it, and
reconnection with exponential backoff and jitter, each attempt logged (in
one line while the same failure repeats; the backoff starts again only once
a cycle went through). Wrong TLS certificates and refused plaintext are
configuration errors: the watcher stops with the message instead of
retrying forever.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bilan.mailbox.cycle import MailboxOptions, account_from_settings, ingest_folder, open_folder
from bilan.mailbox.errors import CONNECTION_ERRORS, FATAL_ERRORS, IdleRefused, ImapLoginFailed
from bilan.mailbox.imap import ImapSource
from bilan.outgoing.acknowledgements import acknowledge_contributions
from bilan.pipeline import IngestedMessage, IngestSummary, Pipeline, process_backlog
from bilan.settings import Settings
from bilan.storage.warehouse import utcnow

log = logging.getLogger(__name__)

_WARM_UP_TEXT = "Bonjour, veuillez trouver notre contribution pour le Nord."


def _tiny_pdf(text: str) -> bytes:
    """A one-page PDF saying `text` (ASCII), written by hand: enough for the
    parser workers to open their PDF libraries once."""
    content = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return pdf


def _warm_up_message(workers: int) -> bytes:
    """A contribution with one small PDF per parser worker (each different,
    so that each worker gets one)."""
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "warm-up@bilan.invalid"
    mail["Subject"] = "Contribution"
    mail.set_content(_WARM_UP_TEXT)
    for n in range(workers):
        mail.add_attachment(_tiny_pdf(f"Contribution {n}"), "application", "pdf", filename=f"warm-up-{n}.pdf")
    return mail.as_bytes()

#: Dispatch mode: announce these UIDs of (account, folder, UIDVALIDITY) to
#: whoever ingests them; False when nobody can hear.
Announce = Callable[[str, str, int, list[int]], bool]


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half
    random, so that several watchers do not reconnect in step."""

    first: float = 1.0
    maximum: float = 300.0
    attempt: int = 0

    def next_delay(self) -> float:
        self.attempt += 1
        ceiling = min(self.maximum, self.first * 2 ** (self.attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0


class Watcher:
    """Watches the folder of `settings` until `stop()`, processing with
    `pipeline` (in dispatch mode only its warehouse is used)."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        *,
        dispatch: bool = False,
        poll: bool = False,
        on_ingested: Callable[[IngestedMessage], None] | None = None,
        announce: Announce | None = None,
    ):
        self.settings = settings
        self.pipeline = pipeline
        self.warehouse = pipeline.warehouse
        self.dispatch = dispatch
        self.force_poll = poll
        self.on_ingested = on_ingested
        self.announce = announce
        self.account = account_from_settings(settings)
        self.options = MailboxOptions.from_settings(settings)
        self.backoff = Backoff(maximum=settings.imap_reconnect_max_seconds)
        self.total = IngestSummary()
        #: Set once the folder is watched (after the first catch-up cycle).
        self.ready = threading.Event()
        #: Cycles run so far (catch-up, after each IDLE or poll).
        self.cycles = 0
        self._stop = threading.Event()
        self._announced: tuple[int, int] | None = None  # (uidvalidity, last UID) in dispatch mode
        #: The reason of the last failure, while failures follow one another.
        self._failure: str | None = None

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> IngestSummary:
        """Watch until `stop()`; return what was ingested meanwhile."""
        if not self.dispatch:
            self._load_pipeline()
            self.total.add(process_backlog(self.pipeline))
        while not self.stopped:
            try:
                with open_folder(self.account, self.options) as source:
                    self._watch(source)
            except FATAL_ERRORS:
                raise
            except ImapLoginFailed as exc:
                self._pause(f"{exc}", level=logging.ERROR)
            except CONNECTION_ERRORS as exc:
                self._pause(f"connection to {self.account.name} failed or was lost: {exc or type(exc).__name__}")
            except Exception as exc:  # a database outage, a bug: log it, keep watching
                first_line = (str(exc).strip().splitlines() or [""])[0]
                self._pause(f"watch cycle failed: {type(exc).__name__}: {first_line}", level=logging.ERROR, error=exc)
        return self.total

    # -- one session --

    def _watch(self, source: ImapSource) -> None:
        self._catch_up(source)
        idle = source.can_idle and not self.force_poll
        mode = "IDLE" if idle else f"polling every {self.settings.imap_poll_seconds:g} s"
        log.info("watching %s of %s (%s)", self.account.folder, self.account.name, mode)
        self.ready.set()
        while not self.stopped:
            if idle:
                try:
                    source.wait_for_new_mail(self.settings.imap_idle_seconds, should_stop=self._stop.is_set)
                except IdleRefused as exc:
                    log.warning("%s: polling every %g s instead", exc, self.settings.imap_poll_seconds)
                    idle = False
                    continue
            else:
                if self._stop.wait(self.settings.imap_poll_seconds):
                    break
                source.client.noop()
            if not self.stopped:
                self._catch_up(source)

    def _catch_up(self, source: ImapSource) -> None:
        """Cycles until one finds nothing above the last committed UID: a
        message that arrived while the previous one was being processed is
        taken now, not when the next one wakes the watcher up. A cycle that
        went through ends any run of failures (the backoff starts again)."""
        while self._cycle(source) and not self.stopped:
            pass
        self.backoff.reset()
        self._failure = None

    def _cycle(self, source: ImapSource) -> bool:
        """One ingestion cycle; whether it found any message."""
        self.cycles += 1
        if self.dispatch:
            return self._announce(source)
        summary = ingest_folder(self.pipeline, source, self.options, on_ingested=self.on_ingested)
        if summary.new or summary.processed or summary.failed:
            log.info(summary.describe())
        if summary.processed and self.settings.acknowledge:
            log.info(acknowledge_contributions(self.warehouse, self.settings, utcnow()).describe())
        self.total.add(summary)
        return bool(summary.new or summary.already_known)

    def _announce(self, source: ImapSource) -> bool:
        """Dispatch mode: one event per batch of UIDs not yet announced."""
        account = self.account
        assert source.uidvalidity is not None
        committed = self.warehouse.imap_last_uid(account.name, account.folder, source.uidvalidity)
        already = self._announced[1] if self._announced and self._announced[0] == source.uidvalidity else 0
        uids = source.uids_after(max(committed, already))
        announced = bool(uids) and self.announce is not None
        if announced and self.announce(account.name, account.folder, source.uidvalidity, uids):
            log.info("announced %d new message(s) in %s (UID %d-%d)", len(uids), account.folder, uids[0], uids[-1])
            self._announced = (source.uidvalidity, uids[-1])
            return True
        if uids:
            log.error("--dispatch needs a Prefect server (PREFECT_API_URL): %d message(s) not announced", len(uids))
        return False

    # -- helpers --

    def _load_pipeline(self) -> None:
        """Pay the load time of the language pipeline and of the parser
        workers now, not at the first messages: one small message with a PDF
        per worker goes through parsing and extraction."""
        from bilan.parsers.message import parse_message

        pool = self.pipeline.pool
        started = time.perf_counter()
        self.pipeline.extract(parse_message(_warm_up_message(pool.size), pool=pool))
        log.info("language pipeline loaded in %.1f s", time.perf_counter() - started)

    def _pause(self, reason: str, level: int = logging.WARNING, error: Exception | None = None) -> None:
        """Wait before trying again, longer at each failure in a row. An
        unexpected error is logged with its traceback the first time, then
        in one line while it repeats."""
        delay = self.backoff.next_delay()
        repeated = reason == self._failure
        self._failure = reason
        log.log(level, "%s; reconnection attempt %d in %.1f s", reason, self.backoff.attempt, delay,
                exc_info=error if error is not None and not repeated else None)  # fmt: skip
        self._stop.wait(delay)
