"""The raw archive: every message exactly as received, named by its sha256.

Writing is atomic (temporary file, fsync, rename), so a crash never leaves a
half-written message, and writing the same message twice is harmless.
"""

from __future__ import annotations

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

    def load(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def __iter__(self) -> Iterator[str]:
        for path in sorted(self.root.glob("*.eml")):
            yield path.stem
