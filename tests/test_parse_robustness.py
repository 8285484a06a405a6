"""Damaged files never break parsing: whatever is cut or flipped in a valid
file of any format, parsing ends within its limits with either blocks or a
clear error status, and no exception comes out of the parser."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilan.parsers import ParseStatus
from bilan.parsers.limits import Limits
from bilan.parsers.pool import ParseJob, ParserPool
from bilan.parsers.sniff import sniff_format
from tests import documents
from tests.mail import message, zip_bytes

LIMITS = Limits(parse_seconds=20)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # large reprs of files


def _eml() -> bytes:
    mail = message()
    mail.add_attachment(documents.csv_bytes(), "text", "csv", filename="annexe.csv")
    return mail.as_bytes()


SAMPLES = {
    "pdf": documents.pdf_bytes,
    "docx": documents.docx_bytes,
    "odt": documents.odt_bytes,
    "xlsx": documents.xlsx_workbook_bytes,
    "ods": documents.ods_bytes,
    "csv": documents.csv_bytes,
    "html": lambda: b"<html><body><h1>Bilan</h1><ul><li>Former</li></ul><table><tr><td>a</td></tr></table></body></html>",
    "msg": lambda: documents.msg_bytes("Bilan", "Corps du message", [("annexe.csv", documents.csv_bytes())]),
    "tnef": lambda: documents.tnef_bytes("Corps", [("annexe.csv", documents.csv_bytes())]),
    "zip": lambda: zip_bytes({"annexe.csv": documents.csv_bytes(), "note.docx": documents.docx_bytes()}),
    "eml": _eml,
    "png": documents.logo_png,
}
#: Converted by LibreOffice, whose every run costs a second or two: fewer examples.
LEGACY = {"xls": (documents.xlsx_workbook_bytes, ".xlsx"), "doc": (documents.odt_bytes, ".odt"), "rtf": (documents.odt_bytes, ".odt")}


@pytest.fixture(scope="module")
def pool():
    with ParserPool(workers=2) as pool:
        yield pool


@pytest.fixture(scope="module")
def samples() -> dict[str, bytes]:
    return {fmt: build() for fmt, build in SAMPLES.items()}


@pytest.fixture(scope="module")
def legacy_samples(tmp_path_factory) -> dict[str, bytes]:
    """Written by LibreOffice, as users' legacy files are (seconds each)."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is needed: `make debian-packages` installs it")
    folder = tmp_path_factory.mktemp("office")
    return {fmt: documents.convert(build(), suffix, fmt, folder) for fmt, (build, suffix) in LEGACY.items()}


@st.composite
def damaged(draw, original: bytes) -> bytes:
    """Cut short, bytes flipped, or a run of bytes overwritten."""
    kind = draw(st.sampled_from(["truncate", "flip", "overwrite"]))
    data = bytearray(original)
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
        return bytes(data)
    start = draw(st.integers(0, len(data) - 1))
    junk = draw(st.binary(min_size=1, max_size=64))
    data[start : start + len(junk)] = junk
    return bytes(data)


def check(pool: ParserPool, fmt: str, data: bytes) -> None:
    sniffed = sniff_format(data, f"fichier.{fmt}")
    [outcome] = pool.parse_many([ParseJob(data, f"fichier.{fmt}", sniffed, LIMITS)])
    assert isinstance(outcome.status, ParseStatus)
    assert outcome.seconds <= LIMITS.parse_seconds + 1
    if outcome.status is ParseStatus.OK:
        assert outcome.document is not None
    else:
        assert outcome.reason, outcome
    if outcome.document is not None:
        for block in outcome.document.blocks:
            assert block.provenance.file == f"fichier.{fmt}"


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_file_gives_blocks_or_a_clear_status(pool, samples, fmt, data):
    check(pool, fmt, data.draw(damaged(samples[fmt])))


@pytest.mark.slow  # LibreOffice writes the samples and converts each damaged file
@pytest.mark.parametrize("fmt", sorted(LEGACY))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_legacy_file_gives_blocks_or_a_clear_status(pool, legacy_samples, fmt, data):
    check(pool, fmt, data.draw(damaged(legacy_samples[fmt])))
