"""The benchmarks measure what a user runs: the test helpers they import
must not bring the test session's settings with them (`conftest.py` sets
BILAN_EXTRACT_WORKERS=0, which once made `bench/reprocess.py` extract in
the flow-run process instead of in extraction workers)."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO

_IMPORT = re.compile(r"^\s*from (tests\.\w+) import|^\s*import (tests\.\w+)", re.MULTILINE)


def _helpers_the_benchmarks_import() -> set[str]:
    found: set[str] = set()
    for script in (REPO / "bench").glob("*.py"):
        for match in _IMPORT.finditer(script.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_importing_what_a_benchmark_imports_sets_no_setting():
    modules = _helpers_the_benchmarks_import()
    assert "tests.replicas" in modules and "tests.conftest" not in modules
    code = (
        "import importlib, os, sys; before = dict(os.environ); "
        "[importlib.import_module(m) for m in sys.argv[1:]]; "
        "print(sorted(k for k in os.environ if os.environ.get(k) != before.get(k)))"
    )
    done = subprocess.run([sys.executable, "-c", code, *sorted(modules)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]", done.stdout
