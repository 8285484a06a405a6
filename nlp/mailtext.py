"""The parts of an e-mail body that say something about its sender: the text
they wrote (not the history they quote) and their signature block."""

from __future__ import annotations

import re

from bilan.nlp.text import fold
from bilan.parsers.message import Envelope

#: Lines where quoted history starts (Outlook, Thunderbird, Gmail, Zimbra, in French and English).
_HISTORY = re.compile(
    r"^\s*(?:-{2,}\s*(?:message d.origine|original message|message transf[eé]r[eé]|forwarded message)\s*-{2,}"
    r"|de\s*:\s.+|from\s*:\s.+|le .{5,80} a [eé]crit\s*:|on .{5,80} wrote\s*:|>.*)\s*$",
    re.IGNORECASE,
)
#: Closing formulas after which the signature comes.
_CLOSINGS = (
    "cordialement", "bien cordialement", "tres cordialement", "bien a vous", "salutations", "avec mes salutations",
    "avec nos salutations", "sincerement", "merci par avance", "avec mes remerciements", "avec nos excuses",
    "respectueusement", "bonne journee", "bien a toi", "amities",
)
_ADDRESS = re.compile(r"<?([\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)>?")


def own_text(text: str) -> str:
    """The text the sender wrote: everything before the quoted history."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index > 0 and _HISTORY.match(line):
            return "\n".join(lines[:index])
    return text


def signature_block(text: str, max_lines: int = 10) -> str:
    """The lines after the last closing formula ("Cordialement,"), or the
    last lines of the text when there is none."""
    lines = [line.strip() for line in own_text(text).splitlines() if line.strip()]
    for index in range(len(lines) - 1, -1, -1):
        folded = fold(lines[index]).rstrip(" ,.!")
        if folded.startswith(_CLOSINGS) and len(folded) < 60:
            rest = lines[index + 1 :]
            if rest:
                return "\n".join(rest[:max_lines])
            # "Cordialement, Marion Michel" on one line
            tail = re.split(r"[,.!]", lines[index], maxsplit=1)[-1].strip()
            return tail
        if folded == "--" or folded == "-- ":
            return "\n".join(lines[index + 1 : index + 1 + max_lines])
    return "\n".join(lines[-max_lines:])


def sender_address(envelope: Envelope) -> str | None:
    """The sender's address, even when a malformed From header defeated the
    parser (an unquoted "(Sous-préfet...)" comment folded over two lines):
    then the address in angle brackets, or the Return-Path."""
    if envelope.sender_address:
        return envelope.sender_address.lower()
    for header in ("from", "sender", "reply-to", "return-path"):
        match = _ADDRESS.search(envelope.headers.get(header, ""))
        if match:
            return match.group(1).lower()
    return None


def sender_display_name(envelope: Envelope) -> str:
    if envelope.sender_name:
        return envelope.sender_name
    raw = envelope.headers.get("from", "")
    return _ADDRESS.sub("", raw).strip(' "')
