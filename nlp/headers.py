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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Token


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
_MEANING_WORDS = frozenset(word for words in MEANINGS.values() for word in words)
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


#: Header meanings already read, by normalised text (a corpus repeats its
#: header texts); cleared when it reaches `_CACHE_SIZE`.
_read: dict[str, HeaderMeaning | None] = {}
_CACHE_SIZE = 4096
#: What reading a header needs: parts of speech, morphology and lemmas.
_HEADER_DISABLED = ["parser", "ner"]


@lru_cache(maxsize=4096)
def header_meaning(text: str) -> HeaderMeaning | None:
    """The meaning of a column header, or None (see the module docstring)."""
    return header_meanings([text])[0]


def header_meanings(texts: Sequence[str]) -> list[HeaderMeaning | None]:
    """`header_meaning` of each text, those not read yet read in one pass of
    the model: a row of header cells costs about what one cell does."""
    keys = [_key(text) for text in texts]
    unread = [key for key in dict.fromkeys(keys) if key is not None and key not in _read]
    if unread:
        from bilan.nlp.pipeline import get_nlp

        nlp = get_nlp()
        if len(_read) + len(unread) > _CACHE_SIZE:
            _read.clear()
        to_tag = []
        for key in unread:
            if _may_name_a_meaning(nlp.make_doc(_as_read(key)), nlp):
                to_tag.append(key)
            else:
                _read[key] = None
        # Tags and lemmas are all it reads.
        for key, doc in zip(to_tag, nlp.pipe((_as_read(key) for key in to_tag), disable=_HEADER_DISABLED)):
            _read[key] = _meaning_of(doc)
    return [None if key is None else _read.get(key) for key in keys]


def _key(text: str) -> str | None:
    """The header as read (spaces normalised), or None when it cannot name a
    meaning: empty, longer than a header, no letter."""
    text = " ".join(text.split())
    if not text or len(text.split()) > 6 or not any(c.isalpha() for c in text):
        return None
    return text


def _as_read(key: str) -> str:
    """Lower-case initial: a capital makes the tagger see a proper noun."""
    return key[:1].lower() + key[1:]


def _may_name_a_meaning(tokens: Doc, nlp: Language) -> bool:
    """Can tagging the header (`tokens`, not tagged) give it a meaning? Only
    if one of its words can have the lemma of a word of `MEANINGS`, whatever
    part of speech the tagger gives it, or has a vector close enough to one
    (`_closest_meaning`). Most headers ("Commune", "Code QPV") have neither
    and need no tagger: this leaves out nothing `_meaning_of` could find."""
    return any((token.is_alpha and _may_be_a_meaning_word(token, nlp)) or _near_a_meaning(token) for token in tokens)


#: Per word: can it be a word of `MEANINGS` (`_may_be_a_meaning_word`)?
_word_checked: dict[str, bool] = {}


def _may_be_a_meaning_word(token: Token, nlp: Language) -> bool:
    """Its lower case form, or its lemma under any part of speech, is a word
    of `MEANINGS`."""
    known = _word_checked.get(token.text)
    if known is None:
        known = token.lower_ in _MEANING_WORDS or _lemma_may_be_a_meaning_word(token.text, nlp)
        if len(_word_checked) < _CACHE_SIZE:
            _word_checked[token.text] = known
    return known


def _lemma_may_be_a_meaning_word(text: str, nlp: Language) -> bool:
    """Can the model's lemmatizer give `text` the lemma of a word of
    `MEANINGS`, whatever its part of speech? Read from the tables the French
    rule lemmatizer draws its lemmas from: the exceptions of every part of
    speech, the words its suffix rules turn into one of them, and the lookup
    table (an index hit gives the word itself). Another lemmatizer: maybe."""
    tables = _lemma_tables(nlp)
    if tables is None:
        return False  # no lemmatizer: lemmas are empty
    if tables is _ANY_LEMMA:
        return True
    exceptions, ruled, lookup = tables
    lower = text.lower()
    if lower in ruled or any(form in _MEANING_WORDS for table in exceptions for form in table.get(lower, ())):
        return True
    return any(_first(lookup.get(key)) in _MEANING_WORDS for key in (lower, text))


_ANY_LEMMA = object()


def _first(found) -> str | None:
    if isinstance(found, str):
        return found
    return found[0] if found else None


@lru_cache(maxsize=1)
def _lemma_tables(nlp: Language):
    """(exception tables, words the suffix rules turn into a word of
    `MEANINGS`, lookup table), or None without a lemmatizer, or `_ANY_LEMMA`
    for a lemmatizer that is not the French rule lemmatizer."""
    from spacy.lang.fr.lemmatizer import FrenchLemmatizer

    if "lemmatizer" not in nlp.pipe_names:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if not isinstance(lemmatizer, FrenchLemmatizer) or lemmatizer.mode != "rule":
        return _ANY_LEMMA
    lookups = lemmatizer.lookups
    exceptions = tuple(lookups.get_table("lemma_exc", {}).values())
    # A rule (old, new) turns `stem + old` into `stem + new`.
    ruled = frozenset(
        word[: len(word) - len(new)] + old
        for rules in lookups.get_table("lemma_rules", {}).values()
        for old, new in rules
        for word in _MEANING_WORDS
        if word.endswith(new)
    )
    return exceptions, ruled, lookups.get_table("lemma_lookup", {})


def _near_a_meaning(token: Token) -> bool:
    """Close enough by its vector to a word of `MEANINGS` for `_closest_meaning`."""
    return token.has_vector and _closest_similarity(token.text, token.vector) >= MIN_SIMILARITY


_closest: dict[str, float] = {}


def _closest_similarity(text: str, vector: np.ndarray) -> float:
    """The highest `_similarity` of a word's vector to a word of `MEANINGS`."""
    found = _closest.get(text)
    if found is None:
        found = max(_similarity(vector, word) for words in MEANINGS.values() for word in words)
        if len(_closest) < _CACHE_SIZE:
            _closest[text] = found
    return found


def _meaning_of(doc) -> HeaderMeaning | None:
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
