"""Parse once: the same file, wherever it appears, is parsed a single time,
and a parsed file is not parsed again by a later run."""

from __future__ import annotations

import pytest

from bilan.parsers import ParseStatus, parse_message
from bilan.parsers import cache as cache_module
from bilan.parsers.cache import ParseCache
from bilan.parsers.limits import Limits
from bilan.parsers.pool import ParserPool
from tests import documents
from tests.mail import XLSX, message, zip_bytes


@pytest.fixture
def pool():
    with ParserPool(workers=1) as pool:
        yield pool


def forwarded_three_times() -> bytes:
    """One annex attached directly, inside a ZIP and inside a forwarded message."""
    annex = documents.xlsx_workbook_bytes()
    inner = message(subject="Envoi initial", message_id="<inner@aisne.gouv.fr>")
    inner.add_attachment(annex, *XLSX, filename="Annexe 1.xlsx")
    outer = message(subject="TR: Envoi initial")
    outer.add_attachment(annex, *XLSX, filename="Annexe 1.xlsx")
    outer.add_attachment(zip_bytes({"Annexe 1 complétée.xlsx": annex}), "application", "zip", filename="annexes.zip")
    outer.add_attachment(inner, filename="Envoi initial.eml")
    return outer.as_bytes()


def test_the_same_annex_forwarded_three_times_is_parsed_once(pool, tmp_path):
    cache = ParseCache(tmp_path / "cache")
    raw = forwarded_three_times()
    parsed = parse_message(raw, pool=pool, cache=cache)
    annexes = [a for a in parsed.attachments if a.format == "xlsx"]
    assert len(annexes) == 3
    assert pool.jobs_run == 3  # the ZIP, the forwarded message, and the annex once
    assert all(a.status is ParseStatus.OK for a in annexes)
    assert annexes[0].document.tables[0].rows == annexes[1].document.tables[0].rows == annexes[2].document.tables[0].rows
    assert annexes[0].document is not annexes[1].document  # each file has its own copy to annotate

    again = parse_message(raw, pool=pool, cache=cache)
    assert pool.jobs_run == 3 + 2  # only the containers are opened again
    assert cache.hits == 1
    assert [a.document.tables[0].rows for a in again.attachments if a.format == "xlsx"] == [
        a.document.tables[0].rows for a in annexes
    ]
    assert [(b.kind, b.provenance, b.attributes) for b in again.attachments[0].document.blocks] == [
        (b.kind, b.provenance, b.attributes) for b in annexes[0].document.blocks
    ]


def test_statuses_are_cached_too_but_not_time_limits(pool, tmp_path):
    cache = ParseCache(tmp_path / "cache")
    mail = message()
    mail.add_attachment(b"%PDF-1.4\n1 0 obj\n<<", "application", "pdf", filename="coupé.pdf")
    mail.add_attachment(documents.scanned_pdf_bytes(), "application", "pdf", filename="Scan.pdf")
    raw = mail.as_bytes()
    first = parse_message(raw, Limits(parse_seconds=0.01), pool=pool, cache=cache)
    assert [a.status for a in first.attachments] == [ParseStatus.CORRUPT, ParseStatus.TIMEOUT]
    second = parse_message(raw, pool=pool, cache=cache)
    assert [a.status for a in second.attachments] == [ParseStatus.CORRUPT, ParseStatus.SCANNED]
    assert cache.hits == 1  # the corrupt file; the scan was parsed again, in time this time
    assert second.attachments[1].document.blocks[0].provenance.ocr


def test_a_new_parser_version_does_not_reuse_old_results(pool, tmp_path, monkeypatch):
    cache = ParseCache(tmp_path / "cache")
    raw = forwarded_three_times()
    parse_message(raw, pool=pool, cache=cache)
    monkeypatch.setattr(cache_module, "PARSER_VERSION", cache_module.PARSER_VERSION + "-next")
    parse_message(raw, pool=pool, cache=cache)
    assert cache.hits == 0
    assert pool.jobs_run == 6


def test_a_damaged_cache_entry_is_parsed_again(pool, tmp_path):
    cache = ParseCache(tmp_path / "cache")
    raw = forwarded_three_times()
    parse_message(raw, pool=pool, cache=cache)
    [entry] = list((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json", encoding="utf-8")
    parsed = parse_message(raw, pool=pool, cache=cache)
    assert all(a.status is ParseStatus.OK for a in parsed.attachments)
    assert cache.hits == 0
