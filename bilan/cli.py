"""The `bilan` command: a thin layer over the library, one function per command."""

from __future__ import annotations

import json
import logging
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from bilan.settings import get_settings

app = typer.Typer(
    help="Turn the ANCT contribution mailbox into a clean, queryable warehouse.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

STATUS_LABELS = {"on_time": "on time", "late": "late", "missing": "missing"}
STATUS_STYLES = {"on_time": "green", "late": "yellow", "missing": "red"}


def _warehouse():
    from bilan.flows.ingest import open_warehouse

    return open_warehouse(get_settings())


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def ingest(
    from_dir: Annotated[
        Optional[Path],
        typer.Option("--from-dir", help="Read a folder of .eml files instead of the IMAP mailbox.", exists=True, file_okay=False),
    ] = None,
    report: Annotated[
        Optional[Path], typer.Option("--report", help="Also write the run's summary (counts, seconds per stage) as JSON.")
    ] = None,
) -> None:
    """Fetch new messages (IMAP from the settings, or --from-dir), archive them, parse and load them."""
    from bilan.flows.ingest import ingest_mailbox

    summary = ingest_mailbox(from_dir=str(from_dir) if from_dir else None)
    console.print(summary.describe(), soft_wrap=True)
    if report is not None:
        report.write_text(json.dumps(summary.to_json(), indent=1), encoding="utf-8")


class StatusFilter(str, Enum):
    on_time = "on_time"
    late = "late"
    missing = "missing"


@app.command()
def status(
    only: Annotated[Optional[StatusFilter], typer.Option("--status", help="Show only this status.")] = None,
    region: Annotated[Optional[str], typer.Option(help="Show only this region (case-insensitive).")] = None,
) -> None:
    """Print the 101 departments with their status, first contribution time and message count."""
    from bilan.storage.status import department_statuses

    warehouse = _warehouse()
    rows = department_statuses(warehouse.engine, warehouse.campaign)
    shown = [
        r for r in rows
        if (only is None or r.status == only.value) and (region is None or r.region.casefold() == region.casefold())
    ]
    table = Table(title=f"{warehouse.campaign.name} — deadline {warehouse.campaign.deadline:%d/%m/%Y}")
    for column in ("Code", "Department", "Region", "Status", "First contribution (Paris time)", "Messages"):
        table.add_column(column, justify="right" if column == "Messages" else "left")
    from zoneinfo import ZoneInfo

    paris = ZoneInfo(warehouse.campaign.timezone)
    for r in shown:
        first = r.first_contribution_at.astimezone(paris).strftime("%Y-%m-%d %H:%M") if r.first_contribution_at else ""
        style = STATUS_STYLES[r.status]
        table.add_row(r.code, r.name, r.region, f"[{style}]{STATUS_LABELS[r.status]}[/]", first, str(r.messages))
    console.print(table)
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_LABELS}
    console.print(
        f"{len(rows)} departments: {counts['on_time']} on time, {counts['late']} late, {counts['missing']} missing"
    )


class ExportFormat(str, Enum):
    json = "json"


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    format: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = ExportFormat.json,
) -> None:
    """Write the warehouse in the export contract (see the README)."""
    from bilan.storage.export import export_contract

    data = export_contract(_warehouse())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"{len(data['messages'])} messages written to {out}")


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="Labelled folder (with truth/ and departments.json).", exists=True)],
    export_file: Annotated[Path, typer.Option("--export", help="A file written by `bilan export --format json`.", exists=True, dir_okay=False)],
) -> None:
    """Compare an export with labelled data and print the quality metrics, one per line."""
    from bilan.evaluate import evaluate as compute, format_metrics

    metrics = compute(truth, json.loads(export_file.read_text(encoding="utf-8")))
    typer.echo(format_metrics(metrics))


@app.command("train-themes")
def train_themes(
    data: Annotated[Optional[Path], typer.Option("--data", help="Labelled sentences (JSON lines); default: the project's own set.", exists=True, dir_okay=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Model folder to write; default: the one the pipeline loads.", file_okay=False)] = None,
) -> None:
    """Train the recommendation theme classifier and print its accuracy on held-out sentences."""
    from bilan.nlp.theme_training import train_theme_model
    from bilan.nlp.themes import MODEL_DIR, TRAINING_DATA

    metrics = train_theme_model(data or TRAINING_DATA, out or MODEL_DIR)
    typer.echo(metrics.describe())


if __name__ == "__main__":
    app()
