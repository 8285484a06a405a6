"""The ruled grid of a table in a page image: cells bounded by printed lines.

A spreadsheet or office table printed with borders and then scanned comes back
as words only, and a cell whose text wraps over two or three lines makes
Tesseract cut one row into several text lines that do not line up: the gaps
between words no longer tell the cells apart (`word_tables`). The rules
themselves still do, the way a reader's eye follows them:
- a horizontal rule is a run of dark pixels much longer than any letter's
  stroke; rules one under the other, spanning about the same width, bound the
  rows of one table;
- between the table's top and bottom rules, a column of pixels that is dark
  almost all the way down is a vertical rule: the columns' boundaries.
Each word then goes to the cell that holds its centre. A page without such a
grid (no rules, or rules too short) gives none, and its tables are left to
the words' geometry.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

import numpy as np

#: A pixel darker than this (0-255) is ink.
_INK = 160
#: A horizontal rule is at least this fraction of the page's width long, and
#: runs unbroken over this fraction of it (no letter is that wide).
_RULE_LENGTH = 0.10
_RUN = 0.015
#: Rules of one table span the same width within this fraction of it.
_SAME_SPAN = 0.05
#: A vertical rule is inked over at least this fraction of the table's height
#: (a cell merged across columns, or a faded scan, interrupts it a little).
_VERTICAL_INK = 0.8
#: What a vertical rule next to a word reads as, glued to it ("|04").
_RULE_MARKS = "|¦[]"
#: A "word" of only dots, colons, commas or quotes: in a ruled cell, a
#: rule's broken edge or dust, not text.
_SPECK = re.compile(r"[.:,;'‘’`]+")
#: Words whose tops are closer than this many word heights are on one line.
_SAME_LINE = 0.6
#: A word ending closer than this many word heights (about a letter) to
#: where its cell's text ends fills the line.
_EDGE = 0.8
#: A table has at least this many rows and columns.
MIN_ROWS = 2
MIN_COLUMNS = 2


@dataclass
class Grid:
    """Row and column boundaries of a ruled table, in image pixels, each sorted."""

    ys: list[float]
    xs: list[float]

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the cell holding the point, None outside the grid."""
        row = _slot(self.ys, y)
        column = _slot(self.xs, x)
        return None if row is None or column is None else (row, column)


@dataclass
class BoxWord:
    """A word read in the image, with its box (pixels)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


def find_grids(image) -> list[Grid]:
    """The ruled tables of a greyscale Pillow image, top to bottom."""
    ink = np.asarray(image.convert("L")) < _INK
    width = ink.shape[1]
    rules = _horizontal_rules(ink, width)
    grids = []
    for group in _group_rules(rules, width):
        grid = _grid(ink, group)
        if grid is not None:
            grids.append(grid)
    return grids


def grid_rows(grid: Grid, words: list[BoxWord]) -> tuple[list[list[str | None]], set[int]]:
    """The grid's rows of cell texts from the words whose centre falls in it,
    and the indexes of those words; empty rows (a rule drawn twice) are left out."""
    cells: dict[tuple[int, int], list[BoxWord]] = {}
    used: set[int] = set()
    for index, word in enumerate(words):
        where = grid.cell((word.x0 + word.x1) / 2, (word.top + word.bottom) / 2)
        if where is not None and _SPECK.fullmatch(word.text):
            used.add(index)  # a piece of a rule or of dust read as punctuation
        elif where is not None:
            cells.setdefault(where, []).append(word)
            used.add(index)
    rows = []
    for row in range(len(grid.ys) - 1):
        texts = [
            _cell_text(cells.get((row, column), []), grid.xs[column], grid.xs[column + 1])
            for column in range(len(grid.xs) - 1)
        ]
        if any(texts):
            rows.append(texts)
    return rows, used


def _cell_text(words: list[BoxWord], left: float, right: float) -> str | None:
    """A cell's words in reading order: by visual line, then left to right.
    Words are on one line when their tops are closer than about half a word's
    height (a capital stands a little above a lower-case word); tops, not
    middles, because Tesseract sometimes stretches a word's box down over the
    lines below it. A word cut at the end of a line goes back together
    (`_cut_word`); `left` and `right` are the cell's rules."""
    if not words:
        return None
    height = statistics.median(w.bottom - w.top for w in words)
    lines: list[list[BoxWord]] = []
    for word in sorted(words, key=lambda w: w.top):
        if lines and word.top - lines[-1][0].top < _SAME_LINE * height:
            lines[-1].append(word)
        else:
            lines.append([word])
    # The cell's padding: how far its text stands from its left rule.
    padding = min(w.x0 for w in words) - left
    text = ""
    previous: list[BoxWord] = []
    for line in lines:
        line.sort(key=lambda w: w.x0)
        glue = "" if previous and _cut_word(previous, line[0], right - padding, height) else " "
        text = f"{text}{glue}{' '.join(w.text for w in line)}" if text else " ".join(w.text for w in line)
        previous = line
    return text.strip(_RULE_MARKS + " ") or None


def _cut_word(line: list[BoxWord], following: BoxWord, end: float, height: float) -> bool:
    """Whether the line's last word goes on at the start of the next line: it
    ends on a hyphen (a compound name cut after one of its hyphens), or it
    fills the line alone up to where the cell's text ends (`end`: its right
    rule less its padding) and the next line opens in lower case (a name too
    long for a narrow column, cut where the column ends: "administra" / "tion")."""
    last = line[-1]
    if len(last.text) > 1 and last.text.endswith("-") and last.text[-2].isalpha():
        return True
    reaches = end - last.x1 < _EDGE * height
    return len(line) == 1 and reaches and following.text[:1].islower()


def _slot(bounds: list[float], value: float) -> int | None:
    for index in range(len(bounds) - 1):
        if bounds[index] <= value < bounds[index + 1]:
            return index
    return None


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D array, end exclusive."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _horizontal_rules(ink: np.ndarray, width: int) -> list[tuple[float, int, int]]:
    """(y, x start, x end) of each horizontal rule: rows of pixels holding a
    long unbroken run of ink, neighbouring rows (a thick rule) merged."""
    run = max(int(_RUN * width), 8)
    sums = np.cumsum(np.pad(ink, ((0, 0), (1, 0))).astype(np.int32), axis=1)
    solid = (sums[:, run:] - sums[:, :-run]) == run  # a run of `run` inked pixels starts here
    ruled = solid.sum(axis=1) >= _RULE_LENGTH * width
    rules: list[tuple[float, int, int]] = []
    for start, end in _runs(ruled):
        columns = np.flatnonzero(solid[start:end].any(axis=0))
        rules.append(((start + end - 1) / 2, int(columns.min()), int(columns.max()) + run))
    return rules


def _group_rules(rules: list[tuple[float, int, int]], width: int) -> list[list[tuple[float, int, int]]]:
    """Consecutive rules spanning the same width: the rows of one table."""
    groups: list[list[tuple[float, int, int]]] = []
    for rule in rules:
        if groups:
            first = groups[-1][0]
            if abs(first[1] - rule[1]) <= _SAME_SPAN * width and abs(first[2] - rule[2]) <= _SAME_SPAN * width:
                groups[-1].append(rule)
                continue
        groups.append([rule])
    return [group for group in groups if len(group) > MIN_ROWS]


def _grid(ink: np.ndarray, rules: list[tuple[float, int, int]]) -> Grid | None:
    """The grid bounded by a table's horizontal rules, its columns found where
    a column of pixels between the top and bottom rules is inked almost all
    the way down; None when fewer than two columns show."""
    top, bottom = int(rules[0][0]), int(rules[-1][0]) + 1
    left, right = min(rule[1] for rule in rules), max(rule[2] for rule in rules)
    band = ink[top:bottom, max(left - 2, 0) : right + 2]
    inked = band.mean(axis=0) >= _VERTICAL_INK
    xs = [max(left - 2, 0) + (start + end - 1) / 2 for start, end in _runs(inked)]
    if len(xs) < MIN_COLUMNS + 1:
        return None
    return Grid(ys=[rule[0] for rule in rules], xs=xs)
