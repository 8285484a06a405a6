"""Benchmark: cold ingestion of the whole dev corpus from a real IMAP server.

Appends every message of the corpus to a fresh Dovecot mailbox (INTERNALDATE
set from the topmost Received header), then runs `bilan ingest` in a new
process against a fresh SQLite warehouse, and prints messages/s,
attachments/s, total seconds, seconds per stage and peak RSS.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpus/dev] [--runs 1] [--flow]

`--flow` runs the Prefect flow `ingest_mailbox` with no server configured,
i.e. with the temporary Prefect server it then starts (what `bilan ingest`
did before it learnt to skip Prefect when no API is configured).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dovecot import DovecotServer  # noqa: E402

STAGES = ("fetch", "archive", "parse", "extract", "load")


FLOW = (
    "import json, sys; from bilan.flows.ingest import ingest_mailbox; "
    "open(sys.argv[1], 'w').write(json.dumps(ingest_mailbox().to_json()))"
)


def run_once(corpus: Path, workdir: Path, via_flow: bool = False) -> dict:
    messages = sorted((corpus / "messages").glob("*.eml"))
    with DovecotServer(workdir / "dovecot") as server:
        server.append_many(messages)
        report = workdir / "report.json"
        env = {
            **os.environ,
            "BILAN_DATABASE_URL": f"sqlite:///{workdir / 'bilan.db'}",
            "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
            "BILAN_IMAP_HOST": server.host,
            "BILAN_IMAP_PORT": str(server.port),
            "BILAN_IMAP_USER": server.user,
            "BILAN_IMAP_PASSWORD": server.password,
            "BILAN_IMAP_SSL": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        env.pop("PREFECT_API_URL", None)
        command = [str(REPO / ".venv" / "bin" / "bilan"), "ingest", "--report", str(report)]
        if via_flow:
            command = [str(REPO / ".venv" / "bin" / "python"), "-c", FLOW, str(report)]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = time.perf_counter() - start
    summary = json.loads(report.read_text())
    summary["total_seconds"] = total
    summary["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--flow", action="store_true", help="run the Prefect flow with a temporary server")
    args = parser.parse_args()
    if not any((args.corpus / "messages").glob("*.eml")):
        raise SystemExit(f"no messages in {args.corpus / 'messages'} (give --corpus or BILAN_CORPUS_DIR)")
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bilan-bench-") as workdir:
            results.append(run_once(args.corpus, Path(workdir), via_flow=args.flow))
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
    print(f"outside_stages_seconds: {total - staged:.2f}  (process start, imports, Prefect, spaCy load)")
    print(f"peak_rss_mib: {max(r['peak_rss_mib'] for r in results):.0f}")


if __name__ == "__main__":
    main()
