"""`bilan ingest` runs as a Prefect flow only when a Prefect server is
configured, wherever Prefect reads that setting from; when nothing could
configure one, Prefect is not even imported (it costs a second)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "import sys; from bilan.flows.policy import prefect_api_configured; "
    "print(prefect_api_configured(), 'prefect' in sys.modules)"
)
API = "http://127.0.0.1:4200/api"


def probe(folder: Path, **env: str) -> tuple[str, str]:
    """Run the check in a fresh process whose working folder and Prefect home are `folder`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment.update({"PREFECT_HOME": str(folder / "prefect-home"), **env})
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=folder, env=environment, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    configured, imported = result.stdout.split()
    return configured, imported


def test_without_any_prefect_setting_prefect_is_not_imported(tmp_path):
    assert probe(tmp_path) == ("False", "False")


def test_the_environment_variable(tmp_path):
    assert probe(tmp_path, PREFECT_API_URL=API)[0] == "True"


# Each case starts a Python process that imports bilan and Prefect (seconds):
# the fast lane keeps one settings file and the environment variable; the
# full lane tries every place Prefect reads a setting from.
@pytest.mark.parametrize(
    "file_name, content",
    [
        ("prefect-home/profiles.toml", f'active = "work"\n\n[profiles.work]\nPREFECT_API_URL = "{API}"\n'),
        pytest.param("prefect.toml", f'[api]\nurl = "{API}"\n', marks=pytest.mark.slow),
        pytest.param(".env", f"PREFECT_API_URL={API}\n", marks=pytest.mark.slow),
        pytest.param("pyproject.toml", f'[tool.prefect.api]\nurl = "{API}"\n', marks=pytest.mark.slow),
    ],
)
def test_a_settings_file_of_prefect(tmp_path, file_name, content):
    path = tmp_path / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    assert probe(tmp_path) == ("True", "True")


@pytest.mark.slow
def test_a_settings_file_without_an_api_url(tmp_path):
    (tmp_path / "prefect.toml").write_text('[logging]\nlevel = "DEBUG"\n', encoding="utf-8")
    assert probe(tmp_path) == ("False", "True")


@pytest.mark.slow
def test_a_setting_made_in_memory_by_a_process_that_uses_prefect(tmp_path):
    """A flow run or a test harness sets the API URL in memory, not in a file."""
    script = (
        "from prefect.settings import PREFECT_API_URL, temporary_settings\n"
        "from bilan.flows.policy import prefect_api_configured\n"
        f"with temporary_settings(updates={{PREFECT_API_URL: {API!r}}}):\n"
        "    print(prefect_api_configured())\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    environment["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    assert result.stdout.split() == ["True"]
