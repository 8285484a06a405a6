"""Benchmark: cold ingestion of the whole dev corpus from a real IMAP server.

Appends every message of the corpus to a fresh Dovecot mailbox (INTERNALDATE
set from the topmost Received header), then runs `bilan ingest` in a new
process against a fresh SQLite warehouse, and prints messages/s,
attachments/s, total seconds (process start, imports and model loading
included), seconds per stage, and the memory and CPU of the whole process
tree: peak RSS of the main process, peak of the sum of RSS and of PSS over
the main process and its parser workers (sampled, see `bench/proctree.py`),
CPU seconds of the main process and of the workers.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpus/dev] [--runs 3] [--from-dir] [--server | --flow]

`--from-dir` runs `bilan ingest --from-dir` on the corpus folder instead of
IMAP (no Dovecot). `--server` starts `prefect server start` first (not
timed: in production it is already running) and sets PREFECT_API_URL, so
that `bilan ingest` runs as the Prefect flow `ingest_mailbox`, recorded by
the server. `--flow` runs that flow with no server configured, i.e. with the
temporary Prefect server it then starts (what `bilan ingest` did before it
learnt to skip Prefect when no API is configured).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.proctree import run_sampled  # noqa: E402
from tests.dovecot import DovecotServer  # noqa: E402
from tests.processes import PrefectServer, stop_group  # noqa: E402

STAGES = ("fetch", "archive", "parse", "extract", "load")


FLOW = (
    "import json, sys; from bilan.flows.ingest import ingest_mailbox; "
    "open(sys.argv[1], 'w').write(json.dumps(ingest_mailbox().to_json()))"
)


def run_once(corpus: Path, workdir: Path, via_flow: bool = False, from_dir: bool = False,
             with_server: bool = False) -> dict:  # fmt: skip
    messages = sorted((corpus / "messages").glob("*.eml"))
    report = workdir / "report.json"
    env = {
        **os.environ,
        "BILAN_DATABASE_URL": f"sqlite:///{workdir / 'bilan.db'}",
        "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    with contextlib.ExitStack() as stack:
        if with_server:
            prefect = PrefectServer(workdir / "prefect-home")
            stack.callback(stop_group, prefect.process)
            prefect.wait_healthy()
            env.update({"PREFECT_HOME": prefect.env["PREFECT_HOME"], "PREFECT_API_URL": prefect.api_url})
        if from_dir:
            source = ["--from-dir", str(corpus / "messages")]
        else:
            server = stack.enter_context(DovecotServer(workdir / "dovecot"))
            server.append_many(messages)
            env.update({
                "BILAN_IMAP_HOST": server.host,
                "BILAN_IMAP_PORT": str(server.port),
                "BILAN_IMAP_USER": server.user,
                "BILAN_IMAP_PASSWORD": server.password,
                "BILAN_IMAP_SSL": "false",
            })  # fmt: skip
            source = []
        command = [str(REPO / ".venv" / "bin" / "bilan"), "ingest", *source, "--report", str(report)]
        if via_flow:
            command = [str(REPO / ".venv" / "bin" / "python"), "-c", FLOW, str(report)]
            if from_dir:
                raise SystemExit("--flow reads the IMAP mailbox only")
        usage = run_sampled(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary = json.loads(report.read_text())
    summary["total_seconds"] = usage.wall_seconds
    summary["peak_main_rss_mib"] = usage.peak_main_rss_mib
    summary["peak_tree_rss_mib"] = usage.peak_tree_rss_mib
    summary["peak_tree_pss_mib"] = usage.peak_tree_pss_mib
    summary["cpu_main_seconds"] = usage.cpu_main_seconds
    summary["cpu_workers_seconds"] = usage.cpu_children_seconds
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--flow", action="store_true", help="run the Prefect flow with a temporary server")
    parser.add_argument("--from-dir", action="store_true", help="ingest the corpus folder instead of IMAP")
    parser.add_argument("--server", action="store_true", help="with a running Prefect server (the flow is recorded)")
    args = parser.parse_args()
    if args.server and args.flow:
        parser.error("--server and --flow exclude each other")
    if not any((args.corpus / "messages").glob("*.eml")):
        raise SystemExit(f"no messages in {args.corpus / 'messages'} (give --corpus or BILAN_CORPUS_DIR)")
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bilan-bench-") as workdir:
            results.append(run_once(args.corpus, Path(workdir), via_flow=args.flow, from_dir=args.from_dir,
                                    with_server=args.server))  # fmt: skip
    median = statistics.median
    total = median(r["total_seconds"] for r in results)
    messages = results[0]["new"]
    attachments = sum(results[0]["attachments"].values())
    print(f"runs: {len(results)} (median shown)")
    print(f"messages: {messages}")
    print(f"attachments: {attachments}")
    print(f"total_seconds: {total:.2f}")
    print(f"messages_per_second: {messages / total:.1f}")
    print(f"attachments_per_second: {attachments / total:.1f}")
    for stage in STAGES:
        print(f"stage_{stage}_seconds: {median(r['seconds'].get(stage, 0.0) for r in results):.2f}")
    staged = median(sum(r["seconds"].values()) for r in results)
    print(f"outside_stages_seconds: {total - staged:.2f}  (process start, imports; the models load in the background)")
    print(f"cpu_main_seconds: {median(r['cpu_main_seconds'] for r in results):.1f}")
    print(f"cpu_workers_seconds: {median(r['cpu_workers_seconds'] for r in results):.1f}")
    runs = " ".join(f"{r['total_seconds']:.1f}" for r in results)
    print(f"all_runs_total_seconds: {runs}")
    # Memory: the largest of the runs, not the median.
    print(f"peak_main_rss_mib: {max(r['peak_main_rss_mib'] for r in results):.0f}")
    print(f"peak_tree_rss_mib: {max(r['peak_tree_rss_mib'] for r in results):.0f}  (main + parser workers, RSS summed)")
    print(f"peak_tree_pss_mib: {max(r['peak_tree_pss_mib'] for r in results):.0f}  (the same, shared pages counted once)")


if __name__ == "__main__":
    main()
