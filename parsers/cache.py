"""Parse once: parsed documents kept on disk by the sha256 of the file.

The same annex forwarded three times, or a message processed again, is read
from here instead of being parsed again. The key also holds the parser
version, the engines available (OCR, LibreOffice) and the limits that shape a
document, so that improving a parser, installing OCR or changing a limit
makes the old entries unused rather than wrong; a folder of unused entries
can simply be deleted.

Entries are JSON (never pickle: a cache file must not be able to run code),
written to a temporary file and renamed, so that two runs at once never read
half an entry. Only outcomes that depend on the file alone are kept (not a
time limit hit, not a crash), and not containers, whose children are parsed
(and cached) on their own.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from bilan.parsers.document import Document, ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.registry import CONTAINER_FORMATS, ParseOutcome

#: Bump when any parser's output changes for the same input.
PARSER_VERSION = "4.3"


@functools.cache
def _engines() -> str:
    from bilan.parsers.libreoffice import soffice_path
    from bilan.parsers.ocr import ocr_available

    parts = [f"ocr={ocr_available()}", f"soffice={soffice_path() is not None}"]
    try:
        import tesserocr

        parts.append(tesserocr.tesseract_version().split()[1] if ocr_available() else "")
    except (ImportError, IndexError):
        pass
    return ";".join(parts)


class ParseCache:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def _generation(self, limits: Limits) -> str:
        text = f"{PARSER_VERSION}|{_engines()}|{limits.fingerprint()}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _path(self, sha256: str, fmt: str, limits: Limits) -> Path:
        return self.folder / self._generation(limits) / sha256[:2] / f"{sha256}.{fmt}.json"

    def get(self, sha256: str, fmt: str, limits: Limits) -> ParseOutcome | None:
        if fmt in CONTAINER_FORMATS:
            return None
        path = self._path(sha256, fmt, limits)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            document = Document.from_json(entry["document"]) if entry.get("document") else None
            outcome = ParseOutcome(ParseStatus(entry["status"]), entry.get("reason"), document)
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1  # a damaged entry is parsed again and overwritten
            return None
        self.hits += 1
        return outcome

    def put(self, sha256: str, fmt: str, limits: Limits, outcome: ParseOutcome) -> None:
        if fmt in CONTAINER_FORMATS or not outcome.cacheable or outcome.status is ParseStatus.TOO_LARGE:
            return
        if outcome.document is not None and outcome.document.files:
            return
        entry = {
            "status": outcome.status.value,
            "reason": outcome.reason,
            "document": outcome.document.to_json() if outcome.document is not None else None,
        }
        path = self._path(sha256, fmt, limits)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as out:
                json.dump(entry, out, ensure_ascii=False)
            os.replace(out.name, path)
        except (OSError, TypeError, ValueError):
            # A cache that cannot be written only costs time.
            try:
                os.unlink(out.name)
            except (OSError, NameError, UnboundLocalError):
                pass
