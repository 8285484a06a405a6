"""Quality of recommendations, themes, strengths and weaknesses: on the whole
labelled corpus, and on the messages whose files are all parsed today.

The second figure separates the extractors from the parsers: a message with an
attachment the parsers cannot read yet (ODT, ODS, XLS, a scan without OCR)
loses its recommendations whatever the extractor does.

    .venv/bin/bilan export --format json --out export.json
    .venv/bin/python bench/findings_quality.py --truth ../shared/corpus/dev --export export.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bilan.evaluate import compute_metrics, load_truth  # noqa: E402
from tests.corpus_subsets import parsed_today, restrict  # noqa: E402

METRICS = (
    "recommendation_precision",
    "recommendation_recall",
    "recommendation_f1",
    "recommendation_theme_accuracy",
    "strength_f1",
    "weakness_f1",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--export", type=Path, required=True)
    args = parser.parse_args()
    truth = load_truth(args.truth)
    export = json.loads(args.export.read_text(encoding="utf-8"))
    subset = restrict(truth, parsed_today(export))
    for name, part in (("all", truth), ("parsed_today", subset)):
        metrics = compute_metrics(part, export)
        print(f"{name}_messages: {len(part.messages)}")
        for metric in METRICS:
            value = metrics[metric]
            print(f"{name}_{metric}: {'n/a' if value is None else f'{value:.3f}'}")


if __name__ == "__main__":
    main()
