"""The memory of model results by text: computes only what it has not seen."""

from __future__ import annotations

import pytest

from bilan.nlp.memo import Memo


def test_only_new_keys_are_computed_once_each_in_order():
    memo: Memo[str, int] = Memo()
    batches: list[list[str]] = []

    def compute(keys: list[str]) -> list[int]:
        batches.append(keys)
        return [len(key) for key in keys]

    assert memo.results(["aa", "b", "aa", "ccc"], compute) == [2, 1, 2, 3]
    assert memo.results(["ccc", "dddd", "b"], compute) == [3, 4, 1]
    assert memo.results([], compute) == []
    assert batches == [["aa", "b", "ccc"], ["dddd"]]


def test_least_recently_used_keys_are_forgotten_beyond_maxsize():
    memo: Memo[str, str] = Memo(maxsize=2)
    seen: list[str] = []

    def compute(keys: list[str]) -> list[str]:
        seen.extend(keys)
        return [key.upper() for key in keys]

    memo.results(["a", "b"], compute)
    memo.results(["a"], compute)  # "a" used again: "b" is now the oldest
    memo.results(["c"], compute)
    assert len(memo) == 2
    memo.results(["a", "b"], compute)
    assert seen == ["a", "b", "c", "b"]


def test_a_compute_that_loses_results_is_refused():
    with pytest.raises(ValueError):
        Memo().results(["a", "b"], lambda keys: ["A"])
