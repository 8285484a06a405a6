"""The event-triggered deployment of `prefect.yaml`, end to end on real
parts: `prefect server start`, the deployment registered with `prefect
deploy`, a process worker, `bilan watch --dispatch` announcing new mail, and
the flow run that ingests it. Slow (a server, a worker and a flow-run
process start), hence marked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bilan.storage.models import Message
from tests.conftest import REPO
from tests.dovecot import free_port
from tests.mail import numbered_messages
from tests.processes import BilanProcess, wait_until

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


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_mail_announced_by_the_watcher_is_ingested_by_a_worker(imap_env, warehouse, tmp_path):
    server = PrefectServer(tmp_path / "prefect-home")
    worker = watch = None
    try:
        server.wait_healthy()
        server.run("work-pool", "create", "bilan", "--type", "process")
        server.run("deploy", "--name", "ingest-on-new-mail")
        worker = server.spawn([PREFECT, "worker", "start", "--pool", "bilan"], (tmp_path / "worker.log").open("wb"))
        watch = BilanProcess(["watch", "--dispatch"], tmp_path / "watch.log", env=server.env)
        watch.wait_for_output("watching INBOX")

        imap_env.append_many(numbered_messages(2, "dispatched"))
        watch.wait_for_output("announced 2 new message(s)")

        def processed() -> int:
            with warehouse.engine.connect() as connection:
                return connection.scalar(select(func.count()).where(Message.processed_at.is_not(None)))

        wait_until(lambda: processed() == 2, 240, interval=0.5, message="rows committed by the flow run")
        runs = server.post("/flow_runs/filter", {"deployments": {"name": {"any_": ["ingest-on-new-mail"]}}})
        assert runs and all(run["state_type"] in ("COMPLETED", "RUNNING", "SCHEDULED", "PENDING") for run in runs)
        wait_until(
            lambda: any(r["state_type"] == "COMPLETED" for r in server.post("/flow_runs/filter", {})),
            60, interval=0.5, message="flow run completed",
        )  # fmt: skip

        def ingested_events() -> list[dict]:
            query = {"filter": {"event": {"name": ["bilan.message.ingested"]}}}
            events = server.post("/events/filter", query)["events"]
            return events if len(events) == 2 else []

        events = wait_until(ingested_events, 60, interval=0.5, message="two bilan.message.ingested events")
        assert {e["payload"]["kind"] for e in events} == {"contribution"}
    finally:
        if watch is not None:
            watch.stop()
        if worker is not None:
            stop_group(worker)
        stop_group(server.process)
        server.log.close()
    assert watch.output.count("announced") >= 1
