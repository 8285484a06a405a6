"""ZIP archives: a container whose members become child files.

Members are read with their declared sizes checked first (`safety.check_zip`),
so that a ZIP bomb is refused before it is expanded; folders in member names
are dropped, so that `../../etc/passwd` is only ever a name.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from bilan.parsers.document import Document, EmbeddedFile, ParseError, ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.safety import check_zip


def parse_zip(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ParseError(ParseStatus.CORRUPT, f"ZIP cannot be read: {exc}") from exc
    document = Document(metadata={"members": 0})
    with archive:
        check_zip(archive, limits)
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ParseError(ParseStatus.ENCRYPTED, f"ZIP member {info.filename!r} is password-protected")
            try:
                content = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
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
