"""One Prefect policy for every command: `bilan ingest`, `bilan import`,
`bilan reprocess` and `bilan reminders` run as their Prefect flow when a
Prefect API is configured, and in process otherwise, never with a temporary
Prefect server (which on a busy machine timed out with a long traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from tests.conftest import SAMPLES

#: Runs the command line in a fresh process that records every process it
#: starts (Python's audit hooks see each spawn, whoever asks for it) and, at
#: exit, whether Prefect was imported at all.
PROBE = """
import atexit, sys
spawned = []
def audit(event, args):
    if event in ("subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec"):
        spawned.append(event)
sys.addaudithook(audit)
atexit.register(lambda: print(f"probe: prefect imported={'prefect' in sys.modules} spawned={spawned}",
                              file=sys.stderr))
from bilan.cli import app
app(sys.argv[1:], prog_name="bilan")
"""


def run_without_prefect_api(args: list[str], folder) -> subprocess.CompletedProcess:
    """The command with no Prefect setting anywhere: none in the environment,
    an empty Prefect home, a working folder without `.env` or `prefect.toml`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment["PREFECT_HOME"] = str(folder / "prefect-home")
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reminders_without_a_prefect_api_run_in_process_with_no_server_and_no_traceback(settings_env, tmp_path):
    out = tmp_path / "relances"
    result = run_without_prefect_api(["reminders", "--out", str(out), "--date", "2021-12-03"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "101 department(s) to remind; dry run: nothing sent" in result.stdout
    assert (out / "relances.xlsx").is_file() and (out / "relance-01-ain.eml").is_file()
    assert "Traceback" not in result.stdout + result.stderr
    assert "probe: prefect imported=False spawned=[]" in result.stderr, result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_import_without_a_prefect_api_never_imports_prefect(settings_env, tmp_path):
    """The parser workers are the only processes an ingestion starts."""
    result = run_without_prefect_api(["import", str(SAMPLES / "07-herault-contribution.eml")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 new" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert "probe: prefect imported=False" in result.stderr, result.stderr


def flow_runs_by_name() -> Counter:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        names = {flow.id: flow.name for flow in client.read_flows()}
        return Counter(names[run.flow_id] for run in client.read_flow_runs())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_with_a_prefect_api_each_command_runs_as_its_flow(prefect_server, settings_env, tmp_path):
    runner = CliRunner()
    before = flow_runs_by_name()
    for args in (
        ["import", str(SAMPLES / "07-herault-contribution.eml")],
        ["reprocess"],
        ["reminders", "--out", str(tmp_path / "relances"), "--date", "2021-12-03"],
    ):
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    runs = flow_runs_by_name() - before
    assert runs == Counter({"ingest_mailbox": 1, "reprocess_messages": 1, "remind": 1})
