"""The `bilan` command: a thin layer over the library, one function per command."""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click (its Exit and Abort are typer's)
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # earlier typer: click itself
    from click.exceptions import ClickException, UsageError

from bilan.errors import BadInput, UserError
from bilan.settings import get_settings

console = Console()


class BilanGroup(TyperGroup):
    """The one place where an error becomes what a user reads: one line on
    stderr that says what to do, and a non-zero exit; the traceback only
    with `bilan --debug`."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except UsageError as exc:
            if ctx.params.get("debug"):
                raise
            where = exc.ctx.command_path if exc.ctx is not None else "bilan"
            _fail(f"{_plain(exc.format_message())} (see `{where} --help`)", exc.exit_code)
        except ClickException as exc:
            _fail(_plain(exc.format_message()), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            _fail(describe_error(exc), 1)


def describe_error(exc: Exception) -> str:
    """What the user reads for an error: the message of a known problem, or,
    for a bug, its type and message with the way to see more."""
    from bilan.mailbox.errors import ImapError, SourceError
    from bilan.storage.lock import LockTimeout

    if isinstance(exc, (UserError, ImapError, SourceError, LockTimeout)):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"unexpected error ({type(exc).__name__}: {first_line}); run `bilan --debug ...` for the details"


def _plain(message: str) -> str:
    """A parser's message without the validation library's prefix."""
    return message.replace("Value error, ", "")


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


app = typer.Typer(
    cls=BilanGroup,
    help="Turn the ANCT contribution mailbox into a clean, queryable warehouse.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def run() -> None:
    """The `bilan` command (pyproject's entry point): `app`, then, as the
    interpreter exits, no garbage collection over what the run leaves
    behind. Python's teardown ran full collections over every object still
    alive (ORM state, parsed messages, the modules): 0.5-0.7 s of CPU after
    a 12 s ingestion had written its last row (`gc.freeze` moves them out of
    the collector's reach; exit handlers still run, and the memory goes
    back to the system at once)."""
    try:
        app()
    finally:
        gc.freeze()


STATUS_LABELS = {"on_time": "on time", "late": "late", "missing": "missing", "exempt": "exempt"}
STATUS_STYLES = {"on_time": "green", "late": "yellow", "missing": "red", "exempt": "blue"}


NUMBER_COLUMNS = {"Messages", "Unreadable files", "Files read in part", "To review", "Reminders", "Modality",
                  "Doubtful senders"}


def _nonzero(count: int) -> str:
    return str(count) if count else ""


def _warehouse(read_only: bool = False):
    """Open the warehouse through `storage` alone: the reading commands
    (status, export, report) need neither Prefect nor spaCy, and start in
    about a second instead of five. They open it `read_only`: they write
    nothing, and a missing or outdated warehouse is an error, not a new one."""
    from bilan.storage.warehouse import Warehouse

    return Warehouse.open(get_settings(), read_only=read_only)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="On an error, show the Python traceback.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )


@app.command()
def ingest(
    from_dir: Annotated[
        Path | None,
        typer.Option("--from-dir", help="Read a folder of .eml files instead of the IMAP mailbox (same as `bilan import PATH`).", exists=True, file_okay=False),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the run's summary (counts, seconds per stage) as JSON.")
    ] = None,
) -> None:
    """Fetch new messages (IMAP from the settings, or --from-dir), archive them, parse and load them."""
    _run_ingestion(from_dir, report)


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(help="A folder of .eml files, one .eml, an mbox file (Thunderbird export) or a Maildir.", exists=True)
    ],
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the run's summary (counts, seconds per stage) as JSON.")
    ] = None,
) -> None:
    """Import a local mailbox (format detected); the receipt time is the topmost Received header."""
    _run_ingestion(path, report)


def _run_ingestion(path: Path | None, report: Path | None) -> None:
    """As the `ingest_mailbox` flow or in process (`flows/policy.py`)."""
    from bilan.flows.policy import run_command

    _show_progress_logs()
    summary = run_command(
        "ingest:ingest_mailbox", {"from_dir": str(path) if path else None}, lambda: _ingest_in_process(path)
    )
    console.print(summary.describe(), soft_wrap=True)
    if report is not None:
        report.write_text(json.dumps(summary.to_json(), indent=1), encoding="utf-8")


def _ingest_in_process(path: Path | None):
    from bilan.extraction_pool import start_early

    settings = get_settings()
    extractors = start_early(settings)  # the models load while what follows is imported

    from bilan.ingestion import run_ingestion
    from bilan.pipeline import Pipeline
    from bilan.progress import progress_for

    with Pipeline.open(settings, extractors=extractors) as pipeline:
        return run_ingestion(pipeline, settings, path, progress_for(console))


@app.command()
def watch(
    dispatch: Annotated[
        bool, typer.Option("--dispatch", help="Only announce new mail (Prefect event); workers of the `ingest-on-new-mail` deployment ingest it.")
    ] = False,
    poll: Annotated[bool, typer.Option("--poll", help="Poll every BILAN_IMAP_POLL_SECONDS even if the server has IDLE.")] = False,
) -> None:
    """Watch the IMAP folder (IDLE, else polling) and ingest each message as soon as it arrives."""
    import signal

    from bilan.flows.watch import watcher as prefect_watcher
    from bilan.pipeline import Pipeline

    _show_progress_logs()
    settings = get_settings()
    with Pipeline.open(settings, warm_up=not dispatch) as pipeline:
        watcher = prefect_watcher(settings, pipeline, dispatch=dispatch, poll=poll)
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        try:
            total = watcher.run()
        except KeyboardInterrupt:
            watcher.stop()
            total = watcher.total
    console.print(f"stopped; {total.describe()}", soft_wrap=True)


@app.command()
def migrate() -> None:
    """Create the warehouse, or bring it to this version of bilan (tables, analyst views, campaign settings).

    Writing commands (ingest, import, watch, reprocess, reminders) do it themselves; status, export and report never do."""
    from bilan.storage.schema import head_revision

    _show_progress_logs()
    warehouse = _warehouse()
    console.print(
        f"warehouse ready: schema {head_revision()}, analyst views up to date, campaign "
        f"{warehouse.campaign.name!r} closing {warehouse.campaign.closes_at:%Y-%m-%d %H:%M} UTC", soft_wrap=True,
    )


@app.command()
def reprocess(
    department: Annotated[list[str], typer.Option("--department", "-d", help="Only messages for this department code (repeatable).")] = [],
    since: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only messages received on or after this day (campaign time zone).")] = None,
    until: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only messages received on or before this day.")] = None,
    kind: Annotated[list[str], typer.Option("--kind", "-k", help="Only messages of this kind, as last classified (repeatable).")] = [],
    only_failed: Annotated[bool, typer.Option("--only-failed", help="Only messages whose processing failed.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say how many messages match, change nothing.")] = False,
    shard: Annotated[str | None, typer.Option("--shard", metavar="I/N", help="Only part I (0 to N-1) of N of the selection, by sha256; run the N parts at once, on several processes or machines.")] = None,
    shards: Annotated[int | None, typer.Option("--shards", min=1, metavar="N", help="Split the selection in N parts run at once, each taking messages from one shared list as it goes: as N runs of the reprocess deployment on the workers of its pool when a Prefect API is configured (N=1 too: the work then runs on a worker, not here), else as N processes here.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the run's summary (counts, seconds per stage) as JSON.")] = None,
) -> None:
    """Parse and extract archived messages again (all, or a selection), without touching IMAP."""
    from bilan.flows.policy import prefect_api_configured, run_command
    from bilan.pipeline import Selection, Shard

    settings = get_settings()
    selection = Selection(
        departments=_known_departments(department),
        since=since.date() if since else None, until=until.date() if until else None,
        kinds=_known_kinds(kind), only_failed=only_failed, timezone=settings.campaign_timezone,
    )
    try:
        part = Shard.parse(shard) if shard else Shard()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--shard") from None
    if shards is not None and shard:
        raise typer.BadParameter("give --shard I/N (one part) or --shards N (all N parts), not both", param_hint="--shards")
    # Asked for parts: they run on the pool's workers when there is a Prefect
    # API, even one part (the worker's machine and cores, not this process's).
    in_parts = shards is not None and (shards > 1 or prefect_api_configured())
    what = selection.describe() + (f" ({part.describe()})" if part.count > 1 else f" (in {shards} part{'s' if shards > 1 else ''})" if in_parts else "")
    if dry_run:
        count = len(part.messages(_warehouse(), selection))
        console.print(f"{count} message(s) would be reprocessed ({what})")
        return
    _show_progress_logs()
    parameters = {
        "departments": list(selection.departments), "since": selection.since, "until": selection.until,
        "kinds": list(selection.kinds), "only_failed": only_failed, "shard": part.index, "shards": part.count,
    }
    if in_parts:
        from bilan.local_shards import reprocess_in_processes

        del parameters["shard"]
        summary = run_command(
            "reprocess:reprocess_in_shards", {**parameters, "shards": shards},
            lambda: reprocess_in_processes(settings, selection, shards),
        )  # fmt: skip
    else:
        summary = run_command(
            "reprocess:reprocess_messages", parameters, lambda: _reprocess_in_process(settings, selection, part)
        )
    if report is not None:
        report.write_text(json.dumps(summary.to_json(), indent=2), encoding="utf-8")
    console.print(f"reprocessed {what}: {summary.describe()}", soft_wrap=True)


def _reprocess_in_process(settings, selection, part):
    from bilan.extraction_pool import start_early

    extractors = start_early(settings)  # the models load while what follows is imported

    from bilan.pipeline import Pipeline, reprocess
    from bilan.progress import progress_for

    with Pipeline.open(settings, extractors=extractors) as pipeline:
        return reprocess(pipeline, selection, progress_for(console), part)


def _show_progress_logs() -> None:
    """Long commands say what they do (connections, progress) unless -v asked for more."""
    logger = logging.getLogger("bilan")
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)


def _known_region(region: str) -> str:
    """A region of the reference list (case-insensitive), or a BadInput that lists them."""
    from bilan.reference import departments

    regions = sorted({d.region for d in departments()})
    for known in regions:
        if known.casefold() == region.strip().casefold():
            return known
    raise BadInput(f"unknown region {region!r}: use one of {', '.join(regions)}")


def _known_departments(codes: list[str]) -> tuple[str, ...]:
    """Department codes of the reference list (`1` is `01`, `2a` is `2A`), or a BadInput."""
    from bilan.reference import departments

    known = {d.code for d in departments()}
    normalised = []
    for code in codes:
        value = code.strip().upper()
        value = value.zfill(2) if value.isdigit() and len(value) < 2 else value
        if value not in known:
            raise BadInput(f"unknown department code {code!r}: use an INSEE code such as 01, 2A, 75 or 974")
        normalised.append(value)
    return tuple(normalised)


def _known_kinds(kinds: list[str]) -> tuple[str, ...]:
    """Kinds of message the warehouse knows, or a BadInput that lists them."""
    from bilan.storage.views import KIND_LABELS

    for kind in kinds:
        if kind not in KIND_LABELS:
            raise BadInput(f"unknown kind of message {kind!r}: use one of {', '.join(KIND_LABELS)}")
    return tuple(kinds)


def _output_file(out: Path, example: str) -> Path:
    """`--out` must name a file, in a folder that can be created."""
    if out.is_dir():
        raise BadInput(f"--out {out} is a folder: give a file name, e.g. --out {out / example}")
    return out


def _output_folder(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise BadInput(
            f"--out {out} is a file: this format writes one file per view into a folder, e.g. --out exports/"
        )
    return out


class StatusFilter(str, Enum):
    on_time = "on_time"
    late = "late"
    missing = "missing"
    exempt = "exempt"


@app.command()
def status(
    only: Annotated[StatusFilter | None, typer.Option("--status", help="Show only this status.")] = None,
    region: Annotated[str | None, typer.Option(help="Show only this region (case-insensitive).")] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Add modality, unreadable files, messages to review and reminders sent (wide).")
    ] = False,
) -> None:
    """Print the 101 departments: status, first contribution, annexes received (1 2 3) and messages."""
    from bilan.storage.status import department_statuses

    region = _known_region(region) if region is not None else None
    warehouse = _warehouse(read_only=True)
    rows = department_statuses(warehouse.engine, warehouse.campaign)
    shown = [r for r in rows if (only is None or r.status == only.value) and (region is None or r.region == region)]
    table = Table(title=f"{warehouse.campaign.name} — deadline {warehouse.campaign.deadline:%d/%m/%Y}")
    columns = [
        "Code", "Department", "Region", "Status", "First contribution (Paris)", "Annexes", "Messages",
        "Doubtful senders",
    ]
    if details:
        columns += ["Modality", "Unreadable files", "Files read in part", "To review", "Reminders"]
    for column in columns:
        table.add_column(column, justify="right" if column in NUMBER_COLUMNS else "left")
    from zoneinfo import ZoneInfo

    paris = ZoneInfo(warehouse.campaign.timezone)
    for r in shown:
        first = r.first_contribution_at.astimezone(paris).strftime("%Y-%m-%d %H:%M") if r.first_contribution_at else ""
        style = STATUS_STYLES[r.status]
        annexes = " ".join(str(n) if n in r.annexes else "·" for n in (1, 2, 3))
        doubtful = f"[red]{r.doubtful_senders}[/]" if r.doubtful_senders else ""
        cells = [
            r.code, r.name, r.region, f"[{style}]{STATUS_LABELS[r.status]}[/]", first, annexes, str(r.messages),
            doubtful,
        ]
        if details:
            cells += [
                str(r.modality or ""), _nonzero(r.unreadable_files), _nonzero(r.files_read_in_part),
                _nonzero(r.flagged_for_review),
                _nonzero(r.reminders_sent),
            ]
        table.add_row(*cells)
    console.print(table)
    counts = {s: sum(1 for r in rows if r.status == s) for s in STATUS_LABELS}
    console.print(
        f"{len(rows)} departments: {counts['on_time']} on time, {counts['late']} late, {counts['missing']} missing"
        + (f", {counts['exempt']} exempt" if counts["exempt"] else "")
    )
    doubtful = sum(r.doubtful_senders for r in rows)
    if doubtful:
        console.print(
            f"[red]{doubtful} contribution(s) from a doubtful sender[/] (authentication failed, or not the "
            "department's mail domain): counted, and listed in review_queue with the reason", soft_wrap=True,
        )


class ExportFormat(str, Enum):
    json = "json"
    xlsx = "xlsx"
    csv = "csv"
    parquet = "parquet"


class CsvDialectName(str, Enum):
    excel_fr = "excel-fr"
    rfc4180 = "rfc4180"


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write (json, xlsx) or folder (csv, parquet: one file per view).")],
    format: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = ExportFormat.json,
    csv_dialect: Annotated[
        CsvDialectName,
        typer.Option(
            "--csv-dialect",
            help="excel-fr: UTF-8 with BOM and `;`, opens in French Excel; rfc4180: UTF-8 and commas, for tools.",
        ),
    ] = CsvDialectName.excel_fr,
) -> None:
    """Write the warehouse: json = the export contract; xlsx, csv, parquet = the analyst views (see the README)."""
    if format in (ExportFormat.json, ExportFormat.xlsx):
        _output_file(out, f"bilan.{format.value}")
    else:
        _output_folder(out)
    if format is not ExportFormat.json:
        from bilan.storage.view_export import export_views

        warehouse = _warehouse(read_only=True)
        written = export_views(warehouse.engine, format.value, out, warehouse.campaign.timezone, csv_dialect.value)
        console.print(f"{len(written)} file(s) written: " + ", ".join(str(path) for path in written), soft_wrap=True)
        return
    from bilan.storage.export import export_contract

    data = export_contract(_warehouse(read_only=True))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    console.print(f"{len(data['messages'])} messages written to {out}")


@app.command()
def reminders(
    out: Annotated[Path, typer.Option("--out", help="Folder for the list (relances.xlsx, relances.csv) and the .eml drafts.")] = Path("relances"),
    send: Annotated[bool, typer.Option("--send", help="Send the reminders through the SMTP server (default: dry run).")] = False,
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="CSV of contacts (department, email); default: BILAN_REMINDER_CONTACTS.", exists=True, dir_okay=False)
    ] = None,
    template: Annotated[
        Path | None, typer.Option("--template", help="E-mail template (Jinja2, French); default: BILAN_REMINDER_TEMPLATE or the built-in one.", exists=True, dir_okay=False)
    ] = None,
    on: Annotated[
        dt.datetime | None,
        typer.Option("--date", help="Draft as if today were this date (rehearsal; not with --send).", formats=["%Y-%m-%d"]),
    ] = None,
) -> None:
    """List the departments to chase, draft one French reminder each, and send them with --send.

    Before the deadline: departments that have not answered; after it, also those whose
    contribution lacks a required annex. Nobody is reminded twice the same day."""
    from zoneinfo import ZoneInfo

    from bilan.flows.policy import run_command
    from bilan.outgoing.reminders import run_reminders

    if on is not None and send:
        raise typer.BadParameter("--date is for rehearsals; it cannot be used with --send", param_hint="--date")
    settings = get_settings()
    warehouse = _warehouse()
    now = dt.datetime.now(dt.UTC)
    if on is not None:
        now = dt.datetime.combine(on.date(), dt.time(9), tzinfo=ZoneInfo(warehouse.campaign.timezone))
    parameters = {"out_dir": str(out), "send_now": send, "contacts": str(contacts) if contacts else None,
                  "template": str(template) if template else None, "now": now}  # fmt: skip
    run = run_command(
        "remind:remind", parameters,
        lambda: run_reminders(warehouse, settings, now, out, send=send, contacts=contacts, template=template),
    )  # fmt: skip
    table = Table(title="Departments to remind")
    for column in ("Code", "Department", "Reason", "Missing annexes", "Unreadable files", "Recipients"):
        table.add_column(column)
    for draft in run.drafts:
        table.add_row(
            draft.department.code, draft.department.name, draft.reason,
            " ".join(str(n) for n in draft.missing_annexes), str(len(draft.unreadable) or ""),
            ", ".join(draft.recipients) or "[red]none[/]",
        )
    console.print(table)
    console.print(f"list and drafts written to {out}/ (relances.xlsx, relances.csv, {len(run.drafts)} .eml)", soft_wrap=True)
    console.print(run.describe(send), soft_wrap=True)
    for code, error in run.failed.items():
        console.print(f"[red]{code}: {error}[/]", soft_wrap=True)
    if run.failed:
        raise typer.Exit(1)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("rapport.html"),
) -> None:
    """Write the dashboard: one self-contained HTML file (map, progress, recommendations, late and missing)."""
    from bilan.dashboard import write_report

    out = _output_file(out, "rapport.html")  # a wrong --out is said before the warehouse is opened
    path = write_report(_warehouse(read_only=True), out)
    console.print(f"dashboard written to {path.resolve()}", soft_wrap=True)


corrections_app = typer.Typer(
    cls=TyperGroup,
    help="Corrections people made (departments, kinds, annex cells, recommendations, exempt departments): "
    "list, undo, export and import them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(corrections_app, name="corrections")


def _author(author: str | None) -> str:
    import getpass

    return author or getpass.getuser()


AUTHOR_HELP = "Who makes the change (default: your login name)."


@app.command()
def correct(
    subject: Annotated[str, typer.Argument(help="message_departments, message_kind, message_modality, message_supersedes, message_complements, annex_cell, annex_row, recommendation, department_exempt, or message_review (value `checked`: a person looked and the values in force are right; the message leaves review_queue).")],
    target: Annotated[str, typer.Argument(help="A message's sha256, <sha256>/annexe1/<position>, <sha256>/recommendation/<position>, or a department code.")],
    value: Annotated[str, typer.Argument(help='The new value, as JSON (\'["01", "2A"]\', true, 3, null, \'{"rejected": true}\') or as plain text (checked).')],
    field: Annotated[str | None, typer.Option("--field", help="The annex column, or status / text / theme of a recommendation.")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the correction).")] = "",
    author: Annotated[str | None, typer.Option("--author", help=AUTHOR_HELP)] = None,
) -> None:
    """Make one correction, laid over what extraction found everywhere (views, status, exports, reminders, dashboard) and kept through reprocessing."""
    from bilan.storage.corrections import CorrectionRequest

    warehouse = _warehouse()
    request = CorrectionRequest(subject, target, _json_or_text(value), _author(author), reason, field)
    correction_id = warehouse.apply_correction(request)
    console.print(f"correction #{correction_id} recorded (undo it with `bilan corrections undo {correction_id}`)", soft_wrap=True)


def _json_or_text(value: str):
    """A command-line value: JSON when it reads as JSON, else the text itself."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


@corrections_app.command("list")
def corrections_list(
    target: Annotated[str | None, typer.Option("--target", help="Only the corrections of this target.")] = None,
    message: Annotated[str | None, typer.Option("--message", help="Only those of this message (sha256): its values, annex rows and recommendations.")] = None,
    include_undone: Annotated[bool, typer.Option("--all", help="Undone corrections too.")] = False,
) -> None:
    """List the corrections, oldest first: in force, replaced by a newer one, undone, or not applying (target gone)."""
    warehouse = _warehouse(read_only=True)
    rows = warehouse.list_corrections(target=target, include_undone=include_undone, message=message)
    table = Table(title="Corrections")
    for column in ("#", "Made (UTC)", "By", "Subject", "Target", "Field", "Old", "New", "State", "Reason"):
        table.add_column(column, justify="right" if column == "#" else "left")
    for row in rows:
        table.add_row(
            str(row.id), f"{row.made_at:%Y-%m-%d %H:%M}", row.author, row.subject, _short_target(row.target),
            row.field or "", _shown(row.old_value), _shown(row.new_value), _correction_state(row), row.reason,
        )
    console.print(table)
    console.print(f"{len(rows)} correction(s)")


def _short_target(target: str) -> str:
    """A sha256 shortened to 12 digits, as git shows commits."""
    head, _, rest = target.partition("/")
    return (head[:12] + "…" if len(head) == 64 else head) + (f"/{rest}" if rest else "")


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _correction_state(row) -> str:
    if row.undone_at is not None:
        return f"undone by {row.undone_by} {row.undone_at:%Y-%m-%d %H:%M}"
    if not row.applies:
        return "[red]not applying (target gone)[/]"
    return "in force" if row.in_force else "replaced by a newer one"


@corrections_app.command("undo")
def corrections_undo(
    correction_id: Annotated[int, typer.Argument(metavar="ID", help="The correction's number (`bilan corrections list`).")],
    author: Annotated[str | None, typer.Option("--author", help=AUTHOR_HELP)] = None,
) -> None:
    """Undo a correction: it stays in the list, marked undone; the previous value shows again."""
    _warehouse().undo_correction(correction_id, _author(author))
    console.print(f"correction #{correction_id} undone")


@corrections_app.command("export")
def corrections_export(
    out: Annotated[Path | None, typer.Option("--out", help="JSON file to write (default: standard output).")] = None,
) -> None:
    """Write every correction, undone ones included, as JSON (for `bilan corrections import` into another warehouse)."""
    document = _warehouse(read_only=True).export_corrections()
    data = json.dumps(document, ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(data)
        return
    _output_file(out, "corrections.json").parent.mkdir(parents=True, exist_ok=True)
    out.write_text(data + "\n", encoding="utf-8")
    console.print(f"{len(document['corrections'])} correction(s) written to {out}", soft_wrap=True)


@corrections_app.command("import")
def corrections_import(
    file: Annotated[Path, typer.Argument(help="A file written by `bilan corrections export`.", exists=True, dir_okay=False)],
) -> None:
    """Add the corrections of an exported file that this warehouse lacks; importing the same file twice changes nothing."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadInput(f"{file} is not JSON: write one with `bilan corrections export --out FILE`") from None
    result = _warehouse().import_corrections(document)
    console.print(result.describe(), soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only; put a reverse proxy with TLS in front).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web application (French): campaign, departments, messages, review queue, search and corrections.

    Reads the warehouse live at every request; needs an account (`bilan user add NAME --role admin`)."""
    import uvicorn

    from bilan.web.app import create_app

    _show_progress_logs()
    application = create_app(get_settings())
    console.print(f"bilan web application on http://{host}:{port}/ (Ctrl-C to stop)", soft_wrap=True)
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=False, server_header=False,
                proxy_headers=False)  # fmt: skip


user_app = typer.Typer(help="Accounts of the web application (`bilan serve`).", no_args_is_help=True)
app.add_typer(user_app, name="user")


class AccountRole(str, Enum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"


def _new_password(password_stdin: bool) -> str:
    """From standard input (one line), from BILAN_USER_PASSWORD, or typed twice at a prompt."""
    import os
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("BILAN_USER_PASSWORD"):
        return os.environ["BILAN_USER_PASSWORD"]
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Account name (letters, digits, '.', '_', '@', '-').")],
    role: Annotated[AccountRole, typer.Option("--role", help="viewer: reads, without personal data; editor: also corrects and downloads files; admin: also manages accounts.")] = AccountRole.viewer,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="No password: the account logs in only through the reverse proxy's trusted header.")] = False,
) -> None:
    """Create an account of the web application, or set the role and password of an existing one."""
    from bilan.storage.accounts import checked_name, save_account
    from bilan.web.auth import hash_password

    checked_name(name)
    password_hash = None if no_password else hash_password(_new_password(password_stdin))
    account = save_account(_warehouse().engine, name, role.value, password_hash)
    console.print(f"account {account.name!r} saved, role {account.role}", soft_wrap=True)


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="Account name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")] = False,
) -> None:
    """Set the password of an account (its open sessions end)."""
    from bilan.storage.accounts import set_password_hash
    from bilan.web.auth import hash_password

    if not set_password_hash(_warehouse().engine, name, hash_password(_new_password(password_stdin))):
        raise BadInput(f"there is no account {name!r}: create it with `bilan user add {name}`")
    console.print(f"password of {name!r} changed")


@user_app.command("list")
def user_list() -> None:
    """List the accounts and their roles."""
    from bilan.storage.accounts import list_accounts

    with _warehouse(read_only=True).engine.connect() as connection:
        for account in list_accounts(connection):
            typer.echo(f"{account.name}\t{account.role}\t{'password' if account.password_hash else 'trusted header only'}")


@user_app.command("remove")
def user_remove(name: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Remove an account (it can no longer log in; its corrections stay, under its name)."""
    from bilan.storage.accounts import remove_account

    if not remove_account(_warehouse().engine, name):
        raise BadInput(f"there is no account {name!r}")
    console.print(f"account {name!r} removed")


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="Labelled folder (with truth/ and departments.json).", exists=True)],
    export_file: Annotated[Path, typer.Option("--export", help="A file written by `bilan export --format json`.", exists=True, dir_okay=False)],
) -> None:
    """Compare an export with labelled data and print the quality metrics, one per line."""
    from bilan.evaluate import evaluate as compute
    from bilan.evaluate import format_metrics

    if not (truth / "departments.json").is_file() or not (truth / "truth").is_dir():
        raise BadInput(f"--truth {truth} is not a labelled folder: it must hold departments.json and truth/")
    try:
        export = json.loads(export_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadInput(
            f"--export {export_file} is not a JSON export: write one with `bilan export --format json --out FILE`"
        ) from None
    if not isinstance(export, dict) or "messages" not in export:
        raise BadInput(f"--export {export_file} is JSON but not a `bilan export --format json` file (no messages)")
    metrics = compute(truth, export)
    typer.echo(format_metrics(metrics))


@app.command("train-themes")
def train_themes(
    data: Annotated[Path | None, typer.Option("--data", help="Labelled sentences (JSON lines); default: the project's own set.", exists=True, dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Model folder to write; default: the one the pipeline loads.", file_okay=False)] = None,
) -> None:
    """Train the recommendation theme classifier and print its accuracy on held-out sentences."""
    from bilan.nlp.theme_training import train_theme_model
    from bilan.nlp.themes import MODEL_DIR, TRAINING_DATA

    metrics = train_theme_model(data or TRAINING_DATA, out or MODEL_DIR)
    typer.echo(metrics.describe())


if __name__ == "__main__":
    app()
