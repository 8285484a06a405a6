"""Text normalisation shared by the matchers: accents, hyphens, apostrophes
and spaces are folded so that `Côtes-d’Armor`, `COTES D'ARMOR` and
`Cotes d Armor` compare equal."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_'’`´/]+")
#: Texts up to this length are folded once and remembered: cells, headings,
#: lines and single characters are folded over and over by several
#: extractors; whole bodies are not worth keeping.
_CACHED_LENGTH = 256


def fold(text: str) -> str:
    """Lower case, no accents, separators collapsed to one space."""
    if len(text) <= _CACHED_LENGTH:
        return _fold_cached(text)
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", ascii_only.lower()).strip()


_fold_cached = lru_cache(maxsize=1 << 16)(_fold)


def strip_accents(text: str) -> str:
    """Lower case and no accents, punctuation kept (`03/2016` stays a date)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
