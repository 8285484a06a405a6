"""The document model every parser produces.

A document is an ordered list of blocks. Each block says where it came from
(file, page, sheet, cell range, paragraph index) so that an analyst can go
back to the source of any extracted row or sentence.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

#: A table cell as parsed: text, a number, a boolean, or empty. Dates are ISO
#: strings so that a document can be cached as JSON.
Cell = str | int | float | bool | None


class BlockKind(str, enum.Enum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE = "table"


class ParseStatus(str, enum.Enum):
    """Outcome of parsing one file. Anything but OK is an error kind of the export."""

    OK = "ok"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    SCANNED = "scanned"
    TIMEOUT = "timeout"
    #: Nothing inside (0 bytes, blanks, an empty archive): never a document received.
    EMPTY = "empty"

    @property
    def parseable(self) -> bool:
        return self is ParseStatus.OK


@dataclass(frozen=True)
class Provenance:
    """Where a block was found inside its file."""

    file: str
    page: int | None = None
    sheet: str | None = None
    cell_range: str | None = None
    paragraph: int | None = None
    ocr: bool = False

    def describe(self) -> str:
        parts = [self.file]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet}")
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.cell_range is not None:
            parts.append(self.cell_range)
        if self.paragraph is not None:
            parts.append(f"paragraph {self.paragraph}")
        if self.ocr:
            parts.append("OCR")
        return ", ".join(parts)


@dataclass
class Block:
    """One unit of reading order.

    `level` is the heading level (1 = top) or the list nesting (1 = outermost).
    For a table, `rows` holds every row as found (header rows included), and
    row `i` of a sheet's table is sheet row `first_row + i` of its
    `provenance.cell_range`. `attributes` carries what a reader of the block
    may need without it changing the text: `hidden_rows` / `hidden_columns`
    (sheet row numbers / column letters hidden in the spreadsheet),
    `merged` (cell ranges that were merged), `ocr_confidence` (0-100).
    """

    kind: BlockKind
    provenance: Provenance
    text: str = ""
    level: int = 0
    rows: list[list[Cell]] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def table(cls, rows: list[list[Cell]], provenance: Provenance, **attributes: Any) -> Block:
        text = "\n".join(" | ".join("" if c is None else str(c) for c in row) for row in rows)
        return cls(BlockKind.TABLE, provenance, text=text, rows=rows, attributes=attributes)


@dataclass
class EmbeddedFile:
    """A file found inside a container (ZIP member, attached message part)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    inline: bool = False
    content_id: str | None = None
    #: The HTML body shows it (`cid:` reference): a picture of the body.
    referenced_in_body: bool = False


@dataclass
class Document:
    """What a parser returns: blocks in reading order, plus any embedded files.

    `status` is OK for a normal document. A parser that could read content
    but must still report a problem sets it: an image-only PDF read by OCR is
    `SCANNED` *and* has blocks (marked `ocr=True` in their provenance), since
    what the scan shows is content; `reason` then says why in a sentence.
    """

    blocks: list[Block] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    files: list[EmbeddedFile] = field(default_factory=list)
    status: ParseStatus = ParseStatus.OK
    reason: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks if b.text)

    @property
    def tables(self) -> list[Block]:
        return [b for b in self.blocks if b.kind is BlockKind.TABLE]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form, used by the parse cache (embedded files are not kept)."""
        return {
            "status": self.status.value,
            "reason": self.reason,
            "metadata": self.metadata,
            "blocks": [
                {**asdict(b), "kind": b.kind.value, "provenance": asdict(b.provenance)}
                for b in self.blocks
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        blocks = [
            Block(
                kind=BlockKind(b["kind"]),
                provenance=Provenance(**b["provenance"]),
                text=b["text"],
                level=b["level"],
                rows=b["rows"],
                attributes=b.get("attributes") or {},
            )
            for b in data["blocks"]
        ]
        return cls(
            blocks=blocks,
            metadata=data.get("metadata", {}),
            status=ParseStatus(data.get("status", "ok")),
            reason=data.get("reason"),
        )


class ParseError(Exception):
    """A file could not be parsed; `status` says why in one word, the message in a sentence."""

    def __init__(self, status: ParseStatus, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason
