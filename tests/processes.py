"""Running `bilan` commands as separate processes, as a user or a scheduler
does: the only way to kill one with SIGKILL, or to run two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


class BilanProcess:
    """`python -m bilan.cli ARGS` with the current environment (the tests'
    BILAN_* settings) plus `env`; its output goes to a file that tests read."""

    def __init__(self, args: list[str], log_file: Path, env: dict[str, str] | None = None):
        self.log_file = log_file
        environment = {**os.environ, **(env or {})}
        environment.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        self._output = log_file.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bilan.cli", *args],
            env=environment, stdout=self._output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    @property
    def output(self) -> str:
        return self.log_file.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None:
                raise AssertionError(f"process exited ({self.process.returncode}) before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output}")
            time.sleep(0.1)

    def wait(self, timeout: float = 300.0) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._output.close()

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, as a service manager stops it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup of any kind
        self.wait(30)


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a true value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout} s (last value: {value!r})")
        time.sleep(interval)
