"""The French tokenizer's `token_match`, compiled the fast way
(`nlp/token_match.py`), accepts exactly the strings spaCy's own expression
accepts: on every string of the model's vocabulary, and on strings generated
from each alternative of the pattern, then mutated one character at a time
to find the edges."""

from __future__ import annotations

import random
import re
import warnings

import pytest

from bilan.nlp.pipeline import MODEL, get_nlp
from bilan.nlp.token_match import alternatives, factored, model_token_match, prime

with warnings.catch_warnings():  # the parser of `re`, under its public (deprecated) names
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as C  # noqa: N812
    import sre_parse


@pytest.fixture(scope="module")
def pattern() -> str:
    text = model_token_match(MODEL)
    assert text is not None, f"{MODEL} stores no token_match"
    return text


@pytest.fixture(scope="module")
def both(pattern):
    """spaCy's expression (compiled here with a flag that changes nothing for
    a str pattern, so that the primed cache entry is not what is tested) and
    the fast one."""
    return re.compile(pattern, re.UNICODE).match, re.compile(factored(pattern)).match


def test_the_split_gives_back_the_pattern(pattern):
    flags, alts = alternatives(pattern)
    assert flags + "|".join(f"(?:{alt})" for alt in alts) == pattern
    assert len(alts) > 200


def test_the_fast_expression_is_much_shorter(pattern):
    fast = factored(pattern)
    assert fast is not None and len(fast) * 5 < len(pattern)


def test_the_model_loads_with_the_fast_expression():
    prime(MODEL)
    nlp = get_nlp()
    assert nlp.tokenizer.token_match.__self__.pattern == factored(model_token_match(MODEL))
    words = [t.text for t in nlp("L'entr'ouverture du grand-père, le porte-monnaie anti-covid à Saint-Denis-sur-Mer")]
    assert {"entr'ouverture", "grand-père", "porte-monnaie", "anti-covid", "Saint-Denis-sur-Mer"} <= set(words)


def test_same_answer_on_the_vocabulary(both):
    slow, fast = both
    strings = list(get_nlp().vocab.strings)
    assert len(strings) > 100_000
    differ = [s for s in strings if bool(slow(s)) != bool(fast(s))]
    assert differ == []


def test_same_answer_on_generated_and_mutated_strings(pattern, both):
    slow, fast = both
    _, alts = alternatives(pattern)
    rng = random.Random(7)
    samples = [generate(alt, rng) for alt in alts for _ in range(12)]
    samples += [mutate(s, rng) for s in samples for _ in range(3)]
    accepted = sum(bool(slow(s)) for s in samples)
    assert accepted > len(samples) / 5, "the generator should mostly produce matching strings"
    assert accepted < len(samples), "and the mutations some that do not match"
    differ = [s for s in samples if bool(slow(s)) != bool(fast(s))]
    assert differ == []


def test_an_unexpected_shape_is_left_alone():
    assert factored("^a+$") is None
    assert factored("(?i)(?:^ab[a-z]$)|b") is None


# --- strings from a pattern ---------------------------------------------


def generate(alternative: str, rng: random.Random) -> str:
    """A random string the alternative (case-insensitive) should accept."""
    tree = sre_parse.parse(alternative, re.IGNORECASE | re.UNICODE)
    text = "".join(_emit(tree, rng))
    return text.upper() if rng.random() < 0.1 else text


def _emit(items, rng: random.Random):
    for op, arg in items:
        if op is C.LITERAL:
            yield chr(arg)
        elif op is C.IN:
            yield _member(arg, rng)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, sub = arg
            for _ in range(rng.randint(low, min(high, low + 3))):
                yield from _emit(sub, rng)
        elif op is C.SUBPATTERN:
            yield from _emit(arg[-1], rng)
        elif op is C.BRANCH:
            yield from _emit(rng.choice(arg[1]), rng)
        elif op is C.ANY:
            yield "x"
        # AT (anchors) emit nothing


def _member(items, rng: random.Random) -> str:
    op, arg = rng.choice([item for item in items if item[0] in (C.LITERAL, C.RANGE)] or [(C.LITERAL, 97)])
    return chr(arg) if op is C.LITERAL else chr(rng.randint(*arg))


def mutate(text: str, rng: random.Random) -> str:
    """One character changed, removed or added."""
    if not text:
        return "-"
    i = rng.randrange(len(text))
    change = rng.choice("replace remove add".split())
    if change == "remove":
        return text[:i] + text[i + 1 :]
    char = rng.choice("-'aéz9 .Œ")
    return text[:i] + char + text[i + (change == "replace") :]
