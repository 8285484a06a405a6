"""Benchmark: does extraction generalise beyond the dev corpus's wording and layouts?

Rewrites dev-corpus messages in ways the rules never saw (`bench/perturb.py`:
header paraphrases, shuffled columns, two-row merged headers, tables moved to
DOCX / PDF / a scanned image, signatures reflowed, bullets changed), runs each
set through the real pipeline (`bilan ingest --from-dir`, `bilan export
--format json`, in a fresh process with its own SQLite warehouse and archive)
and scores it with `bilan evaluate`'s metrics. Each family is scored on the
messages it rewrote only, next to the same messages unrewritten.

It also runs the template-only ablation: the annex reader with only the ANCT
templates' header texts as anchors (`BILAN_ANNEX_ANCHORS=templates`, no
synonym table), on the messages that carry annex rows.

    .venv/bin/python bench/robustness.py [--corpus DIR] [--sample N] [--families a,b]
                                         [--workdir DIR] [--seed 0] [--no-ablation] [--json FILE]

DIR defaults to `$BILAN_CORPUS_DIR`, else ../shared/corpus/dev. Without
--sample every message is used (17 minutes on the shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.perturb import FAMILIES, perturb  # noqa: E402
from bilan.evaluate import METRIC_NAMES, Metrics, Truth, compute_metrics  # noqa: E402

CLEAN = "clean"
ABLATION = "templates_only"
DEADLINE_PARIS_END = "2021-12-10T22:59:59Z"  # 10 December 2021, 23:59:59 Europe/Paris (UTC+1)
ANNEX_METRICS = ("annexe1_cell_accuracy", "annexe1_row_precision", "annexe2_cell_accuracy", "annexe2_row_precision")
#: Department status depends on which messages a run holds, not on a rewrite:
#: it is scored on the clean sample only.
FAMILY_METRICS = tuple(name for name in METRIC_NAMES if name != "status_accuracy")


@dataclass(frozen=True)
class Item:
    """One corpus message: its file stem (NNNN), raw bytes and truth."""

    stem: str
    raw: bytes
    truth: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.truth.get("message_id") or "")


@dataclass
class Score:
    """A set's metrics on the messages a family rewrote, and the clean ones on the same messages."""

    name: str
    stems: list[str]
    perturbed: Metrics
    clean: Metrics
    seconds: float = 0.0
    changes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SuiteResult:
    sample: list[str]
    clean: Metrics
    clean_seconds: float
    families: list[Score]
    ablation: Score | None


# --------------------------------------------------------------------------- #
# Corpus folders
# --------------------------------------------------------------------------- #


def load_corpus(corpus: Path) -> list[Item]:
    items = []
    for path in sorted((corpus / "messages").glob("*.eml")):
        truth_file = corpus / "truth" / f"{path.stem}.json"
        if truth_file.is_file():
            items.append(Item(path.stem, path.read_bytes(), json.loads(truth_file.read_text(encoding="utf-8"))))
    return items


def derive_departments(truths: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`departments.json` for a subset, by the corpus README's rule: a
    department has responded with its first `contribution`; on time if it
    arrived by the deadline (end of 10 December 2021, Paris time)."""
    table: dict[str, dict[str, Any]] = {}
    for truth in sorted(truths, key=lambda t: t.get("received_at") or ""):
        for code in truth.get("departments") or []:
            entry = table.setdefault(code, {"status": "missing", "first_contribution_at": None, "messages": []})
            entry["messages"].append(truth.get("message_id"))
            if truth.get("kind") == "contribution" and entry["first_contribution_at"] is None:
                entry["first_contribution_at"] = truth.get("received_at")
                entry["status"] = "on_time" if (truth.get("received_at") or "") <= DEADLINE_PARIS_END else "late"
    return table


def write_corpus(folder: Path, items: list[Item], departments: dict[str, Any] | None = None) -> Path:
    """A folder shaped like the corpus: messages/, truth/, departments.json."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "messages").mkdir(parents=True)
    (folder / "truth").mkdir()
    for item in items:
        (folder / "messages" / f"{item.stem}.eml").write_bytes(item.raw)
        (folder / "truth" / f"{item.stem}.json").write_text(json.dumps(item.truth, ensure_ascii=False, indent=1), encoding="utf-8")
    table = departments if departments is not None else derive_departments(item.truth for item in items)
    (folder / "departments.json").write_text(json.dumps(table, ensure_ascii=False, indent=1), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- #
# The pipeline, in a fresh process per set
# --------------------------------------------------------------------------- #


def _bilan_command() -> list[str]:
    script = Path(sys.executable).with_name("bilan")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from bilan.cli import app; app()"]


def run_pipeline(corpus_folder: Path, run_folder: Path, cache_dir: Path, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """`bilan ingest --from-dir` then `bilan export --format json` into a fresh
    SQLite warehouse and archive; returns the export. The parse cache is
    shared between sets: it is keyed by each file's content, so a rewritten
    file is parsed afresh and an untouched one is not parsed twice."""
    if run_folder.exists():
        shutil.rmtree(run_folder)
    run_folder.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BILAN_", "PREFECT_API_"))}
    env.update({
        "BILAN_DATABASE_URL": f"sqlite:///{run_folder / 'bilan.db'}",
        "BILAN_ARCHIVE_DIR": str(run_folder / "archive"),
        "BILAN_CACHE_DIR": str(cache_dir),
        **(extra_env or {}),
    })
    export = run_folder / "export.json"
    for arguments in (["ingest", "--from-dir", str(corpus_folder / "messages")], ["export", "--format", "json", "--out", str(export)]):
        done = subprocess.run([*_bilan_command(), *arguments], cwd=run_folder, env=env, capture_output=True, text=True)
        (run_folder / f"{arguments[0]}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise RuntimeError(f"bilan {arguments[0]} failed in {run_folder}:\n{done.stderr[-2000:]}")
    return json.loads(export.read_text(encoding="utf-8"))


def score(truths: list[dict[str, Any]], export: dict[str, Any], departments: dict[str, Any] | None = None) -> Metrics:
    """`bilan evaluate`'s metrics over these truth messages only."""
    table = departments if departments is not None else derive_departments(truths)
    return compute_metrics(Truth(messages=truths, departments=table), export)


# --------------------------------------------------------------------------- #
# The suite
# --------------------------------------------------------------------------- #


def perturb_items(items: list[Item], family: str, seed: int) -> dict[str, tuple[Item, list[str]]]:
    """The family's rewrite of each item it applies to, by stem."""
    done = {}
    for item in items:
        try:
            result = perturb(family, item.raw, item.truth, seed)
        except Exception as error:  # one odd file must not sink a 10-minute run; it is reported
            print(f"{family}: {item.stem} not rewritten: {error!r}", file=sys.stderr)
            continue
        if result is not None:
            done[item.stem] = (Item(item.stem, result.raw, result.truth), result.changes)
    return done


def choose_sample(items: list[Item], families: list[str], size: int | None, seed: int) -> list[Item]:
    """All items, or `size` of them drawn at random (seeded) among those at
    least one chosen family rewrites, back in corpus order."""
    if size is None or size >= len(items):
        return items
    order = list(items)
    random.Random(seed).shuffle(order)
    chosen = []
    for item in order:
        if any(perturb(family, item.raw, item.truth, seed) is not None for family in families):
            chosen.append(item)
            if len(chosen) == size:
                break
    return sorted(chosen, key=lambda item: item.stem)


def _linked(items: list[Item], subset: Iterable[Item]) -> list[Item]:
    """The messages of `items` that `subset` declares it supersedes or completes:
    run (unrewritten, unscored) beside a set, so that its version links can be found."""
    by_id = {item.message_id: item for item in items}
    wanted = {item.truth.get(key) for item in subset for key in ("supersedes", "complements")}
    stems = {item.stem for item in subset}
    return [by_id[mid] for mid in wanted if mid in by_id and by_id[mid].stem not in stems]


def run_suite(
    corpus: Path,
    families: list[str] | None = None,
    sample: int | None = None,
    workdir: Path | None = None,
    seed: int = 0,
    ablation: bool = True,
    log: Callable[[str], None] = print,
) -> SuiteResult:
    """Clean sample, each family, the template-only ablation; see the module docstring."""
    families = list(families or FAMILIES)
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bilan-robustness-"))
    cache = workdir / "parse-cache"
    corpus_items = load_corpus(corpus)
    items = choose_sample(corpus_items, families, sample, seed)
    whole = len(items) == len(corpus_items)
    departments = json.loads((corpus / "departments.json").read_text(encoding="utf-8")) if whole else None
    context = _linked(corpus_items, items)

    started = time.perf_counter()
    clean_set = sorted(items + context, key=lambda item: item.stem)
    clean_export = run_pipeline(write_corpus(workdir / CLEAN / "corpus", clean_set, departments), workdir / CLEAN / "run", cache)
    clean_seconds = time.perf_counter() - started
    clean = score([item.truth for item in items], clean_export, departments)
    log(f"{CLEAN}: {len(items)} messages, {clean_seconds:.1f} s")

    scores = []
    for family in families:
        rewritten = perturb_items(items, family, seed)
        if not rewritten:
            log(f"{family}: applies to no message of the sample")
            continue
        perturbed = [entry[0] for entry in rewritten.values()]
        run_items = sorted(perturbed + _linked(corpus_items, perturbed), key=lambda item: item.stem)
        started = time.perf_counter()
        export = run_pipeline(write_corpus(workdir / family / "corpus", run_items), workdir / family / "run", cache)
        seconds = time.perf_counter() - started
        originals = [item.truth for item in items if item.stem in rewritten]
        scores.append(Score(
            family, sorted(rewritten), score([item.truth for item in perturbed], export), score(originals, clean_export),
            seconds, {stem: entry[1] for stem, entry in rewritten.items()},
        ))
        log(f"{family}: {len(perturbed)} messages rewritten, {seconds:.1f} s")

    ablated = None
    if ablation:
        annexed = [item for item in items if item.truth.get("annexe1_rows") or item.truth.get("annexe2_rows")]
        if annexed:
            started = time.perf_counter()
            ablation_set = sorted(annexed + _linked(corpus_items, annexed), key=lambda item: item.stem)
            export = run_pipeline(write_corpus(workdir / ABLATION / "corpus", ablation_set), workdir / ABLATION / "run", cache,
                                  {"BILAN_ANNEX_ANCHORS": "templates"})
            seconds = time.perf_counter() - started
            truths = [item.truth for item in annexed]
            ablated = Score(ABLATION, [item.stem for item in annexed], score(truths, export), score(truths, clean_export), seconds)
            log(f"{ABLATION}: {len(annexed)} messages with annex rows, {seconds:.1f} s")
    return SuiteResult([item.stem for item in items], clean, clean_seconds, scores, ablated)


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_table(result: SuiteResult) -> str:
    """One Markdown table: metric | clean | each family as "perturbed (clean on the same messages)"."""
    header = ["metric", f"clean ({len(result.sample)})"] + [f"{s.name} ({len(s.stems)})" for s in result.families]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in METRIC_NAMES:
        cells = [name, _value(result.clean.get(name))]
        for family in result.families:
            if name not in FAMILY_METRICS:
                cells.append("·")
                continue
            perturbed, clean = family.perturbed.get(name), family.clean.get(name)
            cells.append("n/a" if perturbed is None and clean is None else f"{_value(perturbed)} ({_value(clean)})")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_ablation(score_: Score) -> str:
    lines = [f"| metric | all anchors ({len(score_.stems)}) | templates only |", "|---|---|---|"]
    for name in ANNEX_METRICS:
        lines.append(f"| {name} | {_value(score_.clean.get(name))} | {_value(score_.perturbed.get(name))} |")
    return "\n".join(lines)


def to_json(result: SuiteResult) -> dict[str, Any]:
    def one(score_: Score) -> dict[str, Any]:
        return {"messages": score_.stems, "perturbed": score_.perturbed, "clean": score_.clean,
                "seconds": round(score_.seconds, 1), "changes": score_.changes}

    return {
        "sample": result.sample,
        "clean": result.clean,
        "clean_seconds": round(result.clean_seconds, 1),
        "families": {score_.name: one(score_) for score_ in result.families},
        ABLATION: one(result.ablation) if result.ablation else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--sample", type=int, default=None, help="Messages to draw (default: all).")
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"Comma-separated, among: {', '.join(FAMILIES)}.")
    parser.add_argument("--workdir", type=Path, default=None, help="Where the sets and warehouses go (default: a temporary folder).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-ablation", action="store_true", help="Skip the template-only annex run.")
    parser.add_argument("--json", type=Path, default=None, help="Also write every figure and each rewrite's changes as JSON.")
    args = parser.parse_args()

    families = [name.strip() for name in args.families.split(",") if name.strip()]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown families: {', '.join(unknown)}")
    if not (args.corpus / "messages").is_dir():
        parser.error(f"no messages/ in {args.corpus} (set --corpus or BILAN_CORPUS_DIR)")

    started = time.perf_counter()
    result = run_suite(args.corpus, families, args.sample, args.workdir, args.seed, not args.no_ablation,
                       log=lambda line: print(line, file=sys.stderr, flush=True))
    print("\nPerturbed (clean on the same messages); the clean column is the whole sample.\n")
    print(format_table(result))
    if result.ablation:
        print("\nTemplate-only ablation (BILAN_ANNEX_ANCHORS=templates), messages with annex rows:\n")
        print(format_ablation(result.ablation))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(to_json(result), ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
