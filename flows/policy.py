"""Whether a Prefect API is configured, asked without importing Prefect
(importing it costs about a second)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def prefect_api_configured() -> bool:
    """Whether Prefect has an API URL. Importing Prefect to ask costs about a
    second, so a process that has not imported it yet asks only when one of
    the places Prefect reads its settings from could hold one (a process
    that has, such as a flow run or a test harness, may have set it in
    memory)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect" not in sys.modules and not any(path.is_file() for path in _prefect_settings_files()):
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _prefect_settings_files() -> list[Path]:
    """Prefect's settings sources besides the environment: `.env`,
    `prefect.toml` and `pyproject.toml` in the working folder, and the
    profiles file."""
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml")).expanduser()
    here = Path.cwd()
    files = [here / ".env", here / "prefect.toml", profiles]
    pyproject = here / "pyproject.toml"
    if pyproject.is_file() and "[tool.prefect" in pyproject.read_text(encoding="utf-8", errors="replace"):
        files.append(pyproject)
    return files

