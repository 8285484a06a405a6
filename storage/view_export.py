"""`bilan export --format xlsx|csv|parquet`: every analyst view, one sheet
(XLSX) or one file (CSV, Parquet) each.

The JSON export is another thing: the export contract of `export.py`, which
`bilan evaluate` reads.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from bilan.storage.tabular import DEFAULT_CSV_DIALECT, Sheet, write_csv, write_parquet, write_xlsx
from bilan.storage.views import VIEWS, read_view

TABLE_FORMATS = ("xlsx", "csv", "parquet")


def read_views(engine: Engine) -> list[Sheet]:
    """Every view, read in one transaction so that the sheets agree with each other."""
    with engine.connect() as connection, connection.begin():
        return [read_view(connection, view) for view in VIEWS]


def export_views(
    engine: Engine, format: str, out: Path, timezone: str = "Europe/Paris", csv_dialect: str = DEFAULT_CSV_DIALECT
) -> list[Path]:
    """Write the views; `out` is a file for XLSX, a folder for CSV and Parquet
    (one `<view>.csv` / `<view>.parquet` per view). Returns the files written."""
    if format not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {format!r} (expected one of {', '.join(TABLE_FORMATS)})")
    sheets = read_views(engine)
    if format == "xlsx":
        return [write_xlsx(out, sheets, timezone)]
    writer = partial(write_csv, dialect=csv_dialect) if format == "csv" else write_parquet
    return [writer(out / f"{sheet.name}.{format}", sheet) for sheet in sheets]
