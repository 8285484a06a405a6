"""Parsers: from bytes to the `Document` model.

A parser knows one format and nothing about the database or the NLP stage.
`parse_message` is the entry point for a whole e-mail; `parse_file` for one
file whose format is sniffed from its bytes.

The names below are imported on first use (PEP 562): importing one light
module of the package (`parsers.pool`'s worker counts, say) must not load
every parser library first, which costs about 0.4 s.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bilan.parsers.document import Block, BlockKind, Document, ParseStatus, Provenance
    from bilan.parsers.message import ParsedAttachment, ParsedMessage, parse_message

#: Each name the package offers, and the module that defines it.
_HOME = {
    "Block": "document",
    "BlockKind": "document",
    "Document": "document",
    "ParseStatus": "document",
    "Provenance": "document",
    "ParsedAttachment": "message",
    "ParsedMessage": "message",
    "parse_message": "message",
}

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


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"bilan.parsers.{home}"), name)
