"""The library's steps as Prefect tasks: the `step` a flow passes to a run
of the library (see `bilan/steps.py`), so that each step is recorded, logged
and retried by Prefect while its order stays written once, in the library.

Results are never cached (`NO_CACHE`): every step reads or writes the
warehouse, whose state is the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from bilan.steps import StepRunner


def as_tasks(options: dict[str, dict[str, Any]] | None = None) -> StepRunner:
    """A `step` that runs each step as a task of its name; `options` gives,
    by step name, what `@task` takes besides (retries, retry_delay_seconds,
    retry_condition_fn...)."""
    options = options or {}

    def step(name: str, function: Callable) -> Callable:
        return task(function, name=name, cache_policy=NO_CACHE, **options.get(name, {}))

    return step
