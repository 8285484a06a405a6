"""Walk an e-mail: its envelope, its body and every file it carries.

Files found inside containers (ZIP archives, attached messages) are listed
too, each pointing to its parent, so that the warehouse keeps the tree and the
export can say which file was `inside` which.
"""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from bilan.parsers.authentication import SenderAuthentication, read_authentication
from bilan.parsers.cache import ParseCache
from bilan.parsers.charset import decode_header_text, decode_text
from bilan.parsers.delivery_report import reported_message_id
from bilan.parsers.document import Document, EmbeddedFile, ParseError, ParseStatus
from bilan.parsers.header_block import bound_header_block
from bilan.parsers.headers import LENIENT, LENIENT_SMTP, unreadable_headers
from bilan.parsers.images import image_facts, is_small
from bilan.parsers.limits import Limits
from bilan.parsers.pool import ParseJob, ParserPool, default_pool
from bilan.parsers.registry import IMAGE_FORMATS, ParseOutcome
from bilan.parsers.sniff import sniff_format
from bilan.parsers.text import parse_html, parse_text

#: Parts of a delivery or read report: machine-readable, not attachments.
_REPORT_PARTS = {
    "message/delivery-status",
    "message/disposition-notification",
    "text/rfc822-headers",
    "message/feedback-report",
}


@dataclass
class Envelope:
    """What the headers say. Times are UTC; `received_at` is the receiving
    server's clock (topmost Received header), `date` the sender's."""

    message_id: str | None
    sender_address: str | None
    sender_name: str | None
    subject: str
    date: dt.datetime | None
    received_at: dt.datetime | None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    content_type: str = "text/plain"
    report_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: For a delivery or read report: the Message-ID of the message it is about.
    reported_message_id: str | None = None
    #: The receiving server's DKIM/SPF/DMARC/ARC verdicts (None: no readable
    #: `Authentication-Results`).
    authentication: SenderAuthentication | None = None
    #: Headers the e-mail parser could not read, kept as written (lower-case names).
    unreadable_headers: list[str] = field(default_factory=list)

    @classmethod
    def unread(cls) -> Envelope:
        """For a message whose headers could not be read at all: it is archived all the same."""
        return cls(message_id=None, sender_address=None, sender_name=None, subject="", date=None,
                   received_at=None, unreadable_headers=["*"])  # fmt: skip


@dataclass
class ParsedAttachment:
    """One file of a message, at any depth. `index` is its position in the
    message's flat list, `parent` the index of its container (or None)."""

    index: int
    parent: int | None
    filename: str
    content_type: str
    format: str
    size: int
    sha256: str
    inline: bool
    status: ParseStatus
    error: str | None = None
    document: Document | None = None
    content_id: str | None = None
    #: Seconds the parser took (0 when the result came from the cache).
    parse_seconds: float = 0.0


@dataclass
class ParsedMessage:
    envelope: Envelope
    body: Document
    attachments: list[ParsedAttachment] = field(default_factory=list)
    #: Limits the message itself hit (its headers, its body), one sentence
    #: each; those of its files are on the files (`ParsedAttachment.error`).
    limits_hit: list[str] = field(default_factory=list)

    def documents(self) -> list[tuple[ParsedAttachment | None, Document]]:
        """The body, then every parsed file, for the extraction stage."""
        pairs: list[tuple[ParsedAttachment | None, Document]] = [(None, self.body)]
        pairs.extend((a, a.document) for a in self.attachments if a.document is not None)
        return pairs


def parse_message(
    raw: bytes,
    limits: Limits = Limits(),
    *,
    pool: ParserPool | None = None,
    cache: ParseCache | None = None,
) -> ParsedMessage:
    """Read a whole e-mail. The files it carries are parsed by `pool` (the
    process's default pool of worker processes when none is given), side by side,
    through `cache` when one is given."""
    raw, limits_hit = bound_header_block(raw, limits)  # before the header parser, whose cost it bounds
    message = email.message_from_bytes(raw, policy=LENIENT)
    envelope = read_envelope(message)
    envelope.reported_message_id = reported_message_id(message)
    envelope.authentication = read_authentication(message)
    body, files = split_message(message, limits=limits)
    limits_hit += [body.reason] if body.reason else []
    parsed = ParsedMessage(envelope=envelope, body=body, limits_hit=limits_hit)
    walker = _FileWalker(limits, pool if pool is not None else default_pool(), cache)
    parsed.attachments = walker.walk(files)
    return parsed


@dataclass
class _Node:
    """A file while the message is being walked; it becomes a ParsedAttachment."""

    file: EmbeddedFile
    attachment: ParsedAttachment
    depth: int
    #: How many files, and how many bytes, the message holds up to this one.
    ordinal: int = 0
    bytes_so_far: int = 0
    children: list[_Node] = field(default_factory=list)


class _FileWalker:
    """Parses a message's files level by level: all files of one level go to
    the worker pool together (so that they are parsed side by side), then the
    files found inside the containers of that level, and so on. The flat list
    comes out depth-first, each container followed by its contents."""

    def __init__(self, limits: Limits, pool: ParserPool, cache: ParseCache | None):
        self.limits = limits
        self.pool = pool
        self.cache = cache
        self.parts = 0
        self.total_bytes = 0
        #: Outcomes of this message's files by (sha256, format): a file found
        #: again deeper down (the annex also inside the ZIP) is not parsed again.
        self.outcomes: dict[tuple[str, str], ParseOutcome] = {}

    def walk(self, files: list[EmbeddedFile]) -> list[ParsedAttachment]:
        roots = [self._node(f, depth=0) for f in files]
        level = roots
        while level:
            to_parse = [node for node in level if self._admit(node)]
            for node, outcome in zip(to_parse, self._parse(to_parse)):
                node.attachment.status = outcome.status
                node.attachment.error = outcome.reason
                node.attachment.document = outcome.document
                node.attachment.parse_seconds = outcome.seconds
            level = []
            for node in to_parse:
                document = node.attachment.document
                if document is not None and document.files:
                    node.children = [self._node(child, node.depth + 1) for child in document.files]
                    document.files = []  # the bytes now live in the children
                    level.extend(node.children)
        attachments: list[ParsedAttachment] = []

        def flatten(node: _Node, parent: int | None) -> None:
            node.attachment.index = len(attachments)
            node.attachment.parent = parent
            attachments.append(node.attachment)
            for child in node.children:
                flatten(child, node.attachment.index)

        for root in roots:
            flatten(root, None)
        return attachments

    def _node(self, embedded: EmbeddedFile, depth: int) -> _Node:
        data = embedded.data
        self.parts += 1
        self.total_bytes += len(data)
        attachment = ParsedAttachment(
            index=-1,
            parent=None,
            filename=embedded.filename,
            content_type=embedded.content_type,
            format=sniff_format(data, embedded.filename, embedded.content_type),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            inline=embedded.inline,
            content_id=embedded.content_id,
            status=ParseStatus.OK,
        )
        return _Node(embedded, attachment, depth, ordinal=self.parts, bytes_so_far=self.total_bytes)

    def _admit(self, node: _Node) -> bool:
        """Apply the limits that need no parsing; False when the file is settled without a parser."""
        attachment, limits = node.attachment, self.limits
        if attachment.size > limits.max_file_bytes:
            attachment.status = ParseStatus.TOO_LARGE
            attachment.error = (
                f"file is {attachment.size / 1e6:.1f} MB, above the {limits.max_file_bytes / 1e6:.0f} MB limit"
            )
        elif node.ordinal > limits.max_parts or node.bytes_so_far > limits.max_total_bytes:
            attachment.status = ParseStatus.TOO_LARGE
            attachment.error = "message exceeds its limit of parts or total size; file not parsed"
        elif node.depth > limits.max_depth:
            attachment.status = ParseStatus.TOO_LARGE
            attachment.error = f"nested more than {limits.max_depth} containers deep"
        elif attachment.format in IMAGE_FORMATS and (node.file.inline or node.file.referenced_in_body):
            attachment.document = _picture_in_body(node.file, attachment.format)
        else:
            return True
        return False

    def _parse(self, nodes: list[_Node]) -> list[ParseOutcome]:
        """Outcomes for the nodes: from the cache, from an identical file of
        the same message, or from the pool, in that order."""
        outcomes = self.outcomes
        jobs: list[ParseJob] = []
        keys: list[tuple[str, str]] = []
        reused = {key for key in outcomes}
        for node in nodes:
            key = (node.attachment.sha256, node.attachment.format)
            if key in outcomes or key in keys:
                continue
            cached = self.cache.get(*key, self.limits) if self.cache is not None else None
            if cached is not None:
                outcomes[key] = cached
                continue
            keys.append(key)
            jobs.append(ParseJob(node.file.data, node.file.filename, node.attachment.format, self.limits))
        for key, outcome in zip(keys, self.pool.parse_many(jobs)):
            outcomes[key] = outcome
            if self.cache is not None:
                self.cache.put(*key, self.limits, outcome)
        results: list[ParseOutcome] = []
        for node in nodes:
            key = (node.attachment.sha256, node.attachment.format)
            # A second copy of the same file gets its own document (readers may annotate it).
            results.append(copy.deepcopy(outcomes[key]) if key in reused else outcomes[key])
            reused.add(key)
        return results


def _picture_in_body(file: EmbeddedFile, fmt: str) -> Document:
    """A picture shown in the body (a signature logo, a pasted image): not a
    document, but described for whoever decides its role."""
    metadata: dict = {"image": fmt, "inline": file.inline, "referenced_in_body": file.referenced_in_body}
    try:
        facts = image_facts(file.data)
        metadata.update(width=facts["width"], height=facts["height"], small=is_small(facts))
    except ParseError:
        metadata["unreadable"] = True
    return Document(metadata=metadata)


def parse_attached_message(data: bytes, filename: str, limits: Limits = Limits()) -> Document:
    """A forwarded message (`message/rfc822`, `.eml`): its body as blocks, its files as children."""
    data, limits_hit = bound_header_block(data, limits)
    message = email.message_from_bytes(data, policy=LENIENT)
    body, files = split_message(message, filename=filename, limits=limits)
    body.reason = "; ".join(filter(None, [*limits_hit, body.reason])) or None
    envelope = read_envelope(message)
    body.metadata.update(
        {"subject": envelope.subject, "from": envelope.sender_address, "message_id": envelope.message_id}
    )
    body.files = files
    return body


def split_message(
    message: EmailMessage, filename: str = "body", limits: Limits = Limits()
) -> tuple[Document, list[EmbeddedFile]]:
    """Separate the readable body (plain text preferred over HTML) from the
    files. The body is read within `limits` (HTML size and depth, characters
    kept), which its `reason` names when one was hit."""
    plain: list[EmailMessage] = []
    html: list[EmailMessage] = []
    files: list[EmbeddedFile] = []
    repaired: list[str] = []
    _collect(message, plain, html, files, repaired)
    if plain:
        document = _body(plain, lambda part, budget: parse_text(_payload(part), filename, part.get_content_charset(),
                                                                 max_chars=budget), limits)  # fmt: skip
    elif html:
        document = _body(html, lambda part, budget: parse_html(_payload(part), filename, part.get_content_charset(),
                                                                limits=limits, max_chars=budget), limits)  # fmt: skip
        document.metadata["html"] = True
    else:
        document = Document()
    if repaired:
        document.metadata["mime_repaired"] = repaired
    referenced = _content_ids_in(html)
    for file in files:
        file.referenced_in_body = file.content_id is not None and file.content_id.lower() in referenced
    return document, files


def _body(parts: list[EmailMessage], read, limits: Limits) -> Document:
    """The body parts read one after the other, within `max_body_chars` in all;
    the reasons of the limits they hit joined on the document."""
    document = Document()
    reasons: list[str] = []
    budget = limits.max_body_chars
    for part in parts:
        if budget <= 0:
            reasons.append(f"body over the limit of {limits.max_body_chars:,} characters: later parts not read")
            break
        read_part = read(part, budget)
        document.blocks.extend(read_part.blocks)
        budget -= sum(len(block.text) for block in read_part.blocks)
        reasons += [read_part.reason] if read_part.reason else []
    document.reason = "; ".join(dict.fromkeys(reasons)) or None
    return document


_CID = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)


def _content_ids_in(parts: list[EmailMessage]) -> set[str]:
    """Content-IDs the HTML body shows (`<img src="cid:...">`): pictures of the body, not documents."""
    found: set[str] = set()
    for part in parts:
        text = decode_text(_payload(part), part.get_content_charset())
        found.update(cid.strip("<>").lower() for cid in _CID.findall(text))
    return found


def _collect(
    part: EmailMessage, plain: list, html: list, files: list[EmbeddedFile], repaired: list[str] | None = None
) -> None:
    content_type = part.get_content_type()
    if content_type.startswith("multipart/") and not part.is_multipart():
        rebuilt = _with_boundary_found(part)
        if rebuilt is not None:
            if repaired is not None:
                repaired.append(f"{content_type}: declared boundary absent, parts split on the one found")
            part = rebuilt
        else:
            _collect_partless(part, plain, repaired)
            return
    if content_type == "message/rfc822":
        attached = part.get_payload()
        inner = attached[0] if isinstance(attached, list) else attached
        data = inner.as_bytes(policy=LENIENT_SMTP) if hasattr(inner, "as_bytes") else bytes(inner)
        name = _filename(part) or f"{_decoded(inner, 'subject') or 'message'}.eml"
        files.append(EmbeddedFile(filename=name, data=data, content_type=content_type))
        return
    if part.is_multipart():
        for child in part.iter_parts():
            _collect(child, plain, html, files, repaired)
        return
    if content_type in _REPORT_PARTS:
        return
    name = _filename(part)
    disposition = part.get_content_disposition()
    if name is None and disposition != "attachment" and content_type in ("text/plain", "text/html"):
        (plain if content_type == "text/plain" else html).append(part)
        return
    data = _payload(part)
    files.append(
        EmbeddedFile(
            filename=name or _default_name(content_type, len(files)),
            data=data,
            content_type=content_type,
            inline=disposition == "inline" or (disposition is None and part.get("Content-ID") is not None),
            content_id=(part.get("Content-ID") or "").strip("<> ") or None,
        )
    )


def _collect_partless(part: EmailMessage, plain: list, repaired: list[str] | None) -> None:
    """A multipart part without any part in it (a client that declared one
    and wrote none, a nested part that reuses its parent's boundary) is no
    file: when blank it holds nothing; otherwise its text is read as body
    text, as mail readers show it."""
    if not _payload(part).strip():
        return
    plain.append(part)
    if repaired is not None:
        repaired.append(f"{part.get_content_type()} without parts: its text read as the body")


#: A delimiter line of a multipart body (RFC 2046: up to 70 characters).
_DELIMITER = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-][0-9A-Za-z'()+_,./:=? -]{0,69})\r?$", re.MULTILINE)


def _with_boundary_found(part: EmailMessage) -> EmailMessage | None:
    """A multipart part whose declared boundary is nowhere in its body (a
    client that rewrote one but not the other) keeps its parts behind another
    delimiter: the one that opens a line followed by part headers, and closes
    the body with `--`. The part is parsed again with that boundary, as
    mail readers do; None when no such delimiter is found."""
    body = part.get_payload()
    if not isinstance(body, str):
        return None
    data = body.encode("utf-8", "surrogateescape")
    counts: dict[bytes, int] = {}
    for match in _DELIMITER.finditer(data):
        candidate = match.group(1).rstrip()
        following = data[match.end() : match.end() + 200].lstrip(b"\r\n")
        if re.match(rb"[A-Za-z-]+:", following):
            counts[candidate] = counts.get(candidate, 0) + 1
    if not counts:
        return None
    boundary = max(counts, key=counts.get)
    header = f"Content-Type: {part.get_content_type()}; boundary=\"{boundary.decode('ascii', 'replace')}\"\r\n\r\n"
    rebuilt = email.message_from_bytes(header.encode("ascii") + data, policy=email.policy.default)
    return rebuilt if rebuilt.is_multipart() else None


def _payload(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: EmailMessage) -> str | None:
    """The decoded file name, without any folder part. RFC 2231 names
    (`filename*=`) are the email package's; other names are read from the
    raw header, leniently, as mail readers do: an encoded word left unquoted
    (`filename==?utf-8?B?...?=`), spaces left unquoted (`name=a b.txt`),
    8-bit bytes of an undeclared charset."""
    raw = _raw_filename(part)
    if raw is not None:
        name = decode_header_text(raw)
    else:
        try:
            name = part.get_filename()
        except (ValueError, TypeError, LookupError, IndexError):
            name = None
    if not name:
        return None
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip() or None


_NAME_PARAMETER = re.compile(
    r"""(?:^|;)\s*(filename|name)(\*)?\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)""", re.IGNORECASE
)


def _raw_filename(part: EmailMessage) -> str | None:
    """The `filename` (else `name`) parameter as written, or None when it is
    absent or written the RFC 2231 way."""
    for header in ("content-disposition", "content-type"):
        value = raw_header(part, header)
        if value is None:
            continue
        for match in _NAME_PARAMETER.finditer(" ".join(value.split())):
            if match.group(2):
                return None  # filename*=: the email package reads RFC 2231
            quoted = match.group(3).strip()
            if quoted.startswith('"'):
                # Only \" and \\ are escapes: Windows paths keep their backslashes as folders.
                quoted = re.sub(r'\\(["\\])', r"\1", quoted[1:].removesuffix('"'))
            if quoted.strip():
                return quoted.strip()
    return None


def raw_header(message: EmailMessage, name: str) -> str | None:
    """The first value of a header as received (8-bit bytes as surrogates)."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def _default_name(content_type: str, position: int) -> str:
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "text/plain": "txt",
                 "text/html": "html"}.get(content_type, "bin")
    return f"part-{position + 1}.{extension}"


def _decoded(message: EmailMessage, name: str) -> str:
    raw = raw_header(message, name)
    if raw is not None and (not raw.isascii() or "=?" in raw):
        return " ".join(decode_header_text(raw).split())
    try:
        value = message.get(name)
    except (ValueError, TypeError, LookupError, IndexError):
        value = message.get_all(name, failobj=[None])[0] if hasattr(message, "get_all") else None
    return " ".join(str(value).split()) if value is not None else ""


def read_envelope(message: EmailMessage) -> Envelope:
    sender_name, sender_address = _address(message, "from")
    content_type = message.get_content_type()
    return Envelope(
        message_id=_decoded(message, "message-id") or None,
        sender_address=sender_address,
        sender_name=sender_name,
        subject=_decoded(message, "subject"),
        date=_parse_date(_decoded(message, "date")),
        received_at=topmost_received_time(message),
        to=[a for _, a in _addresses(message, "to")],
        cc=[a for _, a in _addresses(message, "cc")],
        in_reply_to=_decoded(message, "in-reply-to") or None,
        references=_decoded(message, "references").split(),
        content_type=content_type,
        report_type=message.get_param("report-type") if content_type == "multipart/report" else None,
        headers={k.lower(): _decoded(message, k) for k in set(message.keys())},
        unreadable_headers=unreadable_headers(message),
    )


def topmost_received_time(message: EmailMessage) -> dt.datetime | None:
    """The receiving server's timestamp: after the last `;` of the first Received header."""
    received = message.get_all("received") or []
    if not received:
        return None
    stamp = str(received[0]).rsplit(";", 1)[-1]
    return _parse_date(stamp)


def _parse_date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(" ".join(value.split()))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": time is UTC but the zone is unknown
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _address(message: EmailMessage, name: str) -> tuple[str | None, str | None]:
    addresses = _addresses(message, name)
    return addresses[0] if addresses else (None, None)


def _addresses(message: EmailMessage, name: str) -> list[tuple[str | None, str]]:
    values = [str(v) for v in message.get_all(name) or []]
    try:
        values = [_address_header(message, name, v) for v in message.get_all(name) or []]
        pairs = email.utils.getaddresses(values)
    except Exception:  # RecursionError on deeply nested comments, IndexError...
        pairs = [("", address) for value in values for address in _ADDRESS.findall(value)]
    return [(_display_name(n), a.lower()) for n, a in pairs if a and "@" in a]


def _address_header(message: EmailMessage, name: str, parsed) -> str:
    """An address header as text; raw 8-bit names are decoded here, encoded
    words are kept for `_display_name` (a decoded comma would split a name)."""
    raw = raw_header(message, name)
    if raw is not None and not raw.isascii():
        return decode_text(raw.encode("utf-8", "surrogateescape"))
    return str(parsed)


def _display_name(name: str) -> str | None:
    return " ".join(decode_header_text(name).split()) or None if name else None


#: What an address looks like, for a header the address parser cannot read.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


__all__ = [
    "Envelope",
    "ParsedAttachment",
    "ParsedMessage",
    "ParseStatus",
    "parse_attached_message",
    "parse_message",
    "read_envelope",
]
