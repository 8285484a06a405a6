"""Parsers: from bytes to the `Document` model.

A parser knows one format and nothing about the database or the NLP stage.
`parse_message` is the entry point for a whole e-mail; `parse_file` for one
file whose format is sniffed from its bytes.
"""

from bilan.parsers.document import Block, BlockKind, Document, ParseStatus, Provenance
from bilan.parsers.message import ParsedAttachment, ParsedMessage, parse_message

__all__ = [
    "Block",
    "BlockKind",
    "Document",
    "ParseStatus",
    "ParsedAttachment",
    "ParsedMessage",
    "Provenance",
    "parse_message",
]
