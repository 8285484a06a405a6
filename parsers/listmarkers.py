"""What a list marker looks like, by its shape rather than by a list of glyphs:
a bullet (any pictographic symbol, arrow, geometric shape, check mark or
private-use glyph of a symbol font), a dash (any Unicode dash punctuation), or
an enumerator ("1)", "a)", "iv.", "(2)"). Authors and converters use many
glyphs; a list copied from one sample would miss the next author's."""

from __future__ import annotations

import re
import unicodedata

#: Symbol categories whose members can stand for a bullet: other symbols
#: (■ ✓ ➢ ☐), math symbols (→ ⇒ ∙) and private use (Wingdings bullets).
_SYMBOL_CATEGORIES = ("So", "Sm", "Co")
#: Mathematical operators (≤ ≠ ∑) are read inside sentences, not as bullets.
_OPERATORS = range(0x2200, 0x2300)
_OPERATOR_BULLETS = {"\u2219", "\u2217", "\u22c4", "\u22c5"}  # ∙ ∗ ⋄ ⋅


def is_bullet_glyph(char: str) -> bool:
    """A character that, alone before a text, marks a list item. Below U+2000
    only the middle dot: ASCII and Latin-1 symbols (+ < = © ° ±) are prose."""
    if char == "\u00b7":
        return True
    code = ord(char)
    if code < 0x2000 or (code in _OPERATORS and char not in _OPERATOR_BULLETS):
        return False
    category = unicodedata.category(char)
    if category in _SYMBOL_CATEGORIES:
        return True
    return category == "Po" and "BULLET" in unicodedata.name(char, "")


def is_dash(char: str) -> bool:
    """Any dash ("-", "–", "—", "‒", "⁃") or the minus sign."""
    return unicodedata.category(char) == "Pd" or char == "\u2212"


def _char_class(predicate, ranges: tuple[tuple[int, int], ...]) -> str:
    """A regex class of the characters that satisfy `predicate`, written as
    runs (`a-z`): `re` tests characters above U+FFFF one class member after
    another, so a class of single emoji would cost thousands of comparisons
    per character read."""
    runs: list[list[int]] = []
    for start, end in ranges:
        for code in range(start, end):
            if not predicate(chr(code)):
                continue
            if runs and runs[-1][1] == code - 1:
                runs[-1][1] = code
            else:
                runs.append([code, code])
    members = (re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last))) for first, last in runs)
    return "[" + "".join(members) + "]"


#: The code points searched for marker glyphs: Latin to CJK punctuation, the
#: private use area (Symbol and Wingdings fonts), emoji and pictographs.
MARKER_PLANES = ((0x20, 0x3000), (0xE000, 0xF900), (0x1F000, 0x1FC00))
#: One bullet glyph, or `(cid:N)`, which pdfminer writes for a glyph of a symbol font.
BULLET = r"(?:\(cid:\d+\)|" + _char_class(is_bullet_glyph, MARKER_PLANES) + ")"
#: One dash (a marker only when a space follows it).
DASH = _char_class(is_dash, MARKER_PLANES)
#: "1)", "12.", "a)", "B)", "iv.", "IV)", "(3)", "1°" (French ordinals: primo,
#: secundo), "1 -": the enumerators of an ordered list. One capital and a full
#: stop opens a line as often as an initial ("J. Dupont", "V. Hugo") or "M."
#: (Monsieur), so a line opened by one stays in its paragraph. Numbers have at
#: most three digits: "2021 - " opens a line of prose.
ENUMERATOR = (r"(?:\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]|\(?(?:[A-Z]|[IVX]{1,4})\)|[IVX]{2,4}\.|\d{1,3}°"
              r"|\d{1,3}\s?(?:" + DASH + r"|/)(?=\s)|[a-z]/(?=\s))")
#: An arrow typed on a keyboard: "=>", "->", "-->".
ASCII_ARROW = r"(?:=+|" + DASH + r"+)>"
#: A dash typed against the item's first word ("-Former les membres"): a
#: capital follows it, where a negative number or a word's end would not.
GLUED_DASH = DASH + r"(?=[A-ZÀ-Ý])"
#: Word's second-level bullet is a letter "o" of Courier New: pasted as text,
#: the glyph becomes that letter, which is no French word on its own.
LETTER_BULLET = r"o(?=[ \t])"

#: A line that opens a list item: a marker, then a space. (Not ">": a quoted reply.)
LIST_LINE = re.compile(r"^\s*(?:(?:" + BULLET + r"|" + ASCII_ARROW + r"|" + DASH + r"+|\*|" + ENUMERATOR + r"|"
                       + LETTER_BULLET + r")\s+(?=\S)|" + GLUED_DASH + r")")
