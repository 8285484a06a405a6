"""A hyphen at a line end: a word cut by hyphenation, or a compound that broke
at its own hyphen?

French writes many compounds with a hyphen (porte-parole, sous-préfecture,
rendez-vous, co-construction), and a line that breaks inside one ends on that
hyphen just as a word cut by hyphenation does (dé-marche, participa-tives).
The hyphen is removed only where the joined word is a real word, at least as
common as the rarer of its two halves less a margin: "démarche" is common
while "porteparole" and "souspréfecture" are not words, and "bien-être" stays
whole because "bienêtre", a misspelling, is far rarer than "bien" and
"être". Word frequencies are wordfreq's French list (Wikipedia, subtitles,
news, books and web text). A soft hyphen (U+00AD) only says where a word may
be cut: it is never text, and a line ending on one continues the word.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
import unicodedata
from array import array
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

SOFT_HYPHEN = "\u00ad"
#: A joined word rarer than this (Zipf scale: 2.0 is once per 10 million
#: words) is not taken for a word: the web text behind the list has typos.
MIN_ZIPF = 2.0
#: How much rarer than the rarer half the joined word may be and still be one
#: word ("sur-tout" is "surtout", "contre-partie" stays as written).
HALF_MARGIN = 1.5
_LAST_WORD = re.compile(r"(\w+)-$")
_FIRST_WORD = re.compile(r"^\w+")


def join_lines(text: str, line: str) -> str:
    """`line` appended to the paragraph `text` as a reader reads it: after a
    soft hyphen the word goes on; after a hyphen that cut a word the halves
    are joined; after a compound's hyphen the hyphen stays and the space goes;
    otherwise a space."""
    if not text:
        return line
    if text.endswith(SOFT_HYPHEN):
        return text[:-1] + line
    if text.endswith("-") and not text.endswith(" -") and line[:1].islower():
        left, right = _LAST_WORD.search(text), _FIRST_WORD.match(line)
        if left and right and is_hyphenation(left.group(1), right.group()):
            return text[:-1] + line
        return text + line
    return f"{text} {line}"


def is_hyphenation(left: str, right: str, seen_whole: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether `left` + "-" at a line end + `right` is one word cut in two.
    `seen_whole`: the lower-cased words the same page writes whole (a word
    written whole elsewhere settles it)."""
    if not right[:1].islower():
        return False  # Saint-Denis, Jean-Pierre: a name goes on with a capital
    whole = (left + right).lower()
    if whole in seen_whole:
        return True
    frequency = zipf(whole)
    return frequency >= MIN_ZIPF and frequency >= min(zipf(left.lower()), zipf(right)) - HALF_MARGIN


def zipf(word: str) -> float:
    """How common the French word is, on the Zipf scale (log10 of uses per
    billion words); 0 for a word rarer than `MIN_ZIPF` or unknown."""
    return _lexicon().zipf(unicodedata.normalize("NFC", word))


class _Lexicon:
    """Words sorted in one string, each followed by a tab and its frequency
    (tenths of a Zipf unit, as one character), found by binary search: 2 MB
    for the 100,000 words at or above `MIN_ZIPF` where a dict of them would
    take 12, in each parser process."""

    def __init__(self, entries: list[str]):
        entries.sort()  # the tab sorts before any letter: word order
        self.text = "\n".join(entries)
        self.starts = array("I", accumulate((len(entry) + 1 for entry in entries), initial=0))

    def __len__(self) -> int:
        return len(self.starts) - 1

    def _entry(self, index: int) -> str:
        return self.text[self.starts[index] : self.starts[index + 1] - 1]

    def zipf(self, word: str) -> float:
        key = word + "\t"
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self._entry(middle) < key:
                low = middle + 1
            else:
                high = middle
        if low < len(self):
            entry = self._entry(low)
            if entry.startswith(key):
                return ord(entry[-1]) / 10
        return 0.0


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """wordfreq's French list, read bucket by bucket (a bucket holds the
    words of one frequency, a centibel apart, most frequent first) and only
    down to `MIN_ZIPF`, without importing wordfreq (its tokenisers are not
    needed here). Only words of letters are kept."""
    import msgpack

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or not spec.submodule_search_locations:
        return _Lexicon([])  # not installed: only the words a page writes whole decide
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "large_fr.msgpack.gz"
    entries: list[str] = []
    with gzip.open(path, "rb") as handle:
        unpacker = msgpack.Unpacker(handle, raw=False)
        buckets = unpacker.read_array_header() - 1
        unpacker.skip()  # the header: {"format": "cB", "version": 1}
        for index in range(buckets):
            value = 9 - index / 100  # bucket i: a frequency of 10^(-i/100)
            if value < MIN_ZIPF:
                break
            tenths = round(value * 10)
            entries.extend(f"{word}\t{chr(tenths)}" for word in unpacker.unpack() if word.isalpha())
    return _Lexicon(entries)
