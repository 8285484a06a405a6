"""The `bilan` command's entry point (`cli.run`) and what a command imports
before it starts its workers."""

from __future__ import annotations

import gc
import subprocess
import sys
import tomllib

import pytest

from bilan import cli
from tests.conftest import REPO


def test_the_command_is_run_and_exits_with_the_app_s_code(monkeypatch):
    """`run` is the installed entry point; it exits as `app` does, then
    keeps the collector off what is left (the teardown's collections cost
    0.5-0.7 s after a run, see `run`)."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["bilan"] == "bilan.cli:run"
    monkeypatch.setattr(sys, "argv", ["bilan", "no-such-command"])
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.run()
        assert exit_.value.code == 2
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_installed_command_exits_cleanly(tmp_path):
    """Output complete and the exit code kept, through the real script."""
    bilan = REPO / ".venv" / "bin" / "bilan"
    if not bilan.exists():
        bilan = None
    command = [str(bilan)] if bilan else [sys.executable, "-c", "from bilan.cli import run; run()"]
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "reprocess" in done.stdout
    done = subprocess.run([*command, "no-such-command"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no-such-command" in done.stderr


def test_starting_the_extraction_workers_does_not_import_the_parsers():
    """A command starts its extraction workers (`extraction_pool.start_early`)
    before it imports the parsers and the warehouse, so that the models
    load meanwhile: planning them must not import those first."""
    code = (
        "import sys; from bilan.extraction_pool import plan_workers; plan_workers(None, None); "
        "heavy = [m for m in ('bilan.parsers.message', 'bilan.storage.warehouse', 'sqlalchemy', 'spacy') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def test_the_parsers_package_names_load_on_first_use():
    import bilan.parsers as parsers

    assert sorted(parsers.__all__) == sorted(parsers._HOME)
    for name in parsers.__all__:
        assert getattr(parsers, name).__name__ == name
    with pytest.raises(AttributeError):
        parsers.no_such_name  # noqa: B018


def test_the_main_process_of_an_ingestion_imports_no_nlp_ocr_or_templates():
    """The main process archives, parses MIME and loads rows; spaCy lives in
    the extraction workers, OCR in the parser workers, templates in the
    letters: importing them there would delay the first message (and cost
    memory in every process)."""
    code = (
        "import sys; import bilan.cli, bilan.ingestion, bilan.pipeline; "
        "print(','.join(m for m in ('spacy', 'numpy', 'tesserocr', 'jinja2') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""
