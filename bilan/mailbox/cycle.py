"""Ingesting an IMAP folder exactly once, whatever happens in between.

One ingestion cycle, under the folder's lock (`storage/lock.py`):

1. read the last committed UID for (account, folder, UIDVALIDITY); a
   UIDVALIDITY never seen before starts from 0, i.e. a full resync, in which
   messages already known are recognised by their sha256 and add nothing;
2. fetch the UIDs above it by batches (BODY.PEEK[]: nothing is marked \\Seen);
3. per message: archive the raw bytes and their row; then, for the batch,
   parse, extract and load each message in one transaction (skipped when
   already done), parsing ahead in the background;
4. per batch, once every message of it is committed: set the keyword
   (`$BilanIngested`), move the batch if asked and the server has MOVE, and
   only then advance the folder's progress to the batch's highest UID.

A crash anywhere repeats at most one batch, and repeating it changes
nothing: the archive and the message row are keyed on sha256, processing is
skipped for processed messages, keywords are idempotent and progress only
moves forward. A message that fails processing keeps its error on its row
and is tried again by `process_backlog`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bilan.mailbox.imap import Credential, ImapAccount, ImapSource
from bilan.pipeline import IngestedMessage, IngestSummary, Pipeline, StageClock, ingest_batch
from bilan.progress import Progress
from bilan.settings import Settings
from bilan.storage.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailboxOptions:
    """What to leave on the server, and how to pace the work."""

    keyword: str = "$BilanIngested"
    move_to: str | None = None
    batch_size: int = 20
    lock_timeout: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MailboxOptions:
        return cls(
            keyword=settings.imap_keyword.strip(),
            move_to=settings.imap_move_to or None,
            batch_size=settings.imap_batch_size,
            lock_timeout=settings.lock_timeout_seconds,
        )

    @property
    def writes_to_server(self) -> bool:
        return bool(self.keyword or self.move_to)


def account_from_settings(settings: Settings) -> ImapAccount:
    if settings.imap_auth == "xoauth2":
        credential = Credential(settings.imap_oauth2_token.get_secret_value(), settings.imap_oauth2_token_block)
    else:
        credential = Credential(settings.imap_password.get_secret_value(), settings.imap_password_block)
    return ImapAccount(
        host=settings.imap_host,
        port=settings.imap_port_or_default,
        user=settings.imap_user,
        credential=credential,
        folder=settings.imap_folder,
        security=settings.imap_security,
        ca_file=settings.imap_ca_file,
        allow_plaintext=settings.imap_allow_plaintext,
        auth=settings.imap_auth,
    )


def open_folder(account: ImapAccount, options: MailboxOptions) -> ImapSource:
    """The folder, read-write only when something is to be left on the server."""
    return ImapSource(account, batch_size=options.batch_size, readonly=not options.writes_to_server)


def lock_name(account: ImapAccount) -> str:
    return f"imap:{account.name}/{account.folder}"


def ingest_folder(
    pipeline: Pipeline,
    source: ImapSource,
    options: MailboxOptions,
    *,
    progress: Progress | None = None,
    on_ingested: Callable[[IngestedMessage], None] | None = None,
) -> IngestSummary:
    """One ingestion cycle on an open folder (see the module docstring)."""
    warehouse = pipeline.warehouse
    account = source.account
    assert source.uidvalidity is not None
    clock = StageClock()
    summary = IngestSummary()
    with warehouse.lock(lock_name(account), timeout=options.lock_timeout):
        last_uid = warehouse.imap_last_uid(account.name, account.folder, source.uidvalidity)
        if last_uid == 0:
            _announce_resync(warehouse, account, source.uidvalidity)
        with clock.stage("fetch"):
            uids = source.uids_after(last_uid)
        if not uids:
            return summary
        log.info("%s of %s: %d new message(s) after UID %d", account.folder, account.name, len(uids), last_uid)
        marking, moving = _server_actions(source, options)
        if progress is not None:
            progress.start(len(uids), f"{account.folder}")
        for start in range(0, len(uids), options.batch_size):
            batch = uids[start : start + options.batch_size]
            with clock.stage("fetch"):
                messages = list(source.fetch(batch))
            result = ingest_batch(pipeline, messages, clock=clock, progress=progress)
            summary.add(result)
            for ingested in result.ingested:
                if on_ingested is not None:
                    on_ingested(ingested)
            with clock.stage("mark"):
                if marking:
                    source.mark(batch, options.keyword)
                if moving:
                    source.move(batch, options.move_to)
            warehouse.advance_imap(account.name, account.folder, source.uidvalidity, max(batch))
        if progress is not None:
            progress.finish()
    clock.into(summary)
    return summary


def ingest_imap(
    pipeline: Pipeline,
    account: ImapAccount,
    options: MailboxOptions = MailboxOptions(),
    *,
    progress: Progress | None = None,
    on_ingested: Callable[[IngestedMessage], None] | None = None,
) -> IngestSummary:
    """Connect, run one cycle, disconnect: what `bilan ingest` and the
    polling deployment do."""
    with open_folder(account, options) as source:
        return ingest_folder(pipeline, source, options, progress=progress, on_ingested=on_ingested)


def _announce_resync(warehouse: Warehouse, account: ImapAccount, uidvalidity: int) -> None:
    earlier = warehouse.imap_uidvalidities(account.name, account.folder) - {uidvalidity}
    if earlier:
        log.warning(
            "UIDVALIDITY of %s on %s changed (%s -> %d): reading the whole folder again; "
            "messages already in the warehouse are recognised by their sha256 and added no second time",
            account.folder, account.name, ", ".join(map(str, sorted(earlier))), uidvalidity,
        )  # fmt: skip


_warned: set[tuple[str, str]] = set()


def _warn_once(key: tuple[str, str], message: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def _server_actions(source: ImapSource, options: MailboxOptions) -> tuple[bool, bool]:
    """Whether to set the keyword and to move, said once per account when the
    server cannot."""
    account = source.account
    marking = source.can_mark(options.keyword)
    if options.keyword and not marking:
        _warn_once(
            (account.name, "keyword"),
            "%s does not keep keywords in %s (PERMANENTFLAGS %s): ingested messages are not marked %s",
            account.name, account.folder, source.permanent_flags, options.keyword,
        )  # fmt: skip
    moving = bool(options.move_to) and source.can_move()
    if options.move_to and not moving:
        _warn_once(
            (account.name, "move"),
            "%s has no MOVE command: ingested messages stay in %s (bilan never copies and deletes)",
            account.name, account.folder,
        )  # fmt: skip
    if moving:
        source.ensure_folder(options.move_to)
    return marking, moving
