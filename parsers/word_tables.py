"""Tables rebuilt from where words stand, for pages that only give words (OCR).

A scan has no table structure: Tesseract returns lines of words with their
boxes, and a table row comes back as one line whose cells run together. The
geometry still shows the table the way a reader's eye sees it:
- inside a line, a horizontal gap much wider than a word space, or a vertical
  bar, separates two cells; a line with two such pieces or more may be a
  table row; lines whose cells are only set apart by bars ("Question | Réponse")
  are a table even when their cells do not line up;
- consecutive lines whose pieces start at the same x positions (the columns'
  left edges) form a table, the first of them its header; lines that
  Tesseract read apart but that stand side by side (a table without rules,
  read column by column) are put back on one line first;
- a line whose only pieces sit in some columns and not in the first one, or
  that follows its neighbour closer than rows follow each other, continues the
  row above (a cell's text wrapped over several lines).
The lines of a table are marked (`Line.table`) so that `layout.pages_to_blocks`
puts one table block in their place, as it does for a text PDF's tables. Two
columns of running text (no short header cells) are a two-column page, not a
table: their lines are cut and put back in reading order.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bilan.parsers.layout import Line

#: A gap between two words wider than this many line heights separates two
#: cells (a word space is about a third of a line height).
CELL_GAP = 1.3
#: A line may drift this many line heights from a column's left edge and
#: still be in that column (a centred number, a scanner's skew).
COLUMN_TOLERANCE = 1.2
#: Lines further apart than this many line heights are not in one table.
MAX_ROW_GAP = 3.0
#: A table has at least this many lines with two cells or more.
MIN_ROWS = 2
#: A header cell has at most this many words.
HEADER_WORDS = 6
#: A label cell (a name, a date, a place) has at most this many words; a
#: line of running text in a page's column has more.
SHORT_CELL_WORDS = 3


@dataclass
class Word:
    """One word of a line, in the line's coordinates."""

    text: str
    x0: float
    x1: float
    #: A vertical bar between cells (a table's rule, or a "|" typed as one).
    rule: bool = False


@dataclass
class Piece:
    """Words of one line that stand together: the text of one cell."""

    text: str
    x0: float
    x1: float


def pieces(words: list[Word], height: float) -> list[Piece]:
    """The line cut where two words stand further apart than a word space."""
    result: list[Piece] = []
    after_rule = False
    for word in sorted(words, key=lambda w: w.x0):
        if word.rule:
            after_rule = True
            continue
        if result and not after_rule and word.x0 - result[-1].x1 <= CELL_GAP * height:
            last = result[-1]
            result[-1] = Piece(f"{last.text} {word.text}", last.x0, max(last.x1, word.x1))
        else:
            result.append(Piece(word.text, word.x0, word.x1))
        after_rule = False
    return result


def bar_cells(words: list[Word]) -> list[str] | None:
    """The texts between a line's vertical bars, or None for a line without
    any; a line opening on a bar has an empty first cell."""
    if not any(word.rule for word in words):
        return None
    cells: list[list[str]] = [[]]
    for word in sorted(words, key=lambda w: w.x0):
        if word.rule:
            cells.append([])
        else:
            cells[-1].append(word.text)
    texts = [" ".join(cell) for cell in cells]
    while len(texts) > 1 and not texts[-1]:
        texts.pop()  # a closing bar
    return texts


def _continue_last_cell(rows: list[list[str]], pending: list[str]) -> None:
    """Add the pending lines to the last filled cell of the last row, and clear them."""
    if pending:
        last = max(index for index, text in enumerate(rows[-1]) if text)
        rows[-1][last] = " ".join([rows[-1][last], *pending]).strip()
        pending.clear()


def _bar_tables(lines: list[Line], words: list[list[Word]]) -> list[list[list[str | None]]]:
    """Tables whose cells a vertical bar separates on each line ("Question |
    Réponse"), cells not aligned: consecutive lines with bars, and the lines
    right under them that continue their last cell (a wrapped answer)."""
    tables: list[list[list[str | None]]] = []
    cells = [bar_cells(w) for w in words]
    i = 0
    while i < len(lines):
        if cells[i] is None or len(cells[i]) < 2 or not cells[i][0]:
            i += 1
            continue
        rows: list[list[str]] = []
        pending: list[str] = []  # lines without a bar: a wrapped cell, or the next row's first cell
        end = i
        usual = 0.0  # the gap between its first two lines
        while end < len(lines):
            line_cells = cells[end]
            gap = lines[end].top - lines[end - 1].bottom if end > i else 0.0
            if end > i + 1 and gap > usual + 0.8 * lines[end].height:
                break  # a blank line's worth of space more than between its lines: the table is over
            usual = gap if end == i + 1 else usual
            if line_cells is None:
                pending.append(lines[end].text)
            elif line_cells[0]:
                _continue_last_cell(rows, pending)
                rows.append(list(line_cells))
            else:
                if pending and len(rows[-1]) > 1 and rows[-1][1]:
                    # Its row is full: the lines before opened a new row ("Question ?" / "| answer").
                    rows.append([" ".join(pending)])
                    pending = []
                _continue_last_cell(rows, pending)
                for index, text in enumerate(line_cells[1:], start=1):
                    rows[-1].extend([""] * (index + 1 - len(rows[-1])))
                    rows[-1][index] = f"{rows[-1][index]} {text}".strip()
            end += 1
        _continue_last_cell(rows, pending)
        if len(rows) < MIN_ROWS:
            i += 1
            continue
        width = max(len(row) for row in rows)
        tables.append([[text or None for text in row + [""] * (width - len(row))] for row in rows])
        for line in lines[i:end]:
            line.table = len(tables) - 1
        i = end
    return tables


def read_tables(lines: list[Line], words: list[list[Word]]) -> tuple[list[Line], list[list[list[str | None]]]]:
    """Find the tables among a page's lines (`words[i]` are the words of
    `lines[i]`): return the lines, their tables' lines marked with the
    table's number (`Line.table`), and each table's rows of cells. Two
    columns of running text that Tesseract read as one line each (a
    two-column page) are not a table: their lines come back cut in two, the
    left column before the right."""
    tables = _bar_tables(lines, words)
    free = [k for k, line in enumerate(lines) if line.table is None]
    rows = [[free[k] for k in row] for row in physical_rows([lines[k] for k in free])]
    shapes = [_span([lines[k] for k in row]) for row in rows]
    cut = [pieces([w for k in row for w in words[k]], shape.height) for row, shape in zip(rows, shapes)]
    columns_of_text: list[tuple[int, int, list[float]]] = []
    i = 0
    while i < len(rows):
        if len(cut[i]) < 2:
            i += 1
            continue
        end, columns = _extent(shapes, cut, i)
        # Side by side lines that Tesseract kept apart are a table only with
        # three columns or more: two are as likely a two-column page.
        # Unless one of the two holds only short cells under a header of short
        # cells ("Mesure | Porteur"): a page's column of running text does not.
        needed = 3 if any(len(row) > 1 for row in rows[i:end]) and not _short_column(cut[i:end]) else 2
        if sum(len(cut[k]) >= 2 for k in range(i, end)) < MIN_ROWS or len(columns) < needed:
            i += 1
            continue
        if len(columns) == 2 and not all(len(piece.text.split()) <= HEADER_WORDS for piece in cut[i]):
            columns_of_text.append((i, end, columns))
            i = end
            continue
        tables.append(_rows(shapes[i:end], cut[i:end], columns))
        for row in rows[i:end]:
            for k in row:
                lines[k].table = len(tables) - 1
        i = end
    return _split_columns(lines, rows, shapes, cut, columns_of_text), tables


def _short_column(cut: list[list[Piece]]) -> bool:
    """Two columns under a header of short cells, one of which holds short
    cells only, on every row: a table's label column beside its text."""
    if len(cut[0]) != 2 or any(len(piece.text.split()) > HEADER_WORDS for piece in cut[0]):
        return False
    body = [row for row in cut[1:] if len(row) == 2]
    if len(body) < MIN_ROWS:
        return False
    return any(all(len(row[side].text.split()) <= SHORT_CELL_WORDS for row in body) for side in (0, 1))


def _split_columns(
    lines: list[Line], rows: list[list[int]], shapes: list[Line], cut: list[list[Piece]],
    spans: list[tuple[int, int, list[float]]],
) -> list[Line]:
    """The page's lines with each run of two-column rows replaced by its left
    column's lines, then its right column's."""
    if not spans:
        return lines
    replaced: dict[int, list[Line]] = {}
    dropped: set[int] = set()
    for start, end, columns in spans:
        by_column: list[list[Line]] = [[], []]
        for shape, row_pieces in zip(shapes[start:end], cut[start:end]):
            for piece in row_pieces:
                column = _column(piece.x0, columns, shape.height) or 0
                by_column[column].append(
                    Line(piece.text, piece.x0, piece.x1, shape.top, shape.bottom, shape.size, shape.bold)
                )
        members = [k for row in rows[start:end] for k in row]
        replaced[min(members)] = by_column[0] + by_column[1]
        dropped.update(members)
    result: list[Line] = []
    for k, line in enumerate(lines):
        result.extend(replaced.get(k, []))
        if k not in dropped:
            result.append(line)
    return result


def physical_rows(lines: list[Line]) -> list[list[int]]:
    """Lines that stand side by side at the same height, as indexes into
    `lines`, top to bottom: Tesseract reads the columns of a table without
    rules as separate blocks, one under the other."""
    rows: list[list[int]] = []
    for k in sorted(range(len(lines)), key=lambda k: (lines[k].top, lines[k].x0)):
        line = lines[k]
        middle = (line.top + line.bottom) / 2
        for row in rows[-3:]:
            first = lines[row[0]]
            same_height = abs((first.top + first.bottom) / 2 - middle) < 0.5 * min(first.height, line.height)
            if same_height and not any(_overlap(lines[j], line) for j in row):
                row.append(k)
                break
        else:
            rows.append([k])
    return [sorted(row, key=lambda k: lines[k].x0) for row in rows]


def _overlap(a: Line, b: Line) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1


def _span(lines: list[Line]) -> Line:
    """One line covering several side by side."""
    return Line(
        text=" ".join(line.text for line in lines),
        x0=min(line.x0 for line in lines),
        x1=max(line.x1 for line in lines),
        top=min(line.top for line in lines),
        bottom=max(line.bottom for line in lines),
        size=max(line.size for line in lines),
    )


def _extent(lines: list[Line], cut: list[list[Piece]], start: int) -> tuple[int, list[float]]:
    """Where the table starting at `start` ends (exclusive), and its columns'
    left edges (those of its first line's pieces)."""
    columns = [piece.x0 for piece in cut[start]]
    end = start + 1
    while end < len(lines):
        line, previous = lines[end], lines[end - 1]
        height = max(line.height, previous.height)
        if line.top - previous.bottom > MAX_ROW_GAP * height or not _fits(cut[end], columns, height):
            break
        end += 1
    return end, columns


def _column(x0: float, columns: list[float], height: float) -> int | None:
    """The column a piece starting at `x0` stands in, None left of the table."""
    found = None
    for index, left in enumerate(columns):
        if x0 >= left - COLUMN_TOLERANCE * height:
            found = index
    return found


def _fits(line_pieces: list[Piece], columns: list[float], height: float) -> bool:
    """Every piece starts in a column and none runs over the next column's edge
    (a paragraph across the page is not a row)."""
    for piece in line_pieces:
        index = _column(piece.x0, columns, height)
        if index is None:
            return False
        if index + 1 < len(columns) and piece.x1 > columns[index + 1] + COLUMN_TOLERANCE * height:
            return False
    return True


def _rows(lines: list[Line], cut: list[list[Piece]], columns: list[float]) -> list[list[str | None]]:
    """Cells by row: a line opens a new row, or continues the row above when it
    is a wrapped cell's next line (see the module docstring)."""
    gaps = [line.top - previous.bottom for previous, line in zip(lines, lines[1:])]
    height = statistics.median(line.height for line in lines)
    close = min(gaps) if gaps else 0.0
    # Rows set apart by rules and padding: a gap clearly wider than the
    # closest one (two lines of one cell) opens a row.
    spaced = bool(gaps) and max(gaps) > close + 0.5 * height
    rows: list[list[list[str]]] = []
    for n, (line, line_pieces) in enumerate(zip(lines, cut)):
        cells: list[list[str]] = [[] for _ in columns]
        for piece in line_pieces:
            cells[_column(piece.x0, columns, line.height) or 0].append(piece.text)
        new_row = not rows or (gaps[n - 1] > close + 0.25 * height if spaced else bool(cells[0]))
        if new_row:
            rows.append(cells)
        else:
            for kept, more in zip(rows[-1], cells):
                kept.extend(more)
    return [[" ".join(parts) or None for parts in row] for row in rows]
