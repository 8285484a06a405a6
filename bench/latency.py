"""Benchmark: latency from APPEND to committed rows under `bilan watch`.

Starts a fresh Dovecot and `bilan watch` (a separate process, as in
production) on a fresh warehouse, then APPENDs messages one at a time, each
a contribution with one PDF attachment (two pages, a table), and measures
the time from just before the APPEND until a reader sees the message's rows
committed (polled every 5 ms on its own connection). Messages are spaced by
a short random pause, as separate arrivals. Prints the median, 95th
percentile and maximum. Dovecot announces new mail about 0.5 s after it
arrives (a fixed delay in its IDLE code): that is the floor.

With `--max-gap SECONDS`, messages arrive on their own schedule instead: one
APPEND at a time, each after a random pause of 0 to SECONDS (seeded by
`--seed`), whether or not the watcher is done with the previous ones, so
that some arrive while it is busy (the case where a wake-up could be
missed). Latency is then measured per message by a reader that polls every
committed row.

    .venv/bin/python bench/latency.py [--messages 60] [--database-url postgresql://...]
    .venv/bin/python bench/latency.py --messages 200 --max-gap 2 --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "samples"))

from make_samples import pdf_from_blocks  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tests.dovecot import DovecotServer  # noqa: E402

DEPARTMENTS = ["Aisne", "Nord", "Gironde", "Isère", "Hérault", "Sarthe", "Loire-Atlantique", "Puy-de-Dôme"]


def contribution(n: int) -> tuple[str, bytes]:
    """A contribution with one PDF, distinct for each n."""
    department = DEPARTMENTS[n % len(DEPARTMENTS)]
    when = dt.datetime(2021, 12, 9, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    blocks = [
        ("title", f"Bilan des démarches participatives — {department}"),
        ("h1", "1. Rencontre territoriale"),
        ("p", f"La rencontre territoriale s'est tenue le {8 + n % 20} novembre 2021 avec {20 + n} participants, "
              "conseillers citoyens, associations et délégués du préfet. " * 3),
        ("h1", "2. Préconisations opérationnelles"),
        ("bullet", "Former les conseillers citoyens à la conduite de projet."),
        ("bullet", "Associer les tables de quartier au contrat de ville."),
        ("bullet", f"Créer un fonds de participation des habitants ({n})."),
        ("table", [200, 120, 120], [["Conseil citoyen", "QPV", "Membres"],
                                     *[[f"Conseil citoyen {i}", f"QP0{i:02d}", str(8 + i)] for i in range(12)]]),
    ]  # fmt: skip
    pdf = pdf_from_blocks(blocks, f"Contribution {department}", "Préfecture", when)
    mail = EmailMessage()
    mail["Received"] = f"from relay.example by mx.anct.gouv.fr; {format_datetime(when)}"
    mail["From"] = f"Préfecture <pref-{n}@aisne.gouv.fr>"
    mail["To"] = "participation-habitants@anct.gouv.fr"
    mail["Subject"] = f"Contribution bilan démarches participatives — {department} ({n})"
    message_id = f"<latency-{n}-{os.getpid()}@aisne.gouv.fr>"
    mail["Message-ID"] = message_id
    mail.set_content("Madame, Monsieur,\n\nVeuillez trouver ci-joint notre contribution.\n\nCordialement\n")
    mail.add_attachment(pdf, "application", "pdf", filename=f"Contribution {department}.pdf")
    return message_id, mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))


def wait_for_line(log: Path, text_: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text_ not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bilan watch did not say {text_!r}:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def measure(count: int, database_url: str | None, workdir: Path, max_gap: float | None = None, seed: int = 1) -> list[float]:
    url = database_url or f"sqlite:///{workdir / 'bilan.db'}"
    messages = [contribution(n) for n in range(count)]
    with DovecotServer(workdir / "dovecot") as server:
        env = {
            **os.environ,
            "BILAN_DATABASE_URL": url,
            "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
            "BILAN_IMAP_HOST": server.host,
            "BILAN_IMAP_PORT": str(server.port),
            "BILAN_IMAP_USER": server.user,
            "BILAN_IMAP_PASSWORD": server.password,
            "BILAN_IMAP_SSL": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        env.pop("PREFECT_API_URL", None)
        log = workdir / "watch.log"
        with log.open("wb") as output:
            watch = subprocess.Popen([str(REPO / ".venv" / "bin" / "bilan"), "watch"], env=env, stdout=output,
                                     stderr=subprocess.STDOUT)  # fmt: skip
        try:
            wait_for_line(log, "watching INBOX", watch)
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            query = text("SELECT processed_at IS NOT NULL FROM message WHERE message_id = :m")
            if max_gap is not None:
                with server.client() as imap:
                    return arrivals(imap, engine, messages, max_gap, random.Random(seed), log)
            latencies = []
            with server.client() as imap:
                for message_id, raw in messages:
                    time.sleep(random.uniform(0.2, 0.5))
                    start = time.perf_counter()
                    imap.append("INBOX", raw)
                    while True:
                        with engine.connect() as connection:
                            if connection.scalar(query, {"m": message_id}):
                                break
                        if time.perf_counter() - start > 60:
                            raise SystemExit(f"{message_id} not committed after 60 s:\n{log.read_text()}")
                        time.sleep(0.005)
                    latencies.append(time.perf_counter() - start)
            engine.dispose()
        finally:
            watch.terminate()
            watch.wait(60)
    return latencies


def arrivals(imap, engine, messages: list[tuple[str, bytes]], max_gap: float, rng: random.Random, log: Path) -> list[float]:
    """APPEND each message after a random pause, in a thread of its own; the
    caller's thread notes when each one's row is committed."""
    appended: dict[str, float] = {}
    committed: dict[str, float] = {}
    failure: list[BaseException] = []

    def append_all() -> None:
        try:
            for message_id, raw in messages:
                time.sleep(rng.uniform(0, max_gap))
                appended[message_id] = time.perf_counter()
                imap.append("INBOX", raw)
        except BaseException as exc:  # reported by the caller
            failure.append(exc)

    appender = threading.Thread(target=append_all, daemon=True)
    appender.start()
    query = text("SELECT message_id FROM message WHERE processed_at IS NOT NULL")
    last_progress = time.perf_counter()
    while len(committed) < len(messages) and not failure:
        with engine.connect() as connection:
            done = set(connection.scalars(query))
        now = time.perf_counter()
        for message_id in done - committed.keys():
            committed[message_id] = now
            last_progress = now
        if now - last_progress > 60:
            raise SystemExit(f"no message committed for 60 s:\n{log.read_text()}")
        time.sleep(0.005)
    appender.join()
    if failure:
        raise failure[0]
    return [committed[m] - appended[m] for m, _ in messages]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--database-url", help="default: a fresh SQLite file; a PostgreSQL URL must name an empty database")
    parser.add_argument("--max-gap", type=float, help="messages arrive on their own, 0 to this many seconds apart")
    parser.add_argument("--seed", type=int, default=1, help="of the pauses between messages")
    args = parser.parse_args()
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="bilan-latency-") as workdir:
        latencies = measure(args.messages, args.database_url, Path(workdir), args.max_gap, args.seed)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    arrival = f"0-{args.max_gap:g} s apart, seed {args.seed}" if args.max_gap is not None else "one after the other"
    print(f"messages: {len(latencies)} (one PDF attachment each; {arrival})")
    print(f"database: {'postgresql' if args.database_url else 'sqlite'}")
    print(f"latency_median_seconds: {statistics.median(latencies):.3f}")
    print(f"latency_p95_seconds: {p95:.3f}")
    print(f"latency_min_seconds: {latencies[0]:.3f}")
    print(f"latency_max_seconds: {latencies[-1]:.3f}")


if __name__ == "__main__":
    main()
