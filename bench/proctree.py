"""Run a command and sample its whole process tree (psutil): peak resident
memory of the main process, peak of the sum over the tree (the main process,
the parser workers, LibreOffice...), and CPU seconds of the main process and
of its children.

`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` is not enough here: it is the
largest of the waited-for children, not their sum, and an ingestion runs the
main process and its parser workers side by side. Sampling misses peaks
shorter than the interval; the figures are a lower bound, close enough for
hundreds of MB that build up over seconds.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

import psutil

MIB = 1024 * 1024


@dataclass
class TreeUsage:
    wall_seconds: float = 0.0
    peak_main_rss_mib: float = 0.0
    peak_tree_rss_mib: float = 0.0
    #: Proportional set size summed over the tree: shared pages (libraries,
    #: copy-on-write) counted once in all rather than once per process.
    peak_tree_pss_mib: float = 0.0
    #: Most processes alive at once in the tree (main included).
    peak_processes: int = 0
    exit_code: int = 0
    cpu_main_seconds: float = 0.0
    cpu_children_seconds: float = 0.0
    #: CPU seconds of the children by kind (`kind_of`: parser workers,
    #: extraction workers, LibreOffice...), summed over their pids.
    cpu_children_by_kind: dict[str, float] = field(default_factory=dict)
    #: Most processes of each kind alive at once.
    peak_children_by_kind: dict[str, int] = field(default_factory=dict)
    #: Peak of the RSS, and of the PSS, summed over the children of each kind.
    peak_rss_mib_by_kind: dict[str, float] = field(default_factory=dict)
    peak_pss_mib_by_kind: dict[str, float] = field(default_factory=dict)
    #: (seconds since the start, CPU seconds so far by kind, "main" included), per sample.
    timeline: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    #: Last CPU seconds seen per child pid (a child that exits keeps its last sample).
    _children_cpu: dict[int, float] = field(default_factory=dict, repr=False)
    _children_kind: dict[int, str] = field(default_factory=dict, repr=False)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def run_sampled(
    command: list[str], *, env: dict[str, str] | None = None, interval: float = 0.1, check: bool = True, **popen
) -> TreeUsage:
    """Run `command` to its end, sampling its tree every `interval` seconds;
    raises CalledProcessError as `subprocess.run(check=True)` would (unless
    `check` is false: then the exit code is `usage.exit_code`)."""
    usage = TreeUsage()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, **popen)
    main = psutil.Process(process.pid)
    while process.poll() is None:
        _sample(main, usage)
        usage.timeline.append((time.perf_counter() - start, _cpu_by_kind(usage)))
        time.sleep(interval)
    usage.wall_seconds = time.perf_counter() - start
    usage.cpu_children_seconds = sum(usage._children_cpu.values())
    for pid, seconds in usage._children_cpu.items():
        kind = usage._children_kind.get(pid, "other")
        usage.cpu_children_by_kind[kind] = usage.cpu_children_by_kind.get(kind, 0.0) + seconds
    usage.exit_code = process.returncode
    if process.returncode and check:
        raise subprocess.CalledProcessError(process.returncode, command)
    return usage


def _cpu_by_kind(usage: TreeUsage) -> dict[str, float]:
    totals = {"main": usage.cpu_main_seconds}
    for pid, seconds in usage._children_cpu.items():
        kind = usage._children_kind.get(pid, "other")
        totals[kind] = totals.get(kind, 0.0) + seconds
    return totals


def busy_cores(timeline: list[tuple[float, dict[str, float]]], step: float = 0.5) -> list[tuple[float, dict[str, float]]]:
    """The timeline as cores kept busy by each kind, per `step` seconds."""
    rows, previous = [], (0.0, {})
    for at, cpu in timeline:
        if at - previous[0] >= step:
            span = at - previous[0]
            rows.append((at, {kind: (seconds - previous[1].get(kind, 0.0)) / span for kind, seconds in cpu.items()}))
            previous = (at, cpu)
    return rows


def _pss(process: psutil.Process) -> int:
    """PSS where the system tells it (Linux), else RSS."""
    try:
        return process.memory_full_info().pss
    except (AttributeError, psutil.AccessDenied):
        return process.memory_info().rss
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return 0


#: Child processes told apart by a word of their command line.
KINDS = (("bilan.parsers.worker", "parser workers"), ("bilan.extraction_worker", "extraction workers"),
         ("soffice", "libreoffice"))


def kind_of(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return "other"
    return next((kind for word, kind in KINDS if word in command), "other")


def _sample(main: psutil.Process, usage: TreeUsage) -> None:
    try:
        with main.oneshot():
            main_rss = main.memory_info().rss
            usage.cpu_main_seconds = _cpu(main)
        children = main.children(recursive=True)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return
    tree_rss = main_rss
    tree_pss = _pss(main)
    alive = 1
    kinds: dict[str, list[float]] = {}  # kind -> [processes, RSS, PSS]
    for child in children:
        try:
            with child.oneshot():
                rss = child.memory_info().rss
                usage._children_cpu[child.pid] = _cpu(child)
            pss = _pss(child)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
        tree_rss += rss
        tree_pss += pss
        alive += 1
        if child.pid not in usage._children_kind:
            usage._children_kind[child.pid] = kind_of(child)
        totals = kinds.setdefault(usage._children_kind[child.pid], [0, 0.0, 0.0])
        totals[0] += 1
        totals[1] += rss / MIB
        totals[2] += pss / MIB
    for kind, (count, rss, pss) in kinds.items():
        usage.peak_children_by_kind[kind] = max(usage.peak_children_by_kind.get(kind, 0), int(count))
        usage.peak_rss_mib_by_kind[kind] = max(usage.peak_rss_mib_by_kind.get(kind, 0.0), rss)
        usage.peak_pss_mib_by_kind[kind] = max(usage.peak_pss_mib_by_kind.get(kind, 0.0), pss)
    usage.peak_main_rss_mib = max(usage.peak_main_rss_mib, main_rss / MIB)
    usage.peak_tree_rss_mib = max(usage.peak_tree_rss_mib, tree_rss / MIB)
    usage.peak_tree_pss_mib = max(usage.peak_tree_pss_mib, tree_pss / MIB)
    usage.peak_processes = max(usage.peak_processes, alive)
