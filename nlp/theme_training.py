"""Train the theme classifier (`bilan train-themes`).

The training set, `nlp/training/themes.jsonl`, holds sentences written for
this project from the theme definitions of the campaign (one JSON object per
line: `{"text": ..., "theme": ...}`). One sentence in five is held out, chosen
by a hash of its text so that the split never changes when lines are added
elsewhere; the model is trained on the rest and its accuracy on the held-out
sentences is printed and stored in `metrics.json` beside the weights.

Training is reproducible: fixed seed, fixed split, fixed number of epochs.
It takes about a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import spacy
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from bilan.nlp.pipeline import MODEL
from bilan.nlp.themes import MODEL_DIR, THEMES, TRAINING_DATA, ThemeClassifier, build_theme_pipeline

#: One sentence in HELD_OUT_EVERY is kept for evaluation.
HELD_OUT_EVERY = 5


@dataclass(frozen=True)
class LabelledSentence:
    text: str
    theme: str

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha1(self.text.encode("utf-8")).hexdigest()
        return int(digest, 16) % HELD_OUT_EVERY == 0


@dataclass
class ThemeMetrics:
    train_sentences: int
    held_out_sentences: int
    held_out_accuracy: float
    per_theme: dict[str, float] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    epochs: int = 0
    seed: int = 0
    trained_at: str = ""

    def describe(self) -> str:
        lines = [
            f"training sentences: {self.train_sentences}",
            f"held-out sentences: {self.held_out_sentences}",
            f"held-out accuracy: {self.held_out_accuracy:.3f}",
        ]
        lines += [f"  {theme}: {value:.3f}" for theme, value in sorted(self.per_theme.items())]
        return "\n".join(lines)


def load_sentences(path: Path = TRAINING_DATA) -> list[LabelledSentence]:
    sentences = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["theme"] not in THEMES:
            raise ValueError(f"{path}:{number}: unknown theme {row['theme']!r}")
        sentences.append(LabelledSentence(row["text"].strip(), row["theme"]))
    return sentences


def split(sentences: list[LabelledSentence]) -> tuple[list[LabelledSentence], list[LabelledSentence]]:
    train = [s for s in sentences if not s.held_out]
    held_out = [s for s in sentences if s.held_out]
    return train, held_out


def train_theme_model(
    data: Path = TRAINING_DATA, output: Path = MODEL_DIR, *, epochs: int = 20, seed: int = 0
) -> ThemeMetrics:
    """Train on the training part, evaluate on the held-out part, save weights and metrics."""
    fix_random_seed(seed)
    train, held_out = split(load_sentences(data))
    # The vocabulary of the French model brings its static vectors; no component is needed.
    vocab = spacy.load(MODEL, exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler",
                                       "lemmatizer", "ner", "senter"]).vocab
    nlp = build_theme_pipeline(vocab)
    examples = [
        Example.from_dict(nlp.make_doc(s.text), {"cats": {t: float(t == s.theme) for t in THEMES}})
        for s in train
    ]
    optimizer = nlp.initialize(lambda: examples)
    for epoch in range(epochs):
        random.Random(seed + epoch).shuffle(examples)
        for batch in minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    output.mkdir(parents=True, exist_ok=True)
    nlp.get_pipe("textcat").to_disk(output / "textcat", exclude=["vocab"])
    metrics = evaluate_sentences(ThemeClassifier(vocab, output), held_out)
    metrics.train_sentences = len(train)
    metrics.epochs, metrics.seed = epochs, seed
    metrics.trained_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (output / "metrics.json").write_text(json.dumps(asdict(metrics), indent=1, ensure_ascii=False) + "\n")
    return metrics


def evaluate_sentences(classifier: ThemeClassifier, sentences: list[LabelledSentence]) -> ThemeMetrics:
    predictions = classifier.predict([s.text for s in sentences])
    right: Counter = Counter()
    total: Counter = Counter()
    confusions: Counter = Counter()
    for sentence, prediction in zip(sentences, predictions):
        total[sentence.theme] += 1
        if prediction.theme == sentence.theme:
            right[sentence.theme] += 1
        else:
            confusions[(sentence.theme, prediction.theme)] += 1
    return ThemeMetrics(
        train_sentences=0,
        held_out_sentences=len(sentences),
        held_out_accuracy=round(sum(right.values()) / max(1, len(sentences)), 4),
        per_theme={t: round(right[t] / total[t], 4) for t in sorted(total)},
        confusions=[(a, b, n) for (a, b), n in confusions.most_common()],
    )
