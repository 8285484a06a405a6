"""What a sender writes is neutralised where it lands: a subject such as
`=HYPERLINK(...)` is text in the XLSX export and cannot be evaluated from
the CSV; the dashboard escapes a hostile display name and forbids scripts
and requests with a Content-Security-Policy."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dashboard import build_report
from bilan.storage.tabular import Column, Sheet, write_csv, write_xlsx
from tests.loading import load_raw
from tests.mail import message

HOSTILE = [
    '=HYPERLINK("http://evil.example/x";"Contribution Herault (34)")',
    "+33 1 23 45 67 89",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["Contribution de l'Hérault (34)", "a=b", "3-2"]
COLUMNS = (Column("subject", "Objet"), Column("count", "Nombre", "int"))


def _sheet() -> Sheet:
    return Sheet("messages", "Messages", COLUMNS, [(value, -5) for value in HOSTILE + HARMLESS])


def test_xlsx_writes_formula_like_text_as_text(tmp_path):
    path = write_xlsx(tmp_path / "out.xlsx", [_sheet()])
    worksheet = openpyxl.load_workbook(path)["Messages"]
    cells = [row[0] for row in worksheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == HOSTILE + HARMLESS  # shown as the sender wrote it
    assert all(cell.data_type == "s" for cell in cells)  # never "f" (formula)
    assert all(cell.quotePrefix for cell in cells[: len(HOSTILE)])
    numbers = [row[1] for row in worksheet.iter_rows(min_row=2)]
    assert all(cell.value == -5 and cell.data_type == "n" for cell in numbers)  # numbers stay numbers


@pytest.mark.parametrize("dialect, encoding, delimiter", [("excel-fr", "utf-8-sig", ";"), ("rfc4180", "utf-8", ",")])
def test_csv_prefixes_formula_like_text(tmp_path, dialect, encoding, delimiter):
    path = write_csv(tmp_path / "out.csv", _sheet(), dialect)
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    subjects = [row[0] for row in rows[1:]]
    assert subjects == ["'" + value for value in HOSTILE] + HARMLESS
    assert all(not s.startswith(("=", "+", "-", "@", "\t", "\r")) for s in subjects)
    assert {row[1] for row in rows[1:]} == {"-5"}  # a number is not text: left alone


def test_a_hostile_subject_is_inert_in_the_exported_files(warehouse, tmp_path):
    mail = message(
        subject=HOSTILE[0], sender="Claire Fontanel <claire.fontanel@herault.gouv.fr>",
        body="Veuillez trouver la contribution de la préfecture de l'Hérault (34), modalité 3.\n",
        received=dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC),
    )
    load_raw(warehouse, mail.as_bytes())
    runner = CliRunner()
    result = runner.invoke(app, ["export", "--format", "xlsx", "--out", str(tmp_path / "b.xlsx")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(tmp_path / "b.xlsx")
    hostile = [c for ws in workbook for row in ws.iter_rows() for c in row if c.value == HOSTILE[0]]
    assert hostile and all(cell.data_type == "s" for cell in hostile)
    assert not [c for ws in workbook for row in ws.iter_rows() for c in row if c.data_type == "f"]
    result = runner.invoke(app, ["export", "--format", "csv", "--out", str(tmp_path / "csv")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "csv" / "current_contribution.csv").read_text(encoding="utf-8-sig")
    fields = [field for row in csv.reader(text.splitlines(), delimiter=";") for field in row]
    assert "'" + HOSTILE[0] in fields and HOSTILE[0] not in fields


def test_the_dashboard_escapes_senders_and_forbids_scripts(warehouse):
    mail = message(
        subject="<script>alert(1)</script> Contribution (34)",
        sender='"<img src=x onerror=alert(1)><script>alert(2)</script>" <claire.fontanel@herault.gouv.fr>',
        body="Veuillez trouver la contribution de la préfecture de l'Hérault (34), modalité 3.\n",
        received=dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC),
    )
    load_raw(warehouse, mail.as_bytes())
    html = build_report(warehouse)
    assert "<script" not in html and "<img" not in html
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in html
