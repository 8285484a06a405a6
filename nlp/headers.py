"""What a table's column header means: recommendations, strengths,
weaknesses, or the theme of each row - decided by meaning, not by a list of
header strings.

Authors name their columns as they like ("Recommandation", "Mesure
proposée", "Suggestion", "Action envisagée"; "Axe", "Enjeu", "Thème"). A
header means a kind of content when, in this order:

1. it uses the section vocabulary of `structure.SECTION_TITLES`;
2. one of its nouns has the lemma of a word of `MEANINGS` (lemma overlap:
   "Propositions retenues", "Préconisations du groupe");
2. its head noun's `fr_core_news_md` vector is close to one of those words
   (`MIN_SIMILARITY`) and clearly closer to it than to any other meaning's
   (`MIN_MARGIN`), and the column's values confirm it (`structure` checks
   that they read as proposals or name themes): "Pilote", "Porteur" or
   "Échéance" are never candidates, "Identification" is one its values reject.

A header whose noun is qualified by a past participle that does not propose
("Actions menées", "Actions réalisées") describes what was done: it is no
recommendations column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


class Meaning(str, enum.Enum):
    RECOMMENDATIONS = "recommendations"
    STRENGTHS = "strengths"
    WEAKNESSES = "weaknesses"
    THEME = "theme"


#: The words that say each meaning, as lemmas.
MEANINGS: dict[Meaning, tuple[str, ...]] = {
    Meaning.RECOMMENDATIONS: ("recommandation", "proposition", "préconisation", "suggestion", "action"),
    Meaning.STRENGTHS: ("atout", "réussite", "force"),
    Meaning.WEAKNESSES: ("fragilité", "difficulté", "faiblesse"),
    Meaning.THEME: ("axe", "thème", "thématique", "enjeu"),
}
#: Cosine similarity of a head noun to a meaning's word, and lead over the
#: next meaning, for the vector test (the words themselves score 1.0;
#: headers such as "Observation", "Demande" or "Responsable" stay below 0.76).
MIN_SIMILARITY = 0.76
MIN_MARGIN = 0.08
#: Past participles that still propose ("Actions proposées", "Mesures retenues").
_PROPOSING_PARTICIPLES = {"proposer", "préconiser", "recommander", "suggérer", "envisager", "retenir", "souhaiter"}


@dataclass(frozen=True)
class HeaderMeaning:
    meaning: Meaning
    #: Said by the header's words (lemma overlap); False when only its
    #: vector is close, which the column's values must then confirm: word
    #: vectors put most nouns in "-tion" near "action" ("Identification").
    sure: bool


@lru_cache(maxsize=2048)
def header_meaning(text: str) -> HeaderMeaning | None:
    """The meaning of a column header, or None (see the module docstring)."""
    text = " ".join(text.split())
    if not text or len(text.split()) > 6 or not any(c.isalpha() for c in text):
        return None
    from bilan.nlp.pipeline import get_nlp

    nlp = get_nlp()
    doc = nlp(text[:1].lower() + text[1:], disable=["parser", "ner"])  # tags and lemmas are all it reads
    nouns = [t for t in doc if t.pos_ in ("NOUN", "PROPN")]
    if not nouns:
        return None
    if any("Part" in t.morph.get("VerbForm") and t.lemma_ not in _PROPOSING_PARTICIPLES for t in doc):
        return None
    lemmas = {t.lemma_.lower() for t in doc if t.is_alpha} | {t.lower_ for t in doc if t.is_alpha}
    for meaning, words in MEANINGS.items():
        if lemmas & set(words):
            return HeaderMeaning(meaning, sure=True)
    closest = _closest_meaning(nouns[0])
    return HeaderMeaning(closest, sure=False) if closest is not None else None


def _closest_meaning(noun) -> Meaning | None:
    if not noun.has_vector:
        return None
    scores = sorted(
        ((max(_similarity(noun.vector, word) for word in words), meaning) for meaning, words in MEANINGS.items()),
        reverse=True,
    )
    (best, meaning), (second, _) = scores[0], scores[1]
    return meaning if best >= MIN_SIMILARITY and best - second >= MIN_MARGIN else None


def _similarity(vector: np.ndarray, word: str) -> float:
    other = _word_vector(word)
    norm = float(np.linalg.norm(vector) * np.linalg.norm(other))
    return float(np.dot(vector, other)) / norm if norm else 0.0


@lru_cache(maxsize=64)
def _word_vector(word: str) -> np.ndarray:
    from bilan.nlp.pipeline import get_nlp

    return get_nlp().vocab[word].vector
