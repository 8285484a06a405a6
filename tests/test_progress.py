"""The progress bar says why it waits before its first step."""

from __future__ import annotations

import io

from rich.console import Console

from bilan.progress import LOADING_NOTE, TerminalProgress


def _shown(progress: TerminalProgress) -> str:
    return progress.bar.tasks[0].description


def test_the_bar_says_it_waits_for_the_language_model_until_its_first_step():
    progress = TerminalProgress(Console(file=io.StringIO(), force_terminal=True))
    progress.start(3, "messages")
    assert _shown(progress) == f"messages {LOADING_NOTE}"
    progress.advance()
    assert _shown(progress) == "messages" and progress.bar.tasks[0].completed == 1
    progress.finish()
