"""How the steps of a run are called: directly, or each wrapped by an
orchestrator (a Prefect task, with its retries and its record; see
`flows/tasks.py`).

A run that has several steps (an ingestion: the source, the backlog, the
acknowledgements; the reminders: draft, write, send) is written once, in the
library, as calls of `step(name, function)(arguments)`. In process, `step` is
`direct` and each call is the plain function; a flow passes its own `step`,
so the order of the steps is never written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class StepRunner(Protocol):
    def __call__(self, name: str, function: Callable[P, T]) -> Callable[P, T]: ...


def direct(name: str, function: Callable[P, T]) -> Callable[P, T]:
    """Each step is the plain function, called in this process."""
    return function
