"""OCR of scanned pages and images with Tesseract's French model.

The binding is tesserocr: it calls the Tesseract library in-process, so the
French model is loaded once per parser worker (about 0.2 s) instead of once
per page as a command-line wrapper (pytesseract) does, and it takes Pillow
images without temporary files. Its wheel bundles the Tesseract library; the
model comes from Debian's `tesseract-ocr-fra` package (or TESSDATA_PREFIX).

Lines come back with their boxes, so `layout.pages_to_blocks` turns a scan
into headings, paragraphs and list items like any PDF page.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from bilan.parsers.layout import Line

#: Where Debian's packages put the models (the folder name is the Tesseract
#: major version they were packaged for).
_DEBIAN_TESSDATA = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
LANGUAGE = "fra"
#: Lines read with less confidence than this (0-100) are noise: specks,
#: stamps, handwriting.
_MIN_CONFIDENCE = 30


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


def ocr_lines(image) -> tuple[list[Line], float]:
    """Recognise a Pillow image; return its lines (pixel coordinates) and the
    mean word confidence (0-100)."""
    import tesserocr

    api = _engine()
    api.SetImage(image.convert("L"))
    lines: list[Line] = []
    try:
        api.Recognize()
        iterator = api.GetIterator()
        level = tesserocr.RIL.TEXTLINE
        for item in tesserocr.iterate_level(iterator, level) if iterator is not None else ():
            line = _line(item, level)
            if line is not None:
                lines.append(line)
        confidence = float(api.MeanTextConf())
    except RuntimeError:
        # Tesseract's "No text returned": a blank or unreadable picture has no text, it is not damaged.
        confidence = 0.0
    finally:
        api.Clear()
    return lines, confidence


def _line(item, level) -> Line | None:
    """One recognised line, or None when it is empty or read with too little confidence."""
    try:
        text = (item.GetUTF8Text(level) or "").strip()
        box = item.BoundingBox(level)
        confident = item.Confidence(level) >= _MIN_CONFIDENCE
    except RuntimeError:  # "No text returned" for this line
        return None
    if not text or box is None or not confident:
        return None
    x0, top, x1, bottom = box
    try:
        row_height = item.RowAttributes()["row_height"]
    except (RuntimeError, KeyError, TypeError):
        row_height = bottom - top
    return Line(text=text, x0=x0, x1=x1, top=top, bottom=bottom, size=float(row_height))
