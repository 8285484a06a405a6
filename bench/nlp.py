"""Benchmark: NLP throughput of the recommendation, strength and weakness reading.

Parses every message of a folder of .eml files (the dev corpus by default),
then measures, on the text the extractors actually read:

- how many blocks there are, and how many passages are read (only those in a
  recommendations / strengths / weaknesses section, a survey answer, or with a
  cue word go through spaCy);
- sentences per second of each spaCy step with the components kept:
  `senter` (sentence boundaries), the reading pass (tok2vec, morphologizer,
  parser, attribute_ruler, lemmatizer), `ner` (on the findings only), and the
  theme textcat; and, for comparison, the full pipeline on the same sentences;
- seconds per message of the whole `extract_findings` step.

    .venv/bin/python bench/nlp.py [--messages DIR] [--runs 3]

DIR defaults to `$BILAN_CORPUS_DIR/messages`, else ../shared/corpus/dev/messages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _best(runs: int, work) -> float:
    """Median seconds of `runs` calls of `work`."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    corpus = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--messages", type=Path, default=corpus / "messages")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bilan.nlp.findings import findings_from_documents, message_passages, sentence_spans
    from bilan.nlp.kind import classify_kind
    from bilan.nlp.mentions import get_mention_finder
    from bilan.nlp.pipeline import READING_COMPONENTS, SENTENCE_COMPONENT, get_nlp
    from bilan.nlp.recommendations import clean_item_text, may_hold_recommendation, reading_text
    from bilan.nlp.structure import Section
    from bilan.nlp.themes import get_theme_classifier
    from bilan.parsers.message import parse_message

    if not any(args.messages.glob("*.eml")):
        parser.error(f"no .eml file in {args.messages} (set --messages or BILAN_CORPUS_DIR)")
    start = time.perf_counter()
    nlp = get_nlp()
    themes = get_theme_classifier()
    load_seconds = time.perf_counter() - start

    messages = []
    for path in sorted(args.messages.glob("*.eml")):
        parsed = parse_message(path.read_bytes())
        documents = [(a.index if a else None, doc) for a, doc in parsed.documents()]
        messages.append((classify_kind(parsed).value, documents))
    blocks = sum(len(doc.blocks) for _, documents in messages for _, doc in documents)
    passages = [p for kind, documents in messages for p in message_passages(documents, kind)
                if kind in ("contribution", "survey_response")]
    read = [p for p in passages if may_hold_recommendation(p)
            or p.only_in(Section.STRENGTHS) or p.only_in(Section.WEAKNESSES)]
    texts = [clean_item_text(p.text)[0] for p in read]

    senter = nlp.get_pipe(SENTENCE_COMPONENT)
    docs = list(senter.pipe(nlp.make_doc(t) for t in texts))
    sentences = [reading_text(clean_item_text(s.text)[0]) for d in docs for s in sentence_spans(d)]
    not_reading = [name for name in nlp.pipe_names if name not in READING_COMPONENTS]
    found = [s for kind, documents in messages for s in _items(findings_from_documents(documents, kind))]

    timings = {
        "senter": (_best(args.runs, lambda: list(senter.pipe(nlp.make_doc(t) for t in texts))), len(sentences)),
        "reading (" + "+".join(READING_COMPONENTS) + ")": (
            _best(args.runs, lambda: list(nlp.pipe(sentences, disable=not_reading))), len(sentences)),
        "ner (findings only)": (_best(args.runs, lambda: get_mention_finder().find_many(found)), len(found)),
        "theme textcat (same sentences)": (_best(args.runs, lambda: themes.predict(found)), len(found)),
        "full pipeline, for comparison": (_best(args.runs, lambda: list(nlp.pipe(sentences))), len(sentences)),
    }
    extract_seconds = _best(args.runs, lambda: [findings_from_documents(d, k) for k, d in messages])

    print(f"messages: {len(messages)}")
    print(f"blocks: {blocks}")
    print(f"passages_of_contributions_and_surveys: {len(passages)}")
    print(f"passages_read_by_spacy: {len(read)}")
    print(f"sentences_read: {len(sentences)}")
    print(f"findings: {len(found)}")
    print(f"model_load_seconds: {load_seconds:.1f}")
    for name, (seconds, count) in timings.items():
        print(f"{name}: {count / seconds:.0f} sentences/s ({count} in {seconds:.2f} s)")
    print(f"extract_findings: {extract_seconds:.2f} s for {len(messages)} messages "
          f"({1000 * extract_seconds / len(messages):.0f} ms/message)")


def _items(findings) -> list[str]:
    return [x.text for x in (*findings.recommendations, *findings.strengths, *findings.weaknesses)]


if __name__ == "__main__":
    main()
