"""What a model said about a text, remembered for the next time the text
comes back.

The same sentences come back again and again: a document attached as DOCX
and as PDF, a contribution sent again "annule et remplace", a questionnaire
answered by many with the same template. On the dev corpus two thirds of the
sentences sent through spaCy had been seen before in the same run. The
results kept here are small immutable values (a reading, a tuple of
mentions, a theme), never spaCy Docs, and a model always says the same of
the same text, so a result remembered is the result recomputed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded least-recently-used memory of `key -> result`, filled by
    batches: `results` computes, in one call, only the keys it has not seen
    (each once, in order), which keeps the model's batching. Thread-safe; two
    threads may compute the same new key at once, and both get its result."""

    def __init__(self, maxsize: int = 8192):
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def results(self, keys: Sequence[K], compute: Callable[[list[K]], Iterable[V]]) -> list[V]:
        found: dict[K, V] = {}
        with self._lock:
            for key in keys:
                if key in self._items:
                    self._items.move_to_end(key)
                    found[key] = self._items[key]
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        if missing:
            computed = list(compute(missing))
            if len(computed) != len(missing):
                raise ValueError(f"{len(computed)} results for {len(missing)} keys")
            found.update(zip(missing, computed))
            with self._lock:
                for key, value in zip(missing, computed):
                    self._items[key] = value
                    self._items.move_to_end(key)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        return [found[key] for key in keys]

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
