"""`bilan export --format xlsx|csv|parquet`: one sheet or file per analyst
view, formatted as a person would (French headers, frozen header row,
filters, widths, real dates)."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.storage.view_export import read_views
from bilan.storage.views import VIEWS
from tests.conftest import SAMPLES
from tests.loading import load_folder


@pytest.fixture
def loaded(warehouse):
    load_folder(warehouse, SAMPLES)
    return warehouse


def _export(format: str, out) -> str:
    result = CliRunner().invoke(app, ["export", "--format", format, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_xlsx_has_one_formatted_sheet_per_view(loaded, tmp_path):
    out = tmp_path / "bilan.xlsx"
    _export("xlsx", out)
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [view.title for view in VIEWS]
    sheets = {sheet.name: sheet for sheet in read_views(loaded.engine)}
    for view in VIEWS:
        worksheet = workbook[view.title]
        assert worksheet.max_row == len(sheets[view.name].rows) + 1, view.name
        assert worksheet.freeze_panes == "A2"
        assert worksheet.auto_filter.ref.startswith("A1:")
        headers = [cell.value for cell in worksheet[1]]
        assert headers[0] == view.columns[0].header
        assert all(cell.font.bold for cell in worksheet[1])
    departments = workbook["Départements"]
    headers = [cell.value for cell in departments[1]]
    assert headers[:6] == ["Campagne (n°)", "Code", "Département", "Région", "Statut", "Première contribution (heure de Paris)"]
    rows = {row[1]: row for row in departments.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 101
    # Nord: on time, first contribution 2021-12-06 14:32:08 UTC = 15:32:08 in Paris.
    assert rows["59"][4] == "à l'heure"
    assert rows["59"][5] == dt.datetime(2021, 12, 6, 15, 32, 8)
    assert rows["38"][4] == "en retard" and rows["72"][4] == "à l'heure" and rows["01"][4] == "sans réponse"
    date_cell = departments.cell(row=2 + sorted(rows).index("59"), column=6)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy hh:mm"
    assert departments.column_dimensions["C"].width >= len("Bouches-du-Rhône")


def test_csv_writes_one_file_per_view_with_sql_names_for_french_excel(loaded, tmp_path):
    _export("csv", tmp_path / "csv")
    for view in VIEWS:
        data = (tmp_path / "csv" / f"{view.name}.csv").read_bytes()
        assert data.startswith("\ufeff".encode()), view.name  # French Excel reads UTF-8 only with a BOM
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines(), delimiter=";"))
        assert rows[0] == [column.name for column in view.columns]
    with (tmp_path / "csv" / "department_status.csv").open(encoding="utf-8-sig", newline="") as handle:
        nord = next(row for row in csv.DictReader(handle, delimiter=";") if row["department_code"] == "59")
    assert nord["status"] == "on_time" and nord["first_contribution_at"] == "2021-12-06T14:32:08Z"
    assert nord["annexe3_received"] in ("0", "1")  # flags are 0/1, as in the views


def test_csv_for_tools_is_comma_separated_without_bom(loaded, tmp_path):
    result = CliRunner().invoke(
        app, ["export", "--format", "csv", "--csv-dialect", "rfc4180", "--out", str(tmp_path / "csv")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = (tmp_path / "csv" / "department_status.csv").read_bytes()
    assert not data.startswith("\ufeff".encode())
    assert next(csv.reader(data.decode("utf-8").splitlines()))[:2] == ["campaign_id", "department_code"]


def test_parquet_keeps_types(loaded, tmp_path):
    _export("parquet", tmp_path / "parquet")
    table = pq.read_table(tmp_path / "parquet" / "department_status.parquet")
    assert table.num_rows == 101
    assert str(table.schema.field("first_contribution_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("annexe1_received").type) == "bool"
    nord = next(row for row in table.to_pylist() if row["department_code"] == "59")
    assert nord["first_contribution_at"] == dt.datetime(2021, 12, 6, 14, 32, 8, tzinfo=dt.UTC)
    for view in VIEWS:
        assert pq.read_table(tmp_path / "parquet" / f"{view.name}.parquet").column_names == [c.name for c in view.columns]
