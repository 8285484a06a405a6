"""Annex table quality overall and on the messages whose annexes are in a
format parsed today, from an export (`bilan export --format json`).

    .venv/bin/python bench/annex_quality.py --truth ../shared/corpus/dev --export export.json [--formats xlsx,docx,pdf]

Prints the annex and meeting metrics of `bilan evaluate` for both sets, so
that what the extraction misses is not confused with what the parsers
cannot read yet.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bilan.evaluate import compute_metrics, load_truth, restrict_to_annex_formats

METRICS = ("annexe1_cell_accuracy", "annexe1_row_precision", "annexe2_cell_accuracy", "annexe2_row_precision",
           "meeting_accuracy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--export", type=Path, required=True)
    parser.add_argument("--formats", default="xlsx,docx,pdf", help="annex formats the parsers read today")
    args = parser.parse_args()
    truth = load_truth(args.truth)
    export = json.loads(args.export.read_text(encoding="utf-8"))
    subsets = {"all messages": truth, f"annexes in {args.formats}": restrict_to_annex_formats(
        truth, args.formats.split(","))}
    for label, subset in subsets.items():
        metrics = compute_metrics(subset, export)
        print(f"{label} ({len(subset.messages)} messages)")
        for name in METRICS:
            value = metrics[name]
            print(f"  {name}: {'n/a' if value is None else f'{value:.3f}'}")


if __name__ == "__main__":
    main()
