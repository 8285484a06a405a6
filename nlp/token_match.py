"""spaCy's French `token_match`, compiled in a tenth of the time.

The French tokenizer keeps whole the hyphenated and elided words of a long
list ("grand-mère", "entr'ouvert") with one regular expression of 266
anchored alternatives, 1.4 MB of pattern text: most of them are a short
head followed by the same tail, two character classes of every lower-case
letter Unicode knows. Python compiles each copy of those classes again, case
folding included, and the whole takes about 2.5 s of CPU in every process
that loads the French language (`spacy.lang.fr` compiles it on import): more
than loading the model itself.

`prime()` compiles an equivalent expression instead, the heads that share a
tail grouped in front of one copy of it (`^(?:h1|h2|...)tail` matches exactly
what `^h1tail|^h2tail|...` matches), and puts it in the `re` module's cache
under the original pattern text, so that spaCy's own `re.compile` of that
text, at import and again when the model's tokenizer is read, returns it.
Nothing of spaCy is patched: if the cache is not where this expects it (a
future Python), or the pattern is not shaped as expected (a future spaCy),
nothing is primed and spaCy compiles its pattern itself, as slowly as
before. `tests/test_token_match.py` checks that the two expressions agree
on every string of the model's vocabulary and on strings generated from
each alternative and mutated.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

log = logging.getLogger(__name__)

#: A character class longer than this (in pattern characters) is worth
#: compiling once: below it, grouping saves nothing that matters.
LARGE_CLASS = 200

_primed: set[str] = set()


def prime(model: str) -> bool:
    """Compile the model's `token_match` the fast way and leave it where
    spaCy's compile will find it; call before the first `spacy.load`,
    `spacy.blank("fr")` or import of `spacy.lang.fr`. Idempotent; returns
    whether the cache now holds the fast expression."""
    pattern = model_token_match(model)
    if pattern is None:
        return False
    if pattern in _primed:
        return True
    fast = factored(pattern)
    cache = getattr(re, "_cache", None)
    if fast is None or not isinstance(cache, dict):
        log.debug("spaCy's token_match left to compile itself (unexpected shape or re cache)")
        return False
    cache[(str, pattern, 0)] = re.compile(fast)
    _primed.add(pattern)
    return True


def model_token_match(model: str) -> str | None:
    """The `token_match` pattern text stored with the installed model's
    tokenizer (the same text `spacy.lang.fr` builds), or None."""
    import srsly

    spec = importlib.util.find_spec(model)
    if spec is None or spec.origin is None:
        return None
    for tokenizer in Path(spec.origin).parent.glob(f"{model}-*/tokenizer"):
        pattern = srsly.msgpack_loads(tokenizer.read_bytes()).get("token_match")
        return pattern if isinstance(pattern, str) else None
    return None


def factored(pattern: str) -> str | None:
    """An expression that matches what `pattern` matches, with the heads of
    alternatives that share a tail grouped in front of one copy of it; None
    when `pattern` is not a flag group and `(?:...)` alternatives each
    anchored by `^`."""
    split = alternatives(pattern)
    if split is None:
        return None
    flags, alts = split
    groups: dict[str, list[str]] = {}
    whole: list[str] = []
    for alt in alts:
        parts = head_and_tail(alt)
        if parts is None:
            whole.append(alt)
        else:
            groups.setdefault(parts[1], []).append(parts[0])
    out = [f"(?:^(?:{'|'.join(heads)}){tail})" for tail, heads in groups.items()]
    out += [f"(?:{alt})" for alt in whole]
    return flags + "|".join(out)


def alternatives(pattern: str) -> tuple[str, list[str]] | None:
    """Split `(?iu)(?:a)|(?:b)` into `("(?iu)", ["a", "b"])`, cutting only at
    the bars outside groups and character classes; None for another shape."""
    flags = re.match(r"\(\?[a-zA-Z]+\)", pattern)
    prefix = flags.group(0) if flags else ""
    body = pattern[len(prefix) :]
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(body):
        char = body[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 2 if body[i + 1 : i + 2] == "]" else 1  # a "]" first in a class is a member
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    if not all(part.startswith("(?:") and part.endswith(")") for part in parts):
        return None
    return prefix, [part[3:-1] for part in parts]


def head_and_tail(alternative: str) -> tuple[str, str] | None:
    """`^head` + `tail`, the tail starting at the first large character class;
    None when there is none, when the head is empty or holds a group or a bar
    (kept whole: cutting there could change what the group spans)."""
    if not alternative.startswith("^"):
        return None
    i, class_start = 1, -1
    while i < len(alternative):
        char = alternative[i]
        if char == "\\":
            i += 2
            continue
        if class_start >= 0:
            if char == "]":
                if i - class_start > LARGE_CLASS:
                    head = alternative[1:class_start]
                    return (head, alternative[class_start:]) if head else None
                class_start = -1
        elif char == "[":
            class_start = i
            if alternative[i + 1 : i + 2] == "]":
                i += 1
        elif char in "(|":
            return None
        i += 1
    return None
