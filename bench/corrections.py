"""Benchmark: what corrections cost the readers. Every analyst view and the
JSON export read messages, departments, annex rows and recommendations
through the `effective_*` views, which lay the corrections in force over
extraction (`storage/corrections.py`); this times them on a warehouse of N
messages carrying K corrections.

The warehouse is synthetic, written straight into the tables (no parsing, no
NLP): N messages, every other one a contribution, one department each, three
Annexe 1 rows and four recommendations per contribution, one attachment per
message, one message in ten superseding an earlier one. Then K corrections
through `Warehouse.apply_correction` (a quarter each: departments, an annex
cell, a recommendation's theme, a kind), and R messages flagged for review
marked checked (`--reviews`, `message_review`). Each query runs `--runs` times in the
same process; the median is printed. On a fresh database per run (a SQLite
file, or a PostgreSQL database created on BILAN_TEST_POSTGRES_URL's server
and dropped after). Printed, not asserted:

    .venv/bin/python bench/corrections.py --messages 10000 --corrections 200 --databases sqlite,postgresql
    .venv/bin/python bench/corrections.py -n 10000 -k 200 --reviews 1000   # and 1,000 messages marked checked
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

from bilan.reference import departments
from bilan.settings import Settings
from bilan.storage import models
from bilan.storage.db import get_engine
from bilan.storage.export import export_contract
from bilan.storage.warehouse import Warehouse

POSTGRES_ADMIN_URL = os.environ.get("BILAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
VIEWS = ("department_status", "campaign_status", "current_contribution", "annexe1", "recommendations", "review_queue")


def fill(warehouse: Warehouse, messages: int) -> None:
    codes = [d.code for d in departments()]
    start = dt.datetime(2021, 11, 20, tzinfo=dt.UTC)
    contributions = range(1, messages + 1, 2)
    with warehouse.engine.begin() as connection:
        connection.execute(insert(models.Message), [
            dict(id=i, sha256=f"{i:064x}", message_id=f"<m{i}@bench>", sender=f"agent{i}@example.gouv.fr", subject="s",
                 source="bench", size=1, received_at=start + dt.timedelta(minutes=5 * i), archived_at=start,
                 processed_at=start, kind="contribution" if i % 2 else "question", modality=3, pii=False,
                 needs_review=i % 7 == 0, supersedes_id=i - 202 if i % 10 == 3 and i > 202 else None)
            for i in range(1, messages + 1)
        ])
        connection.execute(insert(models.MessageDepartment), [
            dict(message_id=i, department_code=codes[i % len(codes)], confidence=0.9) for i in range(1, messages + 1)
        ])
        connection.execute(insert(models.Annexe1Row), [
            dict(message_id=i, position=p, source_file="Annexe 1.xlsx", source_row=p + 2, commune="Laon",
                 membres_habitants=3, actif=True)
            for i in contributions for p in range(3)
        ])
        connection.execute(insert(models.Recommendation), [
            dict(message_id=i, position=p, text=f"Préconisation {p}", departments="", origin="heading", theme="formation")
            for i in contributions for p in range(4)
        ])
        connection.execute(insert(models.Attachment), [
            dict(message_id=i, position=0, filename="Annexe 1.xlsx", content_type="application/vnd.ms-excel",
                 format="xlsx", size=1, sha256="0" * 64, parse_status="ok", role="annexe1")
            for i in range(1, messages + 1)
        ])


def correct(warehouse: Warehouse, messages: int, count: int) -> None:
    # Imported here, so that `-k 0` also runs on the code before corrections existed.
    from bilan.storage.corrections import CorrectionRequest

    codes = [d.code for d in departments()]
    chance = random.Random(1)
    for number in range(count):
        sha = f"{chance.randrange(1, messages + 1, 2):064x}"
        request = (
            CorrectionRequest("message_departments", sha, [chance.choice(codes)], "bench"),
            CorrectionRequest("annex_cell", f"{sha}/annexe1/1", "Soissons", "bench", field="commune"),
            CorrectionRequest("recommendation", f"{sha}/recommendation/2", "moyens", "bench", field="theme"),
            CorrectionRequest("message_kind", sha, "question", "bench"),
        )[number % 4]
        warehouse.apply_correction(request)


def review(warehouse: Warehouse, messages: int, count: int) -> None:
    """Mark `count` of the messages flagged for review (one in seven) checked."""
    from bilan.storage.corrections import CorrectionRequest

    for i in range(7, min(messages, 7 * count) + 1, 7):
        warehouse.apply_correction(CorrectionRequest("message_review", f"{i:064x}", "checked", "bench"))


def timed(action, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(url: str, archive: Path, messages: int, corrections: int, runs: int, reviews: int = 0) -> None:
    warehouse = Warehouse.open(Settings(database_url=url, archive_dir=archive))
    fill(warehouse, messages)
    started = time.perf_counter()
    if corrections:
        correct(warehouse, messages, corrections)
    per_correction = (time.perf_counter() - started) / corrections if corrections else 0.0
    if reviews:
        review(warehouse, messages, reviews)
    if warehouse.engine.dialect.name == "postgresql":
        with warehouse.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"  {corrections} corrections applied, {per_correction * 1000:.1f} ms each; {reviews} messages marked checked")

    def read(view: str):
        def run():
            with warehouse.engine.connect() as connection:
                return connection.execute(text(f"SELECT * FROM {view}")).all()
        return run

    for view in VIEWS:
        print(f"  {view:22} {timed(read(view), runs):7.3f} s")
    print(f"  {'export json':22} {timed(lambda: export_contract(warehouse), runs):7.3f} s")
    if hasattr(warehouse, "list_corrections"):
        started = time.perf_counter()
        warehouse.list_corrections()
        print(f"  {'list_corrections':22} {time.perf_counter() - started:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", "-n", type=int, default=10000)
    parser.add_argument("--corrections", "-k", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reviews", type=int, default=0, help="messages flagged for review to mark checked")
    options = parser.parse_args()
    for kind in options.databases.split(","):
        print(f"{kind}: {options.messages} messages, {options.corrections} corrections")
        with tempfile.TemporaryDirectory() as folder:
            if kind == "sqlite":
                measure(f"sqlite:///{folder}/bilan.db", Path(folder) / "archive", options.messages,
                        options.corrections, options.runs, options.reviews)
                continue
            import psycopg

            name = f"bilan_bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            try:
                measure(POSTGRES_ADMIN_URL.rpartition("/")[0] + f"/{name}", Path(folder) / "archive",
                        options.messages, options.corrections, options.runs, options.reviews)
            finally:
                get_engine.cache_clear()
                with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
