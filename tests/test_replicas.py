"""Distinct replicas (`tests/replicas.py`, `tests/copy_marks.py`): every
file of a copy is a file of its own, and what the warehouse reads from it
is what it reads from the original."""

from __future__ import annotations

import email
import email.policy
import hashlib
from pathlib import Path

from bilan.mailbox.raw import RawMessage
from bilan.parsers.pool import default_pool
from bilan.pipeline import Pipeline, Selection, archive_raw, reprocess
from bilan.settings import Settings
from bilan.storage.db import get_engine
from tests.conftest import SAMPLES
from tests.replicas import replicated
from tests.warehouse_dump import canonical_rows


def files(raw: bytes) -> list[str]:
    """sha256 of the decoded non-text parts of a message."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    return [
        hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()
        for part in message.walk()
        if not part.is_multipart() and part.get_content_maintype() != "text"
    ]


def test_the_files_of_distinct_copies_are_their_own():
    messages = [path.read_bytes() for path in sorted(SAMPLES.glob("*.eml"))]
    shared = replicated(messages, 2 * len(messages), "shared")
    distinct = replicated(messages, 2 * len(messages), "distinct")
    count = len(messages)
    assert sum(map(len, map(files, messages))) >= 5, "the samples carry too few files to show anything"
    for position in range(count):
        assert files(shared[position]) == files(shared[position + count])  # shared: the same files
        first, second = files(distinct[position]), files(distinct[position + count])
        assert not set(first) & set(second), f"sample {position}: a file shared by two distinct copies"
        assert not set(first) & set(files(messages[position]))


def dump_without_file_identity(raws: list[bytes], folder: Path) -> dict[str, list[str]]:
    """The warehouse rows the copies give, each message named by its place
    in `raws` and without the sha256 and size of messages and files."""
    settings = Settings(database_url=f"sqlite:///{folder / 'w.db'}", archive_dir=folder / "archive",
                        cache_dir=folder / "cache")  # fmt: skip
    with Pipeline.open(settings, pool=default_pool()) as pipeline:
        names = {archive_raw(pipeline.warehouse, RawMessage(raw=raw, source=f"copy/{i}")).sha256: f"copy/{i}"
                 for i, raw in enumerate(raws)}  # fmt: skip
        assert reprocess(pipeline, Selection()).failed == 0
    dump = {}
    for table, rows in canonical_rows(get_engine(settings.database_url)).items():
        kept = []
        for row in rows:
            text = repr(tuple(item for item in row if not (table in ("message", "attachment")
                                                           and item[0] in ("sha256", "size"))))  # fmt: skip
            for sha, name in names.items():
                text = text.replace(sha, name)
            kept.append(text)
        dump[table] = sorted(kept)
    return dump


def test_distinct_copies_read_as_the_shared_ones(tmp_path):
    messages = [path.read_bytes() for path in sorted(SAMPLES.glob("*.eml"))]
    shared = dump_without_file_identity(replicated(messages, len(messages), "shared"), tmp_path / "shared")
    distinct = dump_without_file_identity(replicated(messages, len(messages), "distinct"), tmp_path / "distinct")
    assert shared["attachment"] and shared["recommendation"]
    for table in shared:
        assert distinct[table] == shared[table], table
