"""Text normalisation shared by the matchers: accents, hyphens, apostrophes
and spaces are folded so that `Côtes-d’Armor`, `COTES D'ARMOR` and
`Cotes d Armor` compare equal."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_'’`´/]+")


def fold(text: str) -> str:
    """Lower case, no accents, separators collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", ascii_only.lower()).strip()


def fold_keep_case(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", ascii_only).strip()


def strip_accents(text: str) -> str:
    """Lower case and no accents, punctuation kept (`03/2016` stays a date)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
