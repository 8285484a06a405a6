"""Score an export against the labelled truth folder.

`bilan evaluate --truth DIR --export FILE` uses this module. The export is one
JSON object::

    {"messages": [ {same fields as a truth/NNNN.json file}, ... ],
     "departments": {"93": {"status": ..., "first_contribution_at": ..., "messages": [...]}}}

Every metric is computed over the messages of the *truth* folder, matched to the
export by Message-ID. A truth message missing from the export counts as wrong
everywhere it is involved; exported messages absent from the truth are ignored.

Conventions used throughout (decided here because the brief left them open):

* Strings are compared case-folded with whitespace collapsed; numbers
  numerically (``3000 == 3000.0``); booleans only equal booleans (so ``True`` is
  not ``1``); ``None`` only equals ``None``. A number given as a string
  (``"3000"``) is *not* equal to the number: the export is expected to be typed.
* Message-IDs are compared without surrounding whitespace and angle brackets.
* Attachment names are compared after Unicode NFC normalisation (macOS mailers
  send decomposed accents) and stripping of surrounding whitespace.
* Department codes are compared stripped and upper-cased (``2a`` == ``2A``).
* If the export lists the same Message-ID twice, the first occurrence is used.
* Precision / recall / F1 never return ``None``: precision with nothing
  predicted is 0.0 when there was something to find and 1.0 when there was
  nothing (nothing claimed, nothing wrong); recall is symmetric; F1 is 0.0 when
  precision + recall is 0. Plain accuracies return ``None`` ("n/a") when there is
  nothing to average over.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rapidfuzz import fuzz

Metrics = dict[str, float | None]

#: Output order of `format_metrics` (after the `messages_matched` line).
METRIC_NAMES: tuple[str, ...] = (
    "kind_accuracy",
    "department_accuracy",
    "status_accuracy",
    "attachment_status_accuracy",
    "attachment_role_accuracy",
    "annexe1_cell_accuracy",
    "annexe1_row_precision",
    "annexe2_cell_accuracy",
    "annexe2_row_precision",
    "recommendation_precision",
    "recommendation_recall",
    "recommendation_f1",
    "recommendation_theme_accuracy",
    "strength_f1",
    "weakness_f1",
    "sender_role_accuracy",
    "modality_accuracy",
    "meeting_accuracy",
    "pii_accuracy",
    "version_link_accuracy",
)

#: Every cell of an Annexe 1 row, as in the truth schema.
ANNEXE1_FIELDS: tuple[str, ...] = (
    "commune",
    "qpv_code",
    "qpv_nom",
    "conseil_constitue",
    "date_creation",
    "membres_habitants",
    "membres_acteurs_locaux",
    "actif",
    "structure_porteuse",
    "participation_pilotage",
    "formation_suivie",
    "budget_annuel_eur",
)

#: Every cell of an Annexe 2 row, as in the truth schema.
ANNEXE2_FIELDS: tuple[str, ...] = (
    "type",
    "commune",
    "qpv_code",
    "porteur",
    "annee_creation",
    "habitants_mobilises",
)

#: Minimum `rapidfuzz.fuzz.ratio` (0-100) for two sentences to be "the same".
FUZZY_THRESHOLD = 90.0

CONTRIBUTION = "contribution"


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #


@dataclass
class Truth:
    """The labelled corpus: one dict per message and the per-department table."""

    messages: list[dict[str, Any]]
    departments: dict[str, dict[str, Any]]


def load_truth(truth_dir: Path) -> Truth:
    """Read the truth messages and `departments.json`.

    `truth_dir` may be the corpus root (holding `truth/` and `departments.json`)
    or the `truth/` folder itself, with `departments.json` beside it or in its
    parent, so that both `--truth corpus/dev` and `--truth corpus/dev/truth` work.
    """
    truth_dir = Path(truth_dir)
    messages_dir = truth_dir / "truth" if (truth_dir / "truth").is_dir() else truth_dir
    if not messages_dir.is_dir():
        raise FileNotFoundError(f"truth folder not found: {truth_dir}")

    candidates = [messages_dir / "departments.json", messages_dir.parent / "departments.json"]
    departments_file = next((path for path in candidates if path.is_file()), None)
    if departments_file is None:
        raise FileNotFoundError(f"departments.json not found beside or above {messages_dir}")

    messages = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(messages_dir.glob("*.json"))
        if path.name != "departments.json"
    ]
    departments = json.loads(departments_file.read_text(encoding="utf-8"))
    return Truth(messages=messages, departments=departments)


# --------------------------------------------------------------------------- #
# Normalisation and equality
# --------------------------------------------------------------------------- #


def normalize_text(value: str) -> str:
    """Case-fold and collapse whitespace, so layout differences do not count."""
    return " ".join(value.casefold().split())


def values_equal(truth: Any, exported: Any) -> bool:
    """Compare two cell values the way a human checker would (see module doc)."""
    if truth is None or exported is None:
        return truth is None and exported is None
    if isinstance(truth, bool) or isinstance(exported, bool):
        return isinstance(truth, bool) and isinstance(exported, bool) and truth == exported
    if isinstance(truth, int | float) and isinstance(exported, int | float):
        return float(truth) == float(exported)
    if isinstance(truth, str) and isinstance(exported, str):
        return normalize_text(truth) == normalize_text(exported)
    return truth == exported


def _message_key(message_id: Any) -> str:
    """Message-IDs with or without their angle brackets designate the same message."""
    return str(message_id).strip().strip("<>").strip() if message_id is not None else ""


def _link_equal(truth: Any, exported: Any) -> bool:
    """Equality of two `supersedes` / `complements` links (Message-IDs or null)."""
    if truth is None or exported is None:
        return truth is None and exported is None
    return _message_key(truth) == _message_key(exported)


def _department_set(codes: Iterable[Any] | None) -> frozenset[str]:
    return frozenset(str(code).strip().upper() for code in codes or ())


def _filename_key(name: Any) -> str | None:
    if name is None:
        return None
    return unicodedata.normalize("NFC", str(name)).strip()


# Leading list markers: bullets and dashes, "1." / "1)" / "(1)" / "1°",
# "a)" / "(a)", "a. " and roman numerals "iv. " / "iv)". Letters and roman
# numerals followed by a dot need a space after them so that "a.s.l.o." style
# abbreviations are left alone.
_LIST_MARKER = re.compile(
    r"""^(?:
        [-–—•·▪◦‣*>]+
      | \(?\d{1,3}\s*[.)°]
      | \(?[a-z]\)
      | [a-z]\.(?=\s)
      | \(?[ivx]{1,4}\)
      | [ivx]{1,4}\.(?=\s)
    )\s*""",
    re.VERBOSE,
)
_FINAL_PUNCTUATION = ".;:,!?…"


def normalize_sentence(text: str) -> str:
    """Reduce a recommendation / strength / weakness to what should be compared.

    Case and whitespace do not matter; nor do list markers ("- ", "1.", "a)")
    that an extractor may or may not keep, nor the final full stop.
    """
    text = normalize_text(text)
    while True:
        stripped = _LIST_MARKER.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.rstrip(_FINAL_PUNCTUATION + " ")


def _sentence_text(item: Any) -> str:
    """Strengths are plain strings; accept `{"text": ...}` items too, to be lenient."""
    if isinstance(item, dict):
        item = item.get("text")
    return "" if item is None else str(item)


# --------------------------------------------------------------------------- #
# Optimal assignment (Hungarian algorithm)
# --------------------------------------------------------------------------- #


def max_weight_assignment(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Pair rows with columns so that the total weight is maximal.

    `weights[i][j]` is the value of pairing row i with column j. Every row is
    paired when there are at least as many columns, and vice versa. This is the
    O(n^2 m) Hungarian algorithm with potentials (Kuhn-Munkres); scipy's
    `linear_sum_assignment` would do, but scipy is not a dependency.
    Returns (row, column) pairs sorted by row.
    """
    n_rows = len(weights)
    n_cols = len(weights[0]) if n_rows else 0
    if n_rows == 0 or n_cols == 0:
        return []
    transposed = n_rows > n_cols
    if transposed:  # the algorithm below needs rows <= columns
        weights = [list(column) for column in zip(*weights)]
        n_rows, n_cols = n_cols, n_rows

    infinity = float("inf")
    # 1-based arrays; column 0 is a virtual column used to start each search.
    row_potential = [0.0] * (n_rows + 1)
    col_potential = [0.0] * (n_cols + 1)
    row_of_col = [0] * (n_cols + 1)  # row assigned to each column, 0 = none
    previous_col = [0] * (n_cols + 1)
    for row in range(1, n_rows + 1):
        row_of_col[0] = row
        current_col = 0
        min_slack = [infinity] * (n_cols + 1)
        visited = [False] * (n_cols + 1)
        while True:  # grow an alternating tree until a free column is reached
            visited[current_col] = True
            current_row = row_of_col[current_col]
            delta, next_col = infinity, 0
            for col in range(1, n_cols + 1):
                if visited[col]:
                    continue
                cost = -weights[current_row - 1][col - 1]
                slack = cost - row_potential[current_row] - col_potential[col]
                if slack < min_slack[col]:
                    min_slack[col], previous_col[col] = slack, current_col
                if min_slack[col] < delta:
                    delta, next_col = min_slack[col], col
            for col in range(n_cols + 1):
                if visited[col]:
                    row_potential[row_of_col[col]] += delta
                    col_potential[col] -= delta
                else:
                    min_slack[col] -= delta
            current_col = next_col
            if row_of_col[current_col] == 0:
                break
        while current_col:  # flip the augmenting path
            before = previous_col[current_col]
            row_of_col[current_col] = row_of_col[before]
            current_col = before

    pairs = [(row_of_col[col] - 1, col - 1) for col in range(1, n_cols + 1) if row_of_col[col]]
    if transposed:
        pairs = [(col, row) for row, col in pairs]
    return sorted(pairs)


T = TypeVar("T")
P = TypeVar("P")


def best_pairs(
    truths: Sequence[T],
    predictions: Sequence[P],
    score: Callable[[T, P], float | None],
) -> list[tuple[int, int]]:
    """Pair items one-to-one: as many pairs as possible, then the best total score.

    `score` returns None for pairs that are not allowed to match. Returns
    (truth index, prediction index) pairs.
    """
    if not truths or not predictions:
        return []
    scores = [[score(t, p) for p in predictions] for t in truths]
    finite = [s for row in scores for s in row if s is not None]
    if not finite:
        return []
    # A bonus larger than any total score makes "one more pair" always win.
    bonus = 1.0 + sum(abs(s) for s in finite)
    weights = [[0.0 if s is None else bonus + s for s in row] for row in scores]
    return [(i, j) for i, j in max_weight_assignment(weights) if scores[i][j] is not None]


# --------------------------------------------------------------------------- #
# Counters
# --------------------------------------------------------------------------- #


@dataclass
class Ratio:
    """Running share of good items; None when nothing was counted."""

    good: float = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.good += bool(ok)
        self.total += 1

    def add_many(self, good: float, total: int) -> None:
        self.good += good
        self.total += total

    @property
    def value(self) -> float | None:
        return self.good / self.total if self.total else None


@dataclass
class Detection:
    """Micro-averaged precision / recall of matched items."""

    matched: int = 0
    predicted: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        """Nothing predicted: 0.0 if something was expected, else 1.0 (nothing wrong)."""
        if self.predicted == 0:
            return 0.0 if self.expected else 1.0
        return self.matched / self.predicted

    @property
    def recall(self) -> float:
        """Nothing expected: 1.0 if nothing was predicted either, else 0.0."""
        if self.expected == 0:
            return 0.0 if self.predicted else 1.0
        return self.matched / self.expected

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# --------------------------------------------------------------------------- #
# Per-message comparisons
# --------------------------------------------------------------------------- #


def _items(message: dict[str, Any] | None, name: str) -> list[Any]:
    """A list field of a message, [] if the message or the field is missing."""
    if message is None:
        return []
    return list(message.get(name) or [])


def _field(message: dict[str, Any] | None, name: str) -> Any:
    return None if message is None else message.get(name)


def _attachment_key(attachment: dict[str, Any]) -> tuple[str | None, str | None]:
    return _filename_key(attachment.get("filename")), _filename_key(attachment.get("inside"))


def pair_attachments(
    truths: list[dict[str, Any]], exported: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Match each true attachment to an exported one by (filename, inside).

    Files with the same key in one message (the same image twice) are paired in
    order of appearance. Unmatched true attachments get None.
    """
    queues: dict[Hashable, list[dict[str, Any]]] = defaultdict(list)
    for attachment in exported:
        queues[_attachment_key(attachment)].append(attachment)
    pairs = []
    for attachment in truths:
        queue = queues[_attachment_key(attachment)]
        pairs.append((attachment, queue.pop(0) if queue else None))
    return pairs


def _equal_cells(fields: Sequence[str]) -> Callable[[dict[str, Any], dict[str, Any]], float]:
    def count(truth: dict[str, Any], exported: dict[str, Any]) -> float:
        return sum(values_equal(truth.get(name), exported.get(name)) for name in fields)

    return count


def _group_key(row: dict[str, Any], fields: Sequence[str]) -> tuple[Any, ...] | None:
    """Normalised key of a row; None when one of the key fields is missing."""
    key = []
    for name in fields:
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        key.append(normalize_text(value) if isinstance(value, str) else value)
    return tuple(key)


def _pair_by_key(
    truths: list[dict[str, Any]],
    exported: list[dict[str, Any]],
    key_fields: Sequence[str],
    score: Callable[[dict[str, Any], dict[str, Any]], float | None],
    truth_free: set[int],
    exported_free: set[int],
) -> list[tuple[int, int]]:
    """Pair still-free rows that share a key, best pairing within each key group.

    Consumes the paired indices from `truth_free` / `exported_free`.
    """
    groups: dict[tuple[Any, ...], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i in sorted(truth_free):
        key = _group_key(truths[i], key_fields)
        if key is not None:
            groups[key][0].append(i)
    for j in sorted(exported_free):
        key = _group_key(exported[j], key_fields)
        if key is not None:
            groups[key][1].append(j)
    pairs = []
    for truth_indices, exported_indices in groups.values():
        local = best_pairs(
            [truths[i] for i in truth_indices], [exported[j] for j in exported_indices], score
        )
        for a, b in local:
            pairs.append((truth_indices[a], exported_indices[b]))
            truth_free.discard(truth_indices[a])
            exported_free.discard(exported_indices[b])
    return pairs


def pair_annexe1_rows(
    truths: list[dict[str, Any]], exported: list[dict[str, Any]]
) -> list[tuple[int, int]]:
    """Match Annexe 1 rows by QPV code, falling back on the commune.

    Rows are first paired on `qpv_code`. Left-over rows are then paired on
    `commune`, but only when one side has no QPV code: two rows with different
    codes are different conseils citoyens, even in the same commune.
    """
    count = _equal_cells(ANNEXE1_FIELDS)
    truth_free, exported_free = set(range(len(truths))), set(range(len(exported)))
    pairs = _pair_by_key(truths, exported, ["qpv_code"], count, truth_free, exported_free)

    def count_if_code_missing(truth: dict[str, Any], row: dict[str, Any]) -> float | None:
        both_coded = _group_key(truth, ["qpv_code"]) and _group_key(row, ["qpv_code"])
        return None if both_coded else count(truth, row)

    pairs += _pair_by_key(
        truths, exported, ["commune"], count_if_code_missing, truth_free, exported_free
    )
    return pairs


def pair_annexe2_rows(
    truths: list[dict[str, Any]], exported: list[dict[str, Any]]
) -> list[tuple[int, int]]:
    """Match Annexe 2 rows by (type, commune), best pairing within each key."""
    truth_free, exported_free = set(range(len(truths))), set(range(len(exported)))
    return _pair_by_key(
        truths, exported, ["type", "commune"], _equal_cells(ANNEXE2_FIELDS),
        truth_free, exported_free,
    )


def pair_sentences(truths: Sequence[str], exported: Sequence[str]) -> list[tuple[int, int]]:
    """Maximum matching of sentences whose fuzzy ratio reaches FUZZY_THRESHOLD."""
    normalized_truths = [normalize_sentence(text) for text in truths]
    normalized_exported = [normalize_sentence(text) for text in exported]

    def similarity(truth: str, candidate: str) -> float | None:
        ratio = fuzz.ratio(truth, candidate)
        return ratio if ratio >= FUZZY_THRESHOLD else None

    return best_pairs(normalized_truths, normalized_exported, similarity)


# --------------------------------------------------------------------------- #
# Evaluation
# --------------------------------------------------------------------------- #


@dataclass
class _Tally:
    """All counters, filled message by message."""

    kind: Ratio = field(default_factory=Ratio)
    department: Ratio = field(default_factory=Ratio)
    attachment_status: Ratio = field(default_factory=Ratio)
    attachment_role: Ratio = field(default_factory=Ratio)
    annexe1_cells: Ratio = field(default_factory=Ratio)
    annexe1_rows: Detection = field(default_factory=Detection)
    annexe2_cells: Ratio = field(default_factory=Ratio)
    annexe2_rows: Detection = field(default_factory=Detection)
    recommendations: Detection = field(default_factory=Detection)
    recommendation_theme: Ratio = field(default_factory=Ratio)
    strengths: Detection = field(default_factory=Detection)
    weaknesses: Detection = field(default_factory=Detection)
    sender_role: Ratio = field(default_factory=Ratio)
    modality: Ratio = field(default_factory=Ratio)
    meeting: Ratio = field(default_factory=Ratio)
    pii: Ratio = field(default_factory=Ratio)
    version_link: Ratio = field(default_factory=Ratio)


def _score_message(tally: _Tally, truth: dict[str, Any], exported: dict[str, Any] | None) -> None:
    """Add one truth message to the counters; `exported` is None when it is missing."""
    found = exported is not None
    is_contribution = truth.get("kind") == CONTRIBUTION

    def same(name: str) -> bool:
        return found and values_equal(truth.get(name), _field(exported, name))

    tally.kind.add(same("kind"))
    tally.sender_role.add(same("sender_role"))
    tally.pii.add(same("pii"))
    if is_contribution:
        tally.department.add(
            found
            and _department_set(truth.get("departments"))
            == _department_set(_field(exported, "departments"))
        )
        tally.modality.add(same("modality"))

    _score_meeting(tally, truth.get("meeting"), _field(exported, "meeting"), found)

    if truth.get("supersedes") is not None or truth.get("complements") is not None:
        tally.version_link.add(
            found
            and _link_equal(truth.get("supersedes"), _field(exported, "supersedes"))
            and _link_equal(truth.get("complements"), _field(exported, "complements"))
        )

    for true_attachment, exported_attachment in pair_attachments(
        _items(truth, "attachments"), _items(exported, "attachments")
    ):
        if exported_attachment is None:
            tally.attachment_status.add(False)
            tally.attachment_role.add(False)
            continue
        tally.attachment_status.add(
            values_equal(true_attachment.get("parseable"), exported_attachment.get("parseable"))
            and values_equal(
                true_attachment.get("error_kind"), exported_attachment.get("error_kind")
            )
        )
        tally.attachment_role.add(
            values_equal(true_attachment.get("role"), exported_attachment.get("role"))
        )

    _score_rows(
        tally.annexe1_cells, tally.annexe1_rows, ANNEXE1_FIELDS, pair_annexe1_rows,
        _items(truth, "annexe1_rows"), _items(exported, "annexe1_rows"),
    )
    _score_rows(
        tally.annexe2_cells, tally.annexe2_rows, ANNEXE2_FIELDS, pair_annexe2_rows,
        _items(truth, "annexe2_rows"), _items(exported, "annexe2_rows"),
    )

    true_recommendations = _items(truth, "recommendations")
    exported_recommendations = _items(exported, "recommendations")
    pairs = _score_sentences(tally.recommendations, true_recommendations, exported_recommendations)
    for i, j in pairs:
        tally.recommendation_theme.add(
            values_equal(
                true_recommendations[i].get("theme"), exported_recommendations[j].get("theme")
            )
        )
    _score_sentences(tally.strengths, _items(truth, "strengths"), _items(exported, "strengths"))
    _score_sentences(tally.weaknesses, _items(truth, "weaknesses"), _items(exported, "weaknesses"))


def _score_meeting(tally: _Tally, truth: Any, exported: Any, found: bool) -> None:
    """Count a meeting when either side has one; right only if date and participants match."""
    if truth is None and exported is None:
        return
    if not found or truth is None or exported is None:
        tally.meeting.add(False)
        return
    tally.meeting.add(
        values_equal(truth.get("date"), exported.get("date"))
        and values_equal(truth.get("participants"), exported.get("participants"))
    )


def _score_rows(
    cells: Ratio,
    rows: Detection,
    fields: Sequence[str],
    pair: Callable[[list[dict[str, Any]], list[dict[str, Any]]], list[tuple[int, int]]],
    truths: list[dict[str, Any]],
    exported: list[dict[str, Any]],
) -> None:
    """Cell accuracy over all true cells (unmatched rows: all wrong) and row precision."""
    pairs = pair(truths, exported)
    count = _equal_cells(fields)
    cells.add_many(sum(count(truths[i], exported[j]) for i, j in pairs), len(truths) * len(fields))
    rows.matched += len(pairs)
    rows.predicted += len(exported)
    rows.expected += len(truths)


def _score_sentences(
    counter: Detection, truths: list[Any], exported: list[Any]
) -> list[tuple[int, int]]:
    """Count one message's matched / exported / true sentences; returns the pairs."""
    pairs = pair_sentences(
        [_sentence_text(item) for item in truths], [_sentence_text(item) for item in exported]
    )
    counter.matched += len(pairs)
    counter.predicted += len(exported)
    counter.expected += len(truths)
    return pairs


def _status_accuracy(truth: dict[str, dict[str, Any]], exported: Any) -> float | None:
    """Share of the truth's departments whose status is right in the export."""
    exported = exported if isinstance(exported, dict) else {}
    by_code = {str(code).strip().upper(): value for code, value in exported.items()}
    ratio = Ratio()
    for code, expected in truth.items():
        got = by_code.get(str(code).strip().upper())
        got_status = got.get("status") if isinstance(got, dict) else None
        ratio.add(values_equal(expected.get("status"), got_status))
    return ratio.value


def compute_metrics(truth: Truth, export: dict[str, Any]) -> Metrics:
    """All metrics for an already-loaded truth (see `evaluate`)."""
    exported_by_id: dict[str, dict[str, Any]] = {}
    for message in export.get("messages") or []:
        exported_by_id.setdefault(_message_key(message.get("message_id")), message)

    tally = _Tally()
    matched = 0
    for message in truth.messages:
        exported = exported_by_id.get(_message_key(message.get("message_id")))
        matched += exported is not None
        _score_message(tally, message, exported)

    return {
        "messages_matched": matched,
        "messages_total": len(truth.messages),
        "kind_accuracy": tally.kind.value,
        "department_accuracy": tally.department.value,
        "status_accuracy": _status_accuracy(truth.departments, export.get("departments")),
        "attachment_status_accuracy": tally.attachment_status.value,
        "attachment_role_accuracy": tally.attachment_role.value,
        "annexe1_cell_accuracy": tally.annexe1_cells.value,
        "annexe1_row_precision": tally.annexe1_rows.precision,
        "annexe2_cell_accuracy": tally.annexe2_cells.value,
        "annexe2_row_precision": tally.annexe2_rows.precision,
        "recommendation_precision": tally.recommendations.precision,
        "recommendation_recall": tally.recommendations.recall,
        "recommendation_f1": tally.recommendations.f1,
        "recommendation_theme_accuracy": tally.recommendation_theme.value,
        "strength_f1": tally.strengths.f1,
        "weakness_f1": tally.weaknesses.f1,
        "sender_role_accuracy": tally.sender_role.value,
        "modality_accuracy": tally.modality.value,
        "meeting_accuracy": tally.meeting.value,
        "pii_accuracy": tally.pii.value,
        "version_link_accuracy": tally.version_link.value,
    }


def evaluate(truth_dir: Path, export: dict[str, Any]) -> Metrics:
    """Compare an export with the truth folder; returns metric name -> value.

    Besides the metrics of METRIC_NAMES (None when undefined), the result holds
    `messages_matched` and `messages_total`: how many truth messages were found
    in the export, out of how many.
    """
    return compute_metrics(load_truth(truth_dir), export)


def format_metrics(metrics: Metrics) -> str:
    """One `name: value` line per metric, 3 decimals, `n/a` when undefined.

    The first line is `messages_matched: N/M` when those counts are present.
    """
    lines = []
    if "messages_matched" in metrics and "messages_total" in metrics:
        lines.append(
            f"messages_matched: {int(metrics['messages_matched'] or 0)}"
            f"/{int(metrics['messages_total'] or 0)}"
        )
    for name in METRIC_NAMES:
        value = metrics.get(name)
        lines.append(f"{name}: {'n/a' if value is None else f'{value:.3f}'}")
    return "\n".join(lines)

