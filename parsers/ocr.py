"""OCR of scanned pages and images with Tesseract's French model.

The binding is tesserocr: it calls the Tesseract library in-process, so the
French model is loaded once per parser worker (about 0.2 s) instead of once
per page as a command-line wrapper (pytesseract) does, and it takes Pillow
images without temporary files. Its wheel bundles the Tesseract library; the
model comes from Debian's `tesseract-ocr-fra` package (or TESSDATA_PREFIX).

Words come back with their boxes: lines are rebuilt from them, and tables
from their geometry (`word_tables`), so `layout.pages_to_blocks` turns a scan
into headings, paragraphs, list items and table blocks like any PDF page.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bilan.parsers.layout import Line
from bilan.parsers.ruled_grid import BoxWord, find_grids, grid_rows
from bilan.parsers.word_tables import Word, read_tables

#: Where Debian's packages put the models (the folder name is the Tesseract
#: major version they were packaged for).
_DEBIAN_TESSDATA = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
LANGUAGE = "fra"
#: Lines read with less confidence than this (0-100) are noise: specks,
#: stamps, handwriting.
_MIN_CONFIDENCE = 30
#: The pronoun "Il" as Tesseract misreads it (l, I, 1 and | look alike in
#: most fonts), alone or glued to the verb after it: "ll est", "li serait",
#: "| serait", "Ilest". French has no such words, so before a verb they are "Il".
_MISREAD_IL = re.compile(r"^(?:[lI1|][lI1|]|[lI]i)$")
_GLUED_IL = re.compile(r"^[lI1|][lI1|](est|était|serait|faut|faudrait|convient|conviendrait|semble|y)$")
_AFTER_IL = {"est", "était", "serait", "faut", "faudrait", "convient", "conviendrait", "semble", "semblerait",
             "y", "s'", "s’", "n'", "n’", "ne", "nous", "me", "importe", "reste", "paraît", "parait"}
#: A table's vertical rule read as a word, or glued to one.
_RULE = re.compile(r"[|¦\[\]]+")
_GLUED_RULE = re.compile(r"^(?P<before>[|¦\[]?)(?P<core>[^\W\d_][\w'’,.;:!?-]*?)(?P<after>[|¦\]]?)$")


@functools.cache
def tessdata_dir() -> str | None:
    """The folder holding the French model, or None when OCR is not installed."""
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *_DEBIAN_TESSDATA]
    for folder in candidates:
        if folder and (Path(folder) / f"{LANGUAGE}.traineddata").is_file():
            return folder
    return None


@functools.cache
def ocr_available() -> bool:
    if tessdata_dir() is None:
        return False
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _engine():
    """One Tesseract instance per process, created on first use (never in a
    process that is about to fork workers)."""
    import tesserocr

    api = tesserocr.PyTessBaseAPI(path=tessdata_dir(), lang=LANGUAGE, psm=tesserocr.PSM.AUTO)
    # Scans are dark text on light paper: skip Tesseract's second pass on the
    # inverted image (saves time, changes nothing on such pages).
    api.SetVariable("tessedit_do_invert", "0")
    return api


@dataclass
class OcrPage:
    """What OCR reads of one image: lines (pixel coordinates) in Tesseract's
    reading order, the tables rebuilt from its words (`Line.table` marks the
    lines they cover) and the mean word confidence (0-100)."""

    lines: list[Line]
    tables: list[list[list[str | None]]]
    confidence: float


def ocr_page(image) -> OcrPage:
    """Recognise a Pillow image once; read its words with their boxes, rebuild
    its lines from them and its tables from their geometry (`word_tables`)."""
    import tesserocr

    api = _engine()
    api.SetImage(image.convert("L"))
    try:
        api.Recognize()
        lines, words, boxed = _lines_and_words(api, tesserocr)
        confidence = float(api.MeanTextConf())
    except RuntimeError:
        # Tesseract's "No text returned": a blank or unreadable picture has no text, it is not damaged.
        lines, words, boxed, confidence = [], [], [], 0.0
    finally:
        api.Clear()
    kept = [
        (line, mend_misread_il(w), b) for line, w, b in zip(lines, words, boxed) if any(not word.rule for word in w)
    ]
    for line, w, _ in kept:
        line.text = " ".join(word.text for word in sorted(w, key=lambda word: word.x0) if not word.rule)
    lines, words = [line for line, _, _ in kept], [w for _, w, _ in kept]
    lines, tables = _read_tables(image, lines, words, [b for _, _, b in kept])
    return OcrPage(lines, tables, confidence)


def _lines_and_words(api, tesserocr) -> tuple[list[Line], list[list[Word]], list[list[BoxWord]]]:
    """Tesseract's text lines (boxes only) and, per line, its words with their
    boxes: left and right edges, and the full box of those that are not rules."""
    lines: list[Line] = []
    words: list[list[Word]] = []
    boxed: list[list[BoxWord]] = []
    iterator = api.GetIterator()
    line_level, word_level = tesserocr.RIL.TEXTLINE, tesserocr.RIL.WORD
    keep = False
    for item in tesserocr.iterate_level(iterator, word_level) if iterator is not None else ():
        if item.IsAtBeginningOf(line_level):
            line = _line(item, line_level)
            keep = line is not None
            if keep:
                lines.append(line)
                words.append([])
                boxed.append([])
        try:
            text = (item.GetUTF8Text(word_level) or "").strip()
            box = item.BoundingBox(word_level)
        except RuntimeError:  # "No text returned" for this word
            continue
        if keep and box is not None and text:
            read = _words(text, float(box[0]), float(box[2]))
            words[-1].extend(read)
            boxed[-1].extend(BoxWord(w.text, w.x0, float(box[1]), w.x1, float(box[3])) for w in read if not w.rule)
    return lines, words, boxed


def _read_tables(
    image, lines: list[Line], words: list[list[Word]], boxed: list[list[BoxWord]]
) -> tuple[list[Line], list[list[list[str | None]]]]:
    """The page's tables: first those drawn with rules (`ruled_grid`), whose
    words go to the cell they stand in, then, among the lines outside them,
    those the words' geometry shows (`word_tables`). Returns the lines in
    reading order, table lines marked, and each table's rows."""
    tables: list[list[list[str | None]]] = []
    in_grid: dict[int, int] = {}  # line index -> table number
    flat = [word for line_words in boxed for word in line_words]
    owner = [k for k, line_words in enumerate(boxed) for _ in line_words]  # the line of each word
    for grid in find_grids(image):
        rows, used = grid_rows(grid, flat)
        if len(rows) < 2:
            continue
        tables.append(rows)
        inside = Counter(owner[i] for i in used)
        for k, count in inside.items():
            if k not in in_grid and 2 * count >= len(boxed[k]):
                in_grid[k] = len(tables) - 1
    free = [k for k in range(len(lines)) if k not in in_grid]
    rest, more = read_tables([lines[k] for k in free], [words[k] for k in free])
    for line in rest:
        if line.table is not None:
            line.table += len(tables)
    tables.extend(more)
    result = list(rest)
    for k in sorted(in_grid, key=lambda k: (in_grid[k], lines[k].top)):
        lines[k].table = in_grid[k]
        # Before the first line below it that is not of its table.
        below = (n for n, line in enumerate(result) if line.table != in_grid[k] and line.top > lines[k].top)
        result.insert(next(below, len(result)), lines[k])
    return result, tables


def _words(text: str, x0: float, x1: float) -> list[Word]:
    """A word as Tesseract read it, with a vertical bar glued to it ("|Donner",
    "[Je") cut off as a rule of its own."""
    if _RULE.fullmatch(text):
        return [Word("|", x0, x1, rule=True)]
    glued = _GLUED_RULE.match(text)
    if glued is None or not (glued.group("before") or glued.group("after")):
        return [Word(text, x0, x1)]
    width = (x1 - x0) / len(text)
    before, core, after = glued.group("before"), glued.group("core"), glued.group("after")
    result = [Word("|", x0, x0 + width * len(before), rule=True)] if before else []
    result.append(Word(core, x0 + width * len(before), x1 - width * len(after)))
    if after:
        result.append(Word("|", x1 - width * len(after), x1, rule=True))
    return result


def mend_misread_il(words: list[Word]) -> list[Word]:
    """Words of a line with the misread pronoun "Il" restored (`_MISREAD_IL`)."""
    mended: list[Word] = []
    for index, word in enumerate(words):
        following = words[index + 1].text.lower() if index + 1 < len(words) else ""
        glued = _GLUED_IL.match(word.text)
        misread = word.rule or _MISREAD_IL.match(word.text)
        if misread and (following in _AFTER_IL or following[:2] in ("s'", "s’", "n'", "n’")):
            word = Word("Il", word.x0, word.x1)
        elif glued:
            word = Word(f"Il {glued.group(1)}", word.x0, word.x1)
        mended.append(word)
    return mended


def _line(item, level) -> Line | None:
    """A text line's box and type size, or None when it is noise (see `_MIN_CONFIDENCE`)."""
    try:
        box = item.BoundingBox(level)
        confident = item.Confidence(level) >= _MIN_CONFIDENCE
    except RuntimeError:  # "No text returned" for this line
        return None
    if box is None or not confident:
        return None
    x0, top, x1, bottom = box
    try:
        row_height = item.RowAttributes()["row_height"]
    except (RuntimeError, KeyError, TypeError):
        row_height = bottom - top
    return Line(text="", x0=x0, x1=x1, top=top, bottom=bottom, size=float(row_height))
