"""Parsing the labelled development corpus: every attachment gets the parse
status of its truth, and the annexes yield their tables.

"The right number of rows" at the parser level: the parser does not know
which rows are conseils citoyens (that is the extraction stage's job), but
every true annex row must be in a table. So, for each message, the table rows
of its annex documents that look like data (three filled cells at least, one
with a digit: a QPV code, a count, a year; which excludes titles and header
rows) must be at least as many as the truth's rows for that message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bilan.evaluate import pair_attachments
from bilan.parsers import BlockKind, ParseStatus, parse_message
from bilan.parsers.message import ParsedMessage

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture(scope="module")
def parsed_corpus(corpus: Path) -> list[tuple[dict, ParsedMessage]]:
    return [
        (json.loads((corpus / "truth" / f"{path.stem}.json").read_text(encoding="utf-8")), parse_message(path.read_bytes()))
        for path in sorted((corpus / "messages").glob("*.eml"))
    ]


def exported(parsed: ParsedMessage) -> list[dict]:
    """The attachments as the export names them, keeping the parsed object."""
    names = {a.index: a.filename for a in parsed.attachments}
    return [{"filename": a.filename, "inside": names.get(a.parent), "parsed": a} for a in parsed.attachments]


def pairs(parsed_corpus):
    for truth, parsed in parsed_corpus:
        for true, found in pair_attachments(truth["attachments"], exported(parsed)):
            yield truth, true, found["parsed"] if found else None


def test_every_attachment_gets_the_status_of_its_truth(parsed_corpus):
    wrong = []
    count = 0
    for truth, true, found in pairs(parsed_corpus):
        count += 1
        status = None if found is None else found.status
        expected = ParseStatus.OK if true["parseable"] else ParseStatus(true["error_kind"])
        if status is not expected:
            wrong.append((truth["file"], true["filename"], expected, status, found and found.error))
    assert count == 339
    assert wrong == []


def test_scans_are_read_by_ocr_and_pictures_of_the_body_are_not_documents(parsed_corpus):
    for _truth, true, found in pairs(parsed_corpus):
        if true["error_kind"] == "scanned":
            blocks = found.document.blocks
            assert blocks and all(b.provenance.ocr for b in blocks), true["filename"]
            assert len(found.document.text) > 200
        if true["role"] == "signature_image":
            assert found.document.blocks == []
            assert found.document.metadata["referenced_in_body"] or found.document.metadata["inline"]
            assert found.document.metadata["small"]


def data_rows(block) -> int:
    def filled(cell) -> bool:
        return cell is not None and str(cell).strip() != ""

    return sum(
        1
        for row in block.rows
        if sum(filled(cell) for cell in row) >= 3 and any(any(ch.isdigit() for ch in str(cell)) for cell in row if filled(cell))
    )


@pytest.mark.parametrize("role", ["annexe1", "annexe2"])
def test_annex_documents_yield_tables_holding_every_annex_row(parsed_corpus, role):
    checked = 0
    for truth, parsed in parsed_corpus:
        expected = len(truth[f"{role}_rows"])
        documents = [
            found.document
            for true, found in ((t, f["parsed"] if f else None) for t, f in pair_attachments(truth["attachments"], exported(parsed)))
            if true["role"] == role and true["parseable"]
        ]
        if not documents or not expected:
            continue
        rows = sum(data_rows(block) for document in documents for block in document.blocks if block.kind is BlockKind.TABLE)
        assert rows >= expected, (truth["file"], role, rows, expected)
        assert rows <= 2 * expected + 5, (truth["file"], role, rows, expected)  # totals and notes, not runaway rows
        checked += 1
    assert checked >= 60  # most messages with annex rows carry them in a file
