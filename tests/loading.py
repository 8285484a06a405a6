"""Load messages into a test warehouse with the plain functions the flows
call (no Prefect: the flows themselves are tested in test_cli and test_ingest_*)."""

from __future__ import annotations

from pathlib import Path

from bilan.mailbox.local import DirectorySource
from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, ingest_messages, process_archived


def load_raw(warehouse, raw: bytes, source: str = "test") -> str:
    archived = archive_raw(warehouse, RawMessage(raw=raw, source=source))
    process_archived(Pipeline(warehouse), archived.sha256)
    return archived.sha256


def load_folder(warehouse, folder: Path) -> None:
    ingest_messages(Pipeline(warehouse), iter(DirectorySource(folder)))
