"""Legacy Word (.doc) and RTF through LibreOffice headless, converted to DOCX
and then read by the DOCX parser.

Why LibreOffice: it is the one maintained, free reader of Word 97-2003 files
that keeps their structure (headings, lists, tables with merged cells); the
Python alternatives only give flat text (antiword, textract) or are
unmaintained. It runs as a subprocess with its own throw-away profile (so
that conversions never share state or lock each other), in the parser
worker's process group, so that the worker's time limit kills it too.
Debian package: `libreoffice-writer-nogui`.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bilan.parsers.document import ParseError, ParseStatus


@functools.cache
def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, suffix: str, timeout: float) -> bytes:
    """Convert a .doc or .rtf file to DOCX bytes; ParseError if it cannot be."""
    soffice = soffice_path()
    if soffice is None:
        raise ParseError(ParseStatus.UNSUPPORTED, f"reading {suffix} files needs LibreOffice, which is not installed")
    with tempfile.TemporaryDirectory(prefix="bilan-soffice-") as folder:
        work = Path(folder)
        source = work / f"document{suffix}"
        source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", "docx:MS Word 2007 XML",
            "--outdir", str(work / "out"),
            str(source),
        ]
        try:
            completed = subprocess.run(
                command, capture_output=True, timeout=timeout, env={**os.environ, "HOME": str(work)}, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ParseError(ParseStatus.TIMEOUT, f"LibreOffice took more than {timeout:.0f} s to convert the file") from exc
        target = work / "out" / "document.docx"
        if not target.is_file():
            message = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip().splitlines()
            detail = message[-1] if message else f"exit code {completed.returncode}"
            raise ParseError(ParseStatus.CORRUPT, f"LibreOffice could not read the file: {detail}")
        return target.read_bytes()
