"""The raw archive: every message exactly as received, named by its sha256.

Writing is atomic (temporary file, fsync, rename), so a crash never leaves a
half-written message, and writing the same message twice is harmless. A
batch of messages is written with one flush to disk for all of them
(`store_many`): the files are written, made durable together, then renamed,
and the folder's entries made durable.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class RawArchive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / f"{sha256}.eml"

    def store(self, raw: bytes) -> str:
        """Keep the message and return its sha256 (idempotent)."""
        sha256 = sha256_of(raw)
        target = self.path_for(sha256)
        if target.exists() and target.stat().st_size == len(raw):
            return sha256
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def store_many(self, raws: list[bytes]) -> list[str]:
        """Keep the messages and return their sha256 (idempotent), with one
        flush to disk for the batch instead of one per message."""
        shas = [sha256_of(raw) for raw in raws]
        written: dict[str, str] = {}  # sha256 -> temporary file
        try:
            for sha256, raw in zip(shas, raws):
                target = self.path_for(sha256)
                if sha256 in written or (target.exists() and target.stat().st_size == len(raw)):
                    continue
                self.root.mkdir(parents=True, exist_ok=True)
                fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".incoming-", suffix=".eml")
                written[sha256] = temporary
                with os.fdopen(fd, "wb") as handle:
                    handle.write(raw)
            if written:
                _flush_files(self.root, list(written.values()))
                for sha256, temporary in written.items():
                    os.replace(temporary, self.path_for(sha256))
                _flush_files(self.root, [])  # the renames
        except BaseException:
            for temporary in written.values():
                Path(temporary).unlink(missing_ok=True)
            raise
        return shas

    def load(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def __iter__(self) -> Iterator[str]:
        for path in sorted(self.root.glob("*.eml")):
            yield path.stem


@functools.cache
def _libc_syncfs():
    """libc's `syncfs`, from the symbols already in the process (no
    `find_library`, which runs `ldconfig` in a subprocess); None elsewhere."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def _flush_files(folder: Path, files: list[str]) -> None:
    """Make the files and the folder's entries durable: one `syncfs` of the
    folder's file system where the system has it (Linux), else an fsync of
    each file and of the folder."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        syncfs = _libc_syncfs()
        if syncfs is not None and syncfs(fd) == 0:
            return
        for name in files:
            with open(name, "rb") as handle:
                os.fsync(handle.fileno())
        os.fsync(fd)
    finally:
        os.close(fd)
