"""Showing how far a long run is: a progress bar in a terminal, log lines
elsewhere (under Prefect, the run's logger, so they land in the run's logs).

Library functions take any object with `start`, `advance` and `finish` and
never ask where it writes.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar


class Progress(Protocol):
    def start(self, total: int | None, label: str) -> None: ...

    def advance(self, count: int = 1) -> None: ...

    def finish(self) -> None: ...


class LogProgress:
    """One structured line every tenth of the way (and at least every 30 s):
    `label: done=50 total=220 percent=23`."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter, every_seconds: float = 30.0):
        self.logger = logger
        self.every_seconds = every_seconds
        self.total: int | None = None
        self.label = ""
        self.done = 0
        self._next_fraction = 0.1
        self._last = time.monotonic()

    def start(self, total: int | None, label: str) -> None:
        self.total, self.label, self.done = total, label, 0
        self._next_fraction, self._last = 0.1, time.monotonic()
        if total:
            self.logger.info("%s: done=0 total=%d", label, total)

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        fraction = self.done / self.total if self.total else 0.0
        if fraction >= self._next_fraction or now - self._last >= self.every_seconds:
            self._log()
            self._last = now
            while self._next_fraction <= fraction:
                self._next_fraction += 0.1

    def finish(self) -> None:
        if self.total and self.done and self.done != self.total:
            self._log()

    def _log(self) -> None:
        if self.total:
            self.logger.info(
                "%s: done=%d total=%d percent=%d", self.label, self.done, self.total, 100 * self.done // self.total
            )
        else:
            self.logger.info("%s: done=%d", self.label, self.done)


#: Shown beside a bar until its first step: what the wait is for.
LOADING_NOTE = "(the first one waits for the French language model to load)"


class TerminalProgress:
    """A rich progress bar, one stage at a time; it stays on screen when
    finished, followed by the run's summary line."""

    def __init__(self, console: Console):
        self.bar = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = None

    def start(self, total: int | None, label: str) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        else:
            self.bar.start()
        # The first message waits for the French language model (seconds):
        # say so, rather than a bar that sits at 0 for no reason given.
        self.task = self.bar.add_task(f"{label} {LOADING_NOTE}", total=total)
        self.label = label

    def advance(self, count: int = 1) -> None:
        if self.task is not None:
            self.bar.update(self.task, advance=count, description=self.label)

    def finish(self) -> None:
        if self.task is not None:
            self.bar.stop()
            self.task = None


def progress_for(console: Console, logger: logging.Logger | None = None) -> Progress:
    """A bar when the output is a terminal, log lines otherwise."""
    if console.is_terminal:
        return TerminalProgress(console)
    return LogProgress(logger or logging.getLogger("bilan"))
