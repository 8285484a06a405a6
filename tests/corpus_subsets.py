"""Subsets of the labelled corpus used to report the figures of one stage
independently of another (shared by tests and benchmarks)."""

from __future__ import annotations

from typing import Any

from bilan.evaluate import Truth

#: Files that hold no text in their own right (logos, photos): they do not make a message unread.
PICTURE_FORMATS = {"png", "jpg", "gif", "tiff"}


def parsed_today(export: dict[str, Any]) -> set[str]:
    """Message-IDs of the exported messages whose every file was parsed (no
    `unsupported`, `scanned`, `encrypted`… status), pictures aside."""
    return {
        message["message_id"]
        for message in export.get("messages", [])
        if all(a["parseable"] or a["format"] in PICTURE_FORMATS for a in message.get("attachments", []))
    }


def restrict(truth: Truth, message_ids: set[str]) -> Truth:
    return Truth(messages=[m for m in truth.messages if m["message_id"] in message_ids], departments=truth.departments)
