"""From positioned lines of text to blocks: the reading structure of a page
that only gives lines (PDF text layers, OCR).

A PDF or a scan knows nothing of paragraphs or headings; it only places
lines. Vertical gaps, font sizes, weight and list markers tell them apart the
way a reader's eye does:
- a gap clearly larger than the usual line spacing, or a jump back up the page
  (the next column), starts a new block;
- a short block set larger or bold than the body text is a heading, bigger
  type meaning a higher level;
- a line starting with a bullet or a number starts a list item, and the lines
  under it continue it.
Lines repeated in the top or bottom margin of most pages (running headers,
footers, page numbers) are removed before that.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bilan.parsers.document import Block, BlockKind, Provenance
from bilan.parsers.hyphenation import SOFT_HYPHEN, join_lines
from bilan.parsers.text import LIST_MARKER

#: Top and bottom share of a page where running headers and footers live.
_MARGIN = 0.1
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–]?\s*\d{1,4}\s*(?:(?:/|sur|of)\s*\d{1,4})?\s*[-–]?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;»)]\s*$")


@dataclass
class Line:
    """One line of text on a page; coordinates in page units, y growing downwards."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool = False
    #: Where the line sits in the page's table, if it does (set by the PDF
    #: parser so that a table block takes the place of its cells' text).
    table: int | None = None

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 0.1)


@dataclass
class Page:
    number: int
    height: float
    lines: list[Line]
    #: Tables found on the page (numbered from 0), placed by `Line.table`.
    tables: int = 0


def remove_running_lines(pages: Sequence[Page]) -> int:
    """Drop headers, footers and page numbers from every page; return how many
    lines went. A line counts as running when its text (digits ignored) sits in
    the page margin on at least half of the pages, two at least; when nothing
    else is on the pages, nothing is dropped."""
    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", " ".join(line.text.split()).casefold())

    def in_margin(line: Line, page: Page) -> bool:
        return line.bottom <= page.height * _MARGIN or line.top >= page.height * (1 - _MARGIN)

    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({key(line) for line in page.lines if in_margin(line, page)})
    needed = max(2, (len(pages) + 1) // 2)
    running = {text for text, n in counts.items() if n >= needed}
    kept_by_page = []
    for page in pages:
        kept = []
        for line in page.lines:
            margin = in_margin(line, page) and line.table is None
            if margin and (key(line) in running or (len(pages) > 1 and _PAGE_NUMBER.match(line.text.strip()))):
                continue
            kept.append(line)
        kept_by_page.append(kept)
    if not any(kept_by_page):
        return 0  # nothing but "running" lines: they are the document (a label on every page), not its frame
    removed = 0
    for page, kept in zip(pages, kept_by_page):
        removed += len(page.lines) - len(kept)
        page.lines = kept
    return removed


def body_size(pages: Sequence[Page]) -> float:
    """The size of the running text: the size that covers most characters."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _usual_gap(pages: Sequence[Page], size: float) -> float:
    """The gap between consecutive lines of one paragraph of body text."""
    gaps = []
    for page in pages:
        for previous, line in zip(page.lines, page.lines[1:]):
            if abs(previous.size - size) < 0.5 and abs(line.size - size) < 0.5:
                gap = line.top - previous.bottom
                if -0.5 * size < gap < 2 * size:
                    gaps.append(gap)
    return statistics.median(gaps) if gaps else 0.3 * size


def pages_to_blocks(
    pages: Sequence[Page],
    provenance: Callable[[int, int], Provenance],
    tables: Callable[[int, int], Block] | None = None,
) -> list[Block]:
    """Blocks of all pages in reading order. `provenance(page, index)` gives a
    block's provenance; `tables(page, table)` the block of a table whose cells
    were marked on the lines (`Line.table`), put where its first cell was."""
    size = body_size(pages)
    usual = _usual_gap(pages, size)
    groups: list[tuple[int, list[Line] | int]] = []  # (page, lines) or (page, table number)
    for page in pages:
        current: list[Line] = []
        seen_tables: set[int] = set()
        for line in page.lines:
            if line.table is not None:
                if current:
                    groups.append((page.number, current))
                    current = []
                if line.table not in seen_tables:
                    seen_tables.add(line.table)
                    groups.append((page.number, line.table))
                continue
            if current and _starts_block(current, line, usual):
                groups.append((page.number, current))
                current = []
            current.append(line)
        if current:
            groups.append((page.number, current))
        # A table none of whose cells matched a line still belongs to its page.
        groups.extend((page.number, table) for table in range(page.tables) if table not in seen_tables)

    levels = _heading_levels([g for _, g in groups if isinstance(g, list) and _is_heading(g, size)])
    blocks: list[Block] = []
    per_page: Counter[int] = Counter()
    list_indents: list[float] = []  # x of the markers of the list being read, outermost first
    for number, group in groups:
        index = per_page[number]
        per_page[number] += 1
        if isinstance(group, int):
            list_indents = []
            if tables is not None:
                blocks.append(tables(number, group))
            continue
        text = _join(group)
        where = provenance(number, index)
        if _is_heading(group, size):
            list_indents = []
            blocks.append(Block(BlockKind.HEADING, where, text=text, level=levels[round(group[0].size, 1)]))
        elif LIST_MARKER.match(group[0].text):
            blocks.append(Block(BlockKind.LIST_ITEM, where, text=text, level=_list_level(list_indents, group[0])))
        elif (
            blocks
            and blocks[-1].kind in (BlockKind.PARAGRAPH, BlockKind.LIST_ITEM)
            and blocks[-1].provenance.page != number
            and index == 0
            and not _SENTENCE_END.search(blocks[-1].text)
            and text[:1].islower()
        ):
            blocks[-1].text += " " + text  # a paragraph or item running on from the previous page
        else:
            list_indents = []
            blocks.append(Block(BlockKind.PARAGRAPH, where, text=text))
    return blocks


def _heading_levels(headings: list[list[Line]]) -> dict[float, int]:
    """Bigger type, higher level; sizes within 10% of each other (the same
    style, measured with some noise, as OCR does) share a level."""
    sizes = sorted({round(group[0].size, 1) for group in headings}, reverse=True)
    levels: dict[float, int] = {}
    level, reference = 0, None
    for value in sizes:
        if reference is None or value < reference * 0.9:
            level, reference = level + 1, value
        levels[value] = level
    return levels


def _list_level(indents: list[float], line: Line) -> int:
    """Nesting of a list item within the list being read: deeper when its
    marker stands further right than the previous one, back to an outer level
    when it lines up with it."""
    tolerance = max(line.size * 0.8, 4.0)
    while indents and line.x0 < indents[-1] - tolerance:
        indents.pop()
    if not indents or line.x0 > indents[-1] + tolerance:
        indents.append(line.x0)
    return len(indents)


def _starts_block(current: list[Line], line: Line, usual: float) -> bool:
    previous = current[-1]
    size = min(previous.size, line.size)
    gap = line.top - previous.bottom
    if gap > usual + 0.45 * size or gap < -0.5 * size:
        return True  # a blank line's worth of space, or back up: a new column
    if abs(previous.size - line.size) > 0.12 * size or previous.bold != line.bold:
        return True
    if LIST_MARKER.match(line.text):
        return True
    return False


def _is_heading(lines: list[Line], size: float) -> bool:
    text = _join(lines)
    if len(lines) > 3 or len(text) > 200 or not any(c.isalpha() for c in text):
        return False
    if lines[0].size >= size * 1.15:
        return True
    return lines[0].bold and not text.rstrip().endswith((".", "!", "?", ";", ","))


def _join(lines: list[Line]) -> str:
    text = ""
    for line in lines:
        text = join_lines(text, " ".join(line.text.split()))
    return text.replace(SOFT_HYPHEN, "")
