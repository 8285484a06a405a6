"""One Prefect policy for every command: a command runs as its Prefect flow
when a Prefect API is configured (the run is then recorded on that server),
and in this process otherwise, calling the same library functions without
Prefect. Never with a temporary server: without a configured API, Prefect
would start one in the process, seconds of start-up (a timeout with a long
traceback on a busy machine) for records that vanish at exit.

This module does not import Prefect (importing it costs about a second): it
asks `prefect_api_configured` first, and imports the flow only to run it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def run_command(flow: str, parameters: dict[str, Any], in_process: Callable[[], T]) -> T:
    """The flow `flow` ("module:function" of `bilan.flows`) with `parameters`
    when a Prefect API is configured, else `in_process()`; both return the
    same kind of result."""
    if not prefect_api_configured():
        return in_process()
    return load_flow(flow)(**parameters)


def load_flow(flow: str) -> Callable[..., Any]:
    """The flow named "module:function" in `bilan.flows`."""
    module, _, name = flow.partition(":")
    return getattr(importlib.import_module(f"bilan.flows.{module}"), name)


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

