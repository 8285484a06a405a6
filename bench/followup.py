"""Benchmark: how long `bilan report` and `bilan export` (each format) take on
the dev corpus.

Ingests the corpus into a fresh SQLite warehouse (or reuses one given with
--database), then runs each command several times in a new process, as a
user would, and prints the wall time (median and best), and the time of the
library call alone (without Python start-up and imports).

    .venv/bin/python bench/followup.py [--corpus ../shared/corpus/dev] [--runs 3] [--database sqlite:////tmp/x/bilan.db]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BILAN = str(Path(sys.executable).parent / "bilan")
COMMANDS = {
    "report": ["report", "--out", "{out}/rapport.html"],
    "export json": ["export", "--format", "json", "--out", "{out}/export.json"],
    "export xlsx": ["export", "--format", "xlsx", "--out", "{out}/bilan.xlsx"],
    "export csv": ["export", "--format", "csv", "--out", "{out}/csv"],
    "export parquet": ["export", "--format", "parquet", "--out", "{out}/parquet"],
}


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([BILAN, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def library_seconds(env: dict[str, str], out: Path) -> dict[str, float]:
    """The same work called in-process, after the imports and the warehouse are warm."""
    os.environ.update(env)
    from bilan.dashboard import build_report
    from bilan.settings import get_settings
    from bilan.storage.export import export_contract
    from bilan.storage.view_export import export_views
    from bilan.storage.warehouse import Warehouse

    warehouse = Warehouse.open(get_settings())
    calls = {
        "report": lambda: build_report(warehouse),
        "export json": lambda: export_contract(warehouse),
        "export xlsx": lambda: export_views(warehouse.engine, "xlsx", out / "lib.xlsx"),
        "export csv": lambda: export_views(warehouse.engine, "csv", out / "lib-csv"),
        "export parquet": lambda: export_views(warehouse.engine, "parquet", out / "lib-parquet"),
    }
    seconds = {}
    for name, call in calls.items():
        call()  # warm
        start = time.perf_counter()
        call()
        seconds[name] = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev")))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", help="reuse this warehouse instead of ingesting the corpus")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bilan-followup-"))
    database = arguments.database or f"sqlite:///{workdir / 'bilan.db'}"
    env = {**os.environ, "BILAN_DATABASE_URL": database, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if not arguments.database:
        env["BILAN_ARCHIVE_DIR"] = str(workdir / "archive")
        print(f"ingesting {arguments.corpus / 'messages'} into {database} ...", flush=True)
        start = time.perf_counter()
        subprocess.run([BILAN, "ingest", "--from-dir", str(arguments.corpus / "messages")], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"ingest: {time.perf_counter() - start:.1f} s")
    print(f"warehouse: {database}; {arguments.runs} run(s) per command, in a new process each")
    print(f"{'command':<16} {'median s':>9} {'best s':>8} {'library s':>10}")
    library = library_seconds(env, workdir)
    for name, template in COMMANDS.items():
        args = [part.format(out=workdir) for part in template]
        runs = [timed(args, env) for _ in range(arguments.runs)]
        print(f"{name:<16} {statistics.median(runs):>9.2f} {min(runs):>8.2f} {library[name]:>10.3f}")
    print(f"outputs in {workdir}")


if __name__ == "__main__":
    main()
