"""ZIP archives: a container whose members become child files.

Members are read with their declared sizes checked first, so that a ZIP bomb
is refused before it is expanded.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from bilan.parsers.document import Document, EmbeddedFile, ParseError, ParseStatus
from bilan.parsers.limits import Limits


def parse_zip(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"ZIP cannot be read: {exc}") from exc
    document = Document(metadata={"members": 0})
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > limits.max_parts:
            raise ParseError(ParseStatus.TOO_LARGE, f"ZIP holds {len(members)} files (limit {limits.max_parts})")
        total = 0
        for info in members:
            if info.flag_bits & 0x1:
                raise ParseError(ParseStatus.ENCRYPTED, f"ZIP member {info.filename!r} is password-protected")
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_zip_ratio:
                raise ParseError(
                    ParseStatus.TOO_LARGE,
                    f"ZIP member {info.filename!r} expands {ratio:.0f} times (limit {limits.max_zip_ratio}): a ZIP bomb?",
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise ParseError(ParseStatus.TOO_LARGE, "ZIP expands beyond the per-message size limit")
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ParseError(ParseStatus.CORRUPT, f"ZIP member {info.filename!r} is damaged: {exc}") from exc
            document.files.append(EmbeddedFile(filename=member_name(info), data=content))
        document.metadata["members"] = len(document.files)
    return document


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's own name, without any folder: a name such as `../../etc/passwd`
    must never become a path. Names stored in CP437 by old Windows tools are
    re-decoded as CP850, which is what those tools meant for French accents."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("cp850")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return PurePosixPath(name.replace("\\", "/")).name or "unnamed"
