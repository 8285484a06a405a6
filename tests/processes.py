"""Running `bilan` commands as separate processes, as a user or a scheduler
does: the only way to kill one with SIGKILL, or to run two at once; and a
`prefect server start` of its own, for the tests and benchmarks that need one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.dovecot import free_port

REPO = Path(__file__).resolve().parent.parent


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (a parser worker that
    was stopped must be gone, not merely unreaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    state = stat.read_text().split()[2] if stat.exists() else "X"
    return state not in ("Z", "X")


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


PREFECT = str(Path(sys.executable).with_name("prefect"))


class PrefectServer:
    """`prefect server start` in its own PREFECT_HOME, stopped with its process group."""

    def __init__(self, home: Path):
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "BILAN_PROJECT_DIR": str(REPO),
        }
        home.mkdir(parents=True, exist_ok=True)
        self.log = (home / "server.log").open("wb")
        self.process = self.spawn([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port),
                                   "--no-ui", "--analytics-off"], self.log)  # fmt: skip

    def spawn(self, command: list[str], log) -> subprocess.Popen:
        return subprocess.Popen(command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip

    def run(self, *args: str) -> str:
        result = subprocess.run([PREFECT, "--no-prompt", *args], env=self.env, cwd=REPO, capture_output=True,
                                text=True, timeout=180)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def wait_healthy(self, timeout: float = 120) -> None:
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(healthy, timeout, interval=0.5, message="prefect server healthy")

    def post(self, path: str, body: dict) -> list | dict:
        request = urllib.request.Request(
            f"{self.api_url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def stop_group(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the process and its children (a worker's flow runs, a server's services)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
