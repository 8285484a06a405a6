"""The stages do not reach into each other: `nlp/` imports nothing of
`storage/` and `storage/` nothing of `nlp/` (both read the reference facts
from the dependency-free `bilan/reference.py`, and `bilan/loading.py` maps
the one's result to the other's record), and no module imports a name
another module keeps private."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("bilan", "flows", "parsers", "nlp", "storage", "tests", "bench", "samples")


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a file, including those made
    inside a function or under TYPE_CHECKING."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def _python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("stage, forbidden", [("nlp", "bilan.storage"), ("storage", "bilan.nlp")])
def test_a_stage_does_not_import_the_other(stage, forbidden):
    found = [
        f"{path.relative_to(REPO)}:{line} {module}"
        for path in _python_files(stage)
        for line, module, _ in _imports(path)
        if module == forbidden or module.startswith(forbidden + ".")
    ]
    assert found == []


def test_the_reference_facts_need_only_the_standard_library():
    modules = {module.split(".")[0] for _, module, _ in _imports(REPO / "bilan" / "reference.py")}
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_no_module_imports_a_private_name_of_another():
    found = [
        f"{path.relative_to(REPO)}:{line} {module}.{name}"
        for path in _python_files(*SOURCES)
        for line, module, names in _imports(path)
        if module.startswith(("bilan", "tests"))  # ours; a library's private type is its own affair
        for name in names
        if name.startswith("_")
    ]
    assert found == []
