"""Hostile suite: what anyone may send to a public address, ingested for real.

Builds the hostile corpus (`bench/hostile_corpus.py`: huge, many and
poisoned headers, NUL bytes, deep MIME nesting, 10,000 parts, ZIP, XML,
table and pixel bombs, odd encodings, injection payloads), then ingests each
message with `bilan ingest --from-dir` in a process of its own, into a
fresh SQLite warehouse of its own (or PostgreSQL database with
`--postgres`: a message that fails would otherwise be tried again by the
next run's backlog, and its cost counted twice), sampling the
process tree (`bench/proctree.py`). Prints per message: what became of it
(processed, failed, missing), its attachments' statuses, its review reason
(where the limits it hit are said), wall seconds, peak RSS of the main
process and of the tree; then checks the targets of issue 17: one row and
one archive copy per message, no traceback, each message under 60 s, the
main process within 200 MiB of the plain contribution's peak.

    .venv/bin/python bench/hostile.py [--only NAME ...] [--postgres] [--together] [--keep DIR]

"wall s" counts the process start and the loading of the language model
(on a busy machine, most of it); "stages s" only the message's parse,
extract and load stages (extract still waits for the model's loading in
the background to finish: compare with the plain contribution's). `--together` instead ingests the whole folder in one run (as a mailbox
would be), and prints that run's wall time, peaks and rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.hostile_corpus import FAMILIES  # noqa: E402
from bench.proctree import TreeUsage, run_sampled  # noqa: E402

BILAN = REPO / ".venv" / "bin" / "bilan"
#: Targets of issue 17.
MAX_SECONDS = 60.0
RSS_MARGIN_MIB = 200.0


@dataclass
class Outcome:
    name: str
    usage: TreeUsage | None
    exit_code: int
    traceback: bool
    #: What the warehouse holds for it (see `describe_rows`).
    found: dict | None = None
    #: Seconds of the message's own stages (parse, extract, load): the wall
    #: time less the process start and the model loading.
    stage_seconds: float | None = None


def build_corpus(folder: Path, names: list[str]) -> dict[str, Path]:
    """One `.eml` per family, in its own folder (each is ingested alone)."""
    paths: dict[str, Path] = {}
    for name in names:
        started = time.perf_counter()
        raw = FAMILIES[name]()
        target = folder / name / f"{name}.eml"
        target.parent.mkdir(parents=True)
        target.write_bytes(raw)
        paths[name] = target
        print(f"built {name}: {len(raw) / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return paths


def ingest(path: Path, env: dict[str, str], log: Path) -> tuple[TreeUsage | None, int, bool]:
    """`bilan ingest --from-dir` on one folder, sampled; (usage, exit code, traceback seen).
    The run's summary goes to `log` with the suffix `.json` (seconds per stage)."""
    command = [str(BILAN), "ingest", "--from-dir", str(path), "--report", str(log.with_suffix(".json"))]
    with log.open("wb") as output:
        usage = run_sampled(command, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
    return usage, usage.exit_code, b"Traceback (most recent call last)" in log.read_bytes()


def describe_rows(database_url: str) -> dict:
    """What a warehouse of one message holds: its rows (one expected), the
    message's status, attachments and review reason. (The message is found
    by its row, not by the file's sha256: a source may normalise line ends.)"""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, sha256, processed_at, process_error, review_reason FROM message")
            ).all()
            statuses: dict[str, int] = {}
            errors: list[str] = []
            if rows:
                for status, error in connection.execute(
                    text("SELECT parse_status, parse_error FROM attachment WHERE message_id = :m"), {"m": rows[0].id}
                ):
                    statuses[status] = statuses.get(status, 0) + 1
                    if error and error not in errors:
                        errors.append(error)
    except Exception as exc:  # no schema: the run died before creating it
        return {"rows": 0, "row": None, "attachments": {}, "errors": [], "error": str(exc)}
    finally:
        engine.dispose()
    return {"rows": len(rows), "row": rows[0] if rows else None, "attachments": statuses, "errors": errors}


def message_status(row) -> str:
    if row is None:
        return "MISSING"
    if row.process_error:
        return "failed: " + row.process_error.splitlines()[-1][:60]
    return "processed" if row.processed_at is not None else "archived only"


def print_table(outcomes: list[Outcome], workdir: Path) -> list[str]:
    """The per-message table; returns the targets missed."""
    reference = next((o.usage.peak_main_rss_mib for o in outcomes if o.name == "plain" and o.usage), None)
    missed: list[str] = []
    header = (f"{'message':<28} {'status':<14} {'rows':>4} {'arch':>4} {'wall s':>7} {'stages s':>8} {'main MiB':>9} "
              f"{'tree MiB':>9}  attachments / limits")  # fmt: skip
    print(header)
    print("-" * len(header))
    for outcome in outcomes:
        found = outcome.found
        row = found["row"]
        archived = row is not None and (workdir / outcome.name / "archive" / f"{row.sha256}.eml").exists()
        usage = outcome.usage
        wall = f"{usage.wall_seconds:7.1f}" if usage else "    n/a"
        stages = f"{outcome.stage_seconds:8.1f}" if outcome.stage_seconds is not None else "     n/a"
        main = f"{usage.peak_main_rss_mib:9.0f}" if usage else "      n/a"
        tree = f"{usage.peak_tree_rss_mib:9.0f}" if usage else "      n/a"
        status = message_status(found["row"])
        attachments = " ".join(f"{s}x{n}" for s, n in sorted(found["attachments"].items()))
        reason = (found["row"].review_reason or "") if found["row"] is not None else ""
        limits = "; ".join([*(part for part in reason.split("; ") if "limit" in part), *found["errors"][:2]])
        print(f"{outcome.name:<28} {status[:14]:<14} {found['rows']:>4} {'yes' if archived else 'NO':>4} "
              f"{wall} {stages} {main} {tree}  {attachments} {limits[:160]}")  # fmt: skip
        if found["rows"] != 1 or not archived:
            missed.append(f"{outcome.name}: {found['rows']} row(s), archive copy {'present' if archived else 'absent'}")
        if outcome.traceback or outcome.exit_code:
            missed.append(f"{outcome.name}: exit code {outcome.exit_code}, traceback {'yes' if outcome.traceback else 'no'}")
        if usage and usage.wall_seconds > MAX_SECONDS:
            missed.append(f"{outcome.name}: {usage.wall_seconds:.0f} s (target {MAX_SECONDS:.0f} s)")
        if usage and reference and usage.peak_main_rss_mib > reference + RSS_MARGIN_MIB:
            missed.append(f"{outcome.name}: main process {usage.peak_main_rss_mib:.0f} MiB "
                          f"(plain contribution {reference:.0f} MiB + {RSS_MARGIN_MIB:.0f})")  # fmt: skip
    return missed


def fresh_database(workdir: Path, postgres: bool, label: str) -> tuple[str, callable]:
    """A new empty warehouse URL, and how to drop it afterwards."""
    if not postgres:
        return f"sqlite:///{workdir / 'bilan.db'}", lambda: None
    import psycopg

    name = f"bilan_hostile_{os.getpid()}_{label.replace('-', '_')}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(FAMILIES), help="these families only (plain is always run)")
    parser.add_argument("--postgres", action="store_true", help="a fresh database on the local PostgreSQL")
    parser.add_argument("--together", action="store_true", help="ingest the whole folder in one run instead")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (corpus, warehouse, logs)")
    args = parser.parse_args()
    names = list(FAMILIES) if not args.only else ["plain", *[n for n in args.only if n != "plain"]]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bilan-hostile-"))
    if args.keep and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        paths = build_corpus(workdir / "corpus", names)
        if args.together:
            run_together(paths, workdir)
            return
        outcomes = [ingest_alone(name, path, workdir / name, args.postgres) for name, path in paths.items()]
        missed = print_table(outcomes, workdir)
        print()
        print("targets: all met" if not missed else "targets missed:\n  " + "\n  ".join(missed))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def ingest_alone(name: str, path: Path, workdir: Path, postgres: bool) -> Outcome:
    """One message into a warehouse and an archive of its own."""
    workdir.mkdir()
    database_url, drop = fresh_database(workdir, postgres, name)
    env = {**os.environ, "BILAN_DATABASE_URL": database_url, "BILAN_ARCHIVE_DIR": str(workdir / "archive")}
    env.pop("PREFECT_API_URL", None)
    try:
        usage, code, traceback = ingest(path.parent, env, workdir / "ingest.log")
        outcome = Outcome(name, usage, code, traceback)
        outcome.found = describe_rows(database_url)
        report = workdir / "ingest.json"
        if report.exists():
            seconds = json.loads(report.read_text()).get("seconds", {})
            outcome.stage_seconds = sum(seconds.get(stage, 0.0) for stage in ("parse", "extract", "load"))
    finally:
        drop()
    print(f"ingested {name}: exit {code}, {usage.wall_seconds if usage else 0:.1f} s", file=sys.stderr)
    return outcome


def run_together(paths: dict[str, Path], workdir: Path) -> None:
    """The whole folder in one run, into a warehouse of its own."""
    folder = workdir / "together"
    folder.mkdir()
    for path in paths.values():
        shutil.copy(path, folder / path.name)
    env = {**os.environ, "BILAN_DATABASE_URL": f"sqlite:///{workdir / 'together.db'}",
           "BILAN_ARCHIVE_DIR": str(workdir / "together-archive")}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    usage, code, traceback = ingest(folder, env, workdir / "together.log")
    from sqlalchemy import create_engine, text

    engine = create_engine(env["BILAN_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*), count(processed_at) FROM message")).one()
    engine.dispose()
    print(f"whole folder in one run ({len(paths)} messages): {usage.wall_seconds:.1f} s, main process "
          f"{usage.peak_main_rss_mib:.0f} MiB, tree {usage.peak_tree_rss_mib:.0f} MiB, exit code {code}, "
          f"traceback {'yes' if traceback else 'no'}; {rows[0]} rows, {rows[1]} processed")  # fmt: skip


if __name__ == "__main__":
    main()
