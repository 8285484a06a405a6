"""Outlook's own formats: a saved message (`.msg`, read with extract-msg) and
the `winmail.dat` that Outlook attaches when it sends "rich text" (TNEF,
read with tnefparse). Both are containers, like a forwarded e-mail: their body
becomes blocks, their attachments child files (an embedded message included).
"""

from __future__ import annotations

import logging
from html import escape as html_escape

from bilan.parsers.charset import decode_text
from bilan.parsers.document import Document, EmbeddedFile, ParseError, ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.text import parse_html, parse_text

# Both libraries log every oddity of the files they read at WARNING level;
# what matters is reported through the parse status instead.
for _name in ("extract_msg", "tnefparse", "RTFDE"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def parse_msg(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    import extract_msg
    from extract_msg.enums import AttachmentType

    try:
        message = extract_msg.openMsg(data, strict=False, delayAttachments=False)
    except Exception as exc:  # the library raises many kinds for damaged files
        raise ParseError(ParseStatus.CORRUPT, f"Outlook message cannot be read: {type(exc).__name__}: {exc}") from exc
    try:
        body = _body(filename, plain=_safe(lambda: message.body), html=_safe(lambda: message.htmlBody))
        body.metadata.update({"subject": _safe(lambda: message.subject), "from": _safe(lambda: message.sender)})
        for position, attachment in enumerate(_safe(lambda: message.attachments) or []):
            name = _safe(lambda: attachment.longFilename) or _safe(lambda: attachment.shortFilename)
            payload = _safe(lambda: attachment.data)
            if _safe(lambda: attachment.type) is AttachmentType.MSG and payload is not None:
                payload = _safe(payload.exportBytes)
                name = f"{name or _safe(lambda: attachment.data.subject) or 'message'}.msg"
            if not isinstance(payload, bytes):
                body.metadata.setdefault("attachments_not_read", []).append(name or f"attachment {position + 1}")
                continue
            body.files.append(
                EmbeddedFile(
                    filename=_plain_name(name, position),
                    data=payload,
                    content_type=_safe(lambda: attachment.mimetype) or "application/octet-stream",
                    inline=bool(_safe(lambda: attachment.hidden)),
                    content_id=_safe(lambda: attachment.cid) or None,
                )
            )
        return body
    finally:
        _safe(message.close)


def parse_tnef(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    from tnefparse import TNEF

    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception as exc:
        raise ParseError(ParseStatus.CORRUPT, f"winmail.dat (TNEF) cannot be read: {type(exc).__name__}: {exc}") from exc
    html = tnef.htmlbody
    rtf = None
    if html is None and tnef.body is None and tnef.has_body():
        rtf = _safe(lambda: tnef.rtfbody)
        html = _rtf_to_html(rtf)
    body = _body(filename, plain=tnef.body, html=html, charset=getattr(tnef, "codepage", None))
    if not body.blocks and isinstance(rtf, bytes) and rtf.strip():
        body = _rtf_body(rtf, filename, limits)
    for position, attachment in enumerate(tnef.attachments):
        name = _safe(attachment.long_filename) or _safe(lambda: attachment.name)
        if getattr(attachment, "embed", None) is not None:
            name = f"{name or 'message'}.dat"  # an attached message: TNEF again
        body.files.append(EmbeddedFile(filename=_plain_name(name, position), data=bytes(attachment.data or b"")))
    return body


def _body(filename: str, plain, html, charset: str | None = None) -> Document:
    """The message text, plain preferred over HTML as for e-mails. Bytes are
    in the message's code page (TNEF's attOemCodepage), read by `decode_text`."""
    if isinstance(plain, bytes):
        plain = decode_text(plain, charset)
    if isinstance(html, bytes):
        html = decode_text(html, charset)
    if isinstance(plain, str) and plain.strip():
        return parse_text(plain.encode("utf-8"), filename, "utf-8")
    if isinstance(html, (bytes, str)) and (html.strip() if isinstance(html, str) else html.strip()):
        document = parse_html(html, filename)
        document.metadata["html"] = True
        return document
    return Document()


def _rtf_to_html(rtf) -> str | None:
    """Outlook stores HTML or plain-text mail inside RTF (`\\fromhtml1`,
    `\\fromtext`); RTFDE (a dependency of extract-msg) unwraps it. None for
    RTF that wraps nothing: that is read as a document (`_rtf_body`)."""
    if not isinstance(rtf, bytes):
        return None
    try:
        from RTFDE.deencapsulate import DeEncapsulator

        unwrapped = DeEncapsulator(rtf)
        unwrapped.deencapsulate()
    except Exception:  # RTFDE raises NotEncapsulatedRtf and parser errors
        return None
    content = getattr(unwrapped, "content", None)
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if not content:
        return None
    if getattr(unwrapped, "content_type", "html") == "text":
        return "<pre>" + html_escape(content) + "</pre>"
    return content


def _rtf_body(rtf: bytes, filename: str, limits: Limits) -> Document:
    """A body held only as RTF of its own: read like an attached .rtf file."""
    from bilan.parsers.wordprocessing import parse_rtf

    try:
        return parse_rtf(rtf, filename, limits)
    except ParseError as exc:
        return Document(metadata={"body_not_read": exc.reason})


def _plain_name(name, position: int) -> str:
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip().strip("\x00")
    return name or f"attachment-{position + 1}.bin"


def _safe(getter):
    """Read one property of a possibly damaged file: None rather than an exception."""
    try:
        return getter()
    except Exception:
        return None
