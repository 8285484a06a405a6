"""Benchmark: `bilan serve` on a large warehouse. How long each page takes
to answer, and a correction's round trip.

The warehouse is the dev corpus replicated to N messages (copy k of a
message gets fresh Message-IDs and its own sha256, `tests/replicas.py`, as
in bench/reprocess.py), archived, then processed by `bilan reprocess` in a
process of its own (not timed here: bench/reprocess.py times it). Then
`bilan serve` is started as its own process on a free port of 127.0.0.1,
an editor logs in through the login form, and each page is requested
`--requests` times, one request at a time (a person's clicks, not a load
test), over a keep-alive connection:

    campaign     /                           (the dashboard's figures, map, lists)
    department   /departements/<code>        (the departments with most messages, in turn)
    message      /messages/<id>              (messages spread over the warehouse)
    review       /a-verifier
    search       /recherche?q=<word>         (words of the corpus, in turn)
    correction   POST /corrections (a message's departments, set to what they are), then the
                 department page that shows it, then POST undo, then that page again

Printed, not asserted: p50 and p95 in milliseconds per page, the
warehouse's size, and notes on the machine (cores, load average: the
machine may be shared, and figures are noisy).

    .venv/bin/python bench/serve.py --messages 10000 --databases sqlite,postgresql
    .venv/bin/python bench/serve.py --messages 200 --requests 5     # a quick check
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.reprocess import archive_all, corpus_messages, fresh_database  # noqa: E402
from tests.replicas import replicated  # noqa: E402
from tests.web import PASSWORD, WebServer, add_account  # noqa: E402

SEARCH_WORDS = ("préconisations", "conseil citoyen", "formation", "quartier", "budget participatif",
                "annexe", "table de quartier", "gouvernance")  # fmt: skip


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def build(kind: str, raws: list[bytes], workdir: Path) -> tuple[dict[str, str], callable]:
    """A warehouse of these messages, processed; its environment and what drops it."""
    url, drop = fresh_database(kind, workdir, f"serve-{kind}")
    env = {
        **os.environ,
        "BILAN_DATABASE_URL": url,
        "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
        "BILAN_CACHE_DIR": str(workdir / "parse-cache"),
        "BILAN_IMAP_HOST": "imap.invalid",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    seconds = archive_all(env, raws)
    print(f"[{kind}] archived {len(raws)} messages in {seconds:.1f} s; processing them (bilan reprocess)...",
          flush=True)  # fmt: skip
    start = time.perf_counter()
    log = workdir / f"reprocess-{kind}.log"
    with log.open("w") as output:
        code = subprocess.call([str(REPO / ".venv" / "bin" / "bilan"), "reprocess"], env=env, stdout=output,
                               stderr=subprocess.STDOUT)  # fmt: skip
    if code:
        drop()
        raise SystemExit(f"bilan reprocess failed, see {log}:\n" + log.read_text()[-3000:])
    print(f"[{kind}] processed in {time.perf_counter() - start:.0f} s", flush=True)
    return env, drop


def measure(kind: str, env: dict[str, str], workdir: Path, requests: int) -> None:
    import httpx
    from sqlalchemy import text

    from bilan.storage.db import get_engine

    url = env["BILAN_DATABASE_URL"]
    os.environ.update({"BILAN_DATABASE_URL": url, "BILAN_ARCHIVE_DIR": env["BILAN_ARCHIVE_DIR"]})
    engine = get_engine(url)
    add_account(engine, "bench", "editor")
    with engine.connect() as connection:
        busiest = [row[0] for row in connection.execute(text(
            "SELECT department_code FROM message_department GROUP BY department_code ORDER BY count(*) DESC LIMIT 5"
        ))]  # fmt: skip
        ids = [row[0] for row in connection.execute(text("SELECT id FROM message ORDER BY id"))]
        contributions = connection.execute(text(
            "SELECT m.id, m.sha256, md.department_code FROM message m JOIN message_department md ON md.message_id = m.id "
            "WHERE m.kind = 'contribution' ORDER BY m.id LIMIT 1"
        )).first()  # fmt: skip
        counts = {name: connection.scalar(text(f"SELECT count(*) FROM {name}"))
                  for name in ("message", "attachment", "extracted_text", "recommendation", "annexe1_row")}  # fmt: skip
    engine.dispose()
    size = ""
    if url.startswith("sqlite"):
        size = f", database file {Path(url.split('///', 1)[1]).stat().st_size / 2**20:.0f} MiB"
    print(f"[{kind}] warehouse: " + ", ".join(f"{n} {c}" for n, c in counts.items()) + size, flush=True)

    server_env = {k: v for k, v in env.items() if k.startswith(("BILAN_", "PREFECT_"))}
    server_env["BILAN_WEB_SECURE_COOKIES"] = "false"  # plain HTTP on loopback: httpx keeps Secure cookies for HTTPS
    with WebServer(workdir / f"serve-{kind}.log", env=server_env) as server:
        client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=120)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/connexion").text).group(1)
        logged = client.post("/connexion", data={"name": "bench", "password": PASSWORD, "csrf": token})
        assert logged.status_code == 303, logged.text[:500]
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        step = max(1, len(ids) // max(requests, 1))
        pages = {
            "campaign": lambda i: "/",
            "department": lambda i: f"/departements/{busiest[i % len(busiest)]}",
            "message": lambda i: f"/messages/{ids[(i * step) % len(ids)]}",
            "review": lambda i: "/a-verifier",
            "search": lambda i: f"/recherche?q={SEARCH_WORDS[i % len(SEARCH_WORDS)]}",
        }
        timings: dict[str, list[float]] = {}
        for name, path_of in pages.items():
            client.get(path_of(0))  # warm: first use of the templates and the connection
            for i in range(requests):
                start = time.perf_counter()
                response = client.get(path_of(i))
                timings.setdefault(name, []).append(time.perf_counter() - start)
                assert response.status_code == 200, (name, response.status_code, response.text[:300])
        try:
            import bilan.storage.corrections  # noqa: F401

            has_corrections = contributions is not None
        except ImportError:
            has_corrections = False
        if has_corrections:
            message_pk, sha256, code = contributions
            with get_engine(url).connect() as connection:
                codes = " ".join(row[0] for row in connection.execute(text(
                    "SELECT department_code FROM message_department WHERE message_id = :id ORDER BY department_code"
                ), {"id": message_pk}))  # fmt: skip
            for _ in range(requests):
                start = time.perf_counter()
                corrected = client.post("/corrections", data={
                    "subject": "message_departments", "target": sha256, "value": codes, "csrf": token,
                    "reason": "bench", "suite": f"/messages/{message_pk}"})  # fmt: skip
                assert corrected.status_code == 303, corrected.text[:300]
                shown = client.get(corrected.headers["location"])
                undo = re.findall(r'action="/corrections/(\d+)/annuler"', shown.text)
                assert shown.status_code == 200 and undo, "the correction is not on the message page"
                undone = client.post(f"/corrections/{undo[0]}/annuler", data={"csrf": token, "suite": f"/departements/{code}"})
                assert undone.status_code == 303
                assert client.get(undone.headers["location"]).status_code == 200
                timings.setdefault("correction", []).append(time.perf_counter() - start)
            print(f"[{kind}] correction round trip: correct a message's departments, its page, undo, the "
                  "department's page")
        else:
            print(f"[{kind}] correction: skipped (no corrections in this code: bilan.storage.corrections missing)")
        client.close()
    for name, values in timings.items():
        print(f"{kind} {name}_ms: p50 {percentile(values, 0.5) * 1000:.0f}, p95 {percentile(values, 0.95) * 1000:.0f}, "
              f"max {max(values) * 1000:.0f} ({len(values)} requests)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--messages", "-n", type=int, default=10_000, help="messages in the warehouse")
    parser.add_argument("--databases", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--requests", type=int, default=20, help="requests per page")
    parser.add_argument("--workdir", type=Path, help="keep the warehouse, archive and logs here (default: temporary)")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if not set(kinds) <= {"sqlite", "postgresql"}:
        raise SystemExit("--databases takes sqlite and/or postgresql")
    raws = replicated(corpus_messages(args.corpus), args.messages)
    print(f"corpus replicated to {len(raws)} messages ({sum(map(len, raws)) / 2**20:.0f} MiB); machine: "
          f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} (the machine may be shared: figures are noisy)", flush=True)  # fmt: skip
    context = tempfile.TemporaryDirectory(prefix="bilan-serve-") if args.workdir is None else None
    workdir = Path(context.name) if context else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for kind in kinds:
            shutil.rmtree(workdir / "archive", ignore_errors=True)
            env, drop = build(kind, raws, workdir)
            try:
                measure(kind, env, workdir, args.requests)
            finally:
                from bilan.storage.db import get_engine

                get_engine.cache_clear()
                drop()
            print(f"{kind} load_average_after: {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        if context:
            context.cleanup()


if __name__ == "__main__":
    main()
