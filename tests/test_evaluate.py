"""Tests of `bilan.evaluate`: every metric against hand-computed values.

Truth folders are built in `tmp_path`; only the test marked `corpus` reads the
labelled development corpus.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from bilan.evaluate import (
    METRIC_NAMES,
    evaluate,
    format_metrics,
    load_truth,
    max_weight_assignment,
    normalize_sentence,
    pair_annexe1_rows,
    pair_annexe2_rows,
    values_equal,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- #
# Builders
# --------------------------------------------------------------------------- #


def annexe1_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "commune": "Avignon",
        "qpv_code": "QN08401M",
        "qpv_nom": "La Croix-Rouge",
        "conseil_constitue": True,
        "date_creation": "2016-08",
        "membres_habitants": 19,
        "membres_acteurs_locaux": 5,
        "actif": None,
        "structure_porteuse": "Régie de quartier",
        "participation_pilotage": True,
        "formation_suivie": False,
        "budget_annuel_eur": 3000,
    }
    return row | overrides


def annexe2_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "type": "fph",
        "commune": "Carpentras",
        "qpv_code": "QN08404",
        "porteur": "Centre social",
        "annee_creation": 2014,
        "habitants_mobilises": 272,
    }
    return row | overrides


def attachment(filename: str, **overrides: Any) -> dict[str, Any]:
    item = {
        "filename": filename,
        "format": filename.rsplit(".", 1)[-1],
        "role": "annexe1",
        "parseable": True,
        "error_kind": None,
        "inside": None,
    }
    return item | overrides


def message(number: int, **overrides: Any) -> dict[str, Any]:
    """A plain contribution with nothing extracted; override what the test needs."""
    item = {
        "message_id": f"<{number}@test.gouv.fr>",
        "file": f"messages/{number:04d}.eml",
        "kind": "contribution",
        "departments": ["84"],
        "sender_role": "prefecture",
        "received_at": "2021-12-01T10:00:00Z",
        "modality": 3,
        "supersedes": None,
        "complements": None,
        "attachments": [],
        "annexe1_rows": [],
        "annexe2_rows": [],
        "recommendations": [],
        "strengths": [],
        "weaknesses": [],
        "meeting": None,
        "pii": False,
    }
    return item | overrides


def rich_message() -> dict[str, Any]:
    """A contribution using every field, so that every metric is defined."""
    return message(
        1,
        modality=1,
        departments=["84", "13"],
        attachments=[
            attachment("Annexe 1.xlsx"),
            attachment("scan.pdf", role="contribution", parseable=False, error_kind="scanned"),
            attachment("a.docx", role="annexe2", inside="envoi.zip"),
        ],
        annexe1_rows=[annexe1_row(), annexe1_row(qpv_code="QN08402", commune="Carpentras")],
        annexe2_rows=[annexe2_row()],
        recommendations=[
            {"text": "Former les conseillers citoyens au budget.", "theme": "formation"},
            {"text": "Augmenter les crédits du BOP 147.", "theme": "moyens"},
        ],
        strengths=["Une forte mobilisation des habitants."],
        weaknesses=["Le manque de moyens."],
        meeting={"date": "2021-11-25", "participants": 47},
        pii=True,
    )


def write_truth(
    root: Path, messages: list[dict[str, Any]], departments: dict[str, Any] | None = None
) -> Path:
    """Lay out a corpus root: truth/NNNN.json and departments.json."""
    (root / "truth").mkdir(parents=True)
    for index, item in enumerate(messages, start=1):
        (root / "truth" / f"{index:04d}.json").write_text(json.dumps(item), encoding="utf-8")
    if departments is None:
        departments = {"84": {"status": "on_time", "first_contribution_at": None, "messages": []}}
    (root / "departments.json").write_text(json.dumps(departments), encoding="utf-8")
    return root


def export_of(messages: list[dict[str, Any]], departments: dict[str, Any] | None = None) -> dict:
    if departments is None:
        departments = {"84": {"status": "on_time", "first_contribution_at": None, "messages": []}}
    return {"messages": copy.deepcopy(messages), "departments": copy.deepcopy(departments)}


def run(tmp_path: Path, truth: list[dict], exported: list[dict], **kwargs: Any) -> dict:
    truth_departments = kwargs.get("truth_departments")
    export_departments = kwargs.get("export_departments", truth_departments)
    root = write_truth(tmp_path / "corpus", truth, truth_departments)
    return evaluate(root, export_of(exported, export_departments))


# --------------------------------------------------------------------------- #
# Whole-export behaviour
# --------------------------------------------------------------------------- #


def test_perfect_export_scores_one_everywhere(tmp_path: Path) -> None:
    truth = [
        rich_message(),
        message(
            2, kind="auto_reply", departments=[], modality=None, complements="<1@test.gouv.fr>"
        ),
    ]
    metrics = run(tmp_path, truth, truth)
    assert metrics["messages_matched"] == 2
    assert metrics["messages_total"] == 2
    for name in METRIC_NAMES:
        assert metrics[name] == 1.0, name


def test_wrong_kind_lowers_kind_accuracy_by_one_message(tmp_path: Path) -> None:
    truth = [message(n, kind="question", departments=[]) for n in range(1, 5)]
    exported = copy.deepcopy(truth)
    exported[2]["kind"] = "spam"
    assert run(tmp_path, truth, exported)["kind_accuracy"] == pytest.approx(0.75)


def test_missing_message_counts_wrong_everywhere(tmp_path: Path) -> None:
    # Message 2 has a null modality and no departments: an empty export would
    # agree with it, but a missing message must still count as wrong.
    second = message(2, modality=None, departments=[], pii=False)
    truth = [rich_message(), second]
    metrics = run(tmp_path, truth, [rich_message()])
    assert metrics["messages_matched"] == 1
    assert metrics["kind_accuracy"] == 0.5
    assert metrics["department_accuracy"] == 0.5
    assert metrics["modality_accuracy"] == 0.5
    assert metrics["pii_accuracy"] == 0.5
    assert metrics["sender_role_accuracy"] == 0.5
    assert "messages_matched: 1/2" in format_metrics(metrics)


def test_missing_message_loses_its_content(tmp_path: Path) -> None:
    truth = [rich_message(), message(2, **{k: v for k, v in rich_message().items()
                                            if k not in ("message_id", "file")})]
    metrics = run(tmp_path, truth, [rich_message()])
    assert metrics["attachment_status_accuracy"] == 0.5
    assert metrics["attachment_role_accuracy"] == 0.5
    assert metrics["annexe1_cell_accuracy"] == 0.5
    assert metrics["annexe2_cell_accuracy"] == 0.5
    # Everything exported is right, half of the truth is found.
    assert metrics["annexe1_row_precision"] == 1.0
    assert metrics["recommendation_precision"] == 1.0
    assert metrics["recommendation_recall"] == 0.5
    assert metrics["recommendation_f1"] == pytest.approx(2 * 0.5 / 1.5)
    assert metrics["strength_f1"] == pytest.approx(2 / 3)
    assert metrics["meeting_accuracy"] == 0.5


def test_exported_messages_absent_from_truth_are_ignored(tmp_path: Path) -> None:
    truth = [rich_message()]
    extra = message(99, kind="spam", annexe1_rows=[annexe1_row()], recommendations=[
        {"text": "Autre chose.", "theme": "moyens"}])
    metrics = run(tmp_path, truth, [rich_message(), extra])
    assert metrics["annexe1_row_precision"] == 1.0
    assert metrics["recommendation_precision"] == 1.0
    assert metrics["kind_accuracy"] == 1.0


def test_message_ids_match_with_or_without_brackets(tmp_path: Path) -> None:
    truth = [message(1)]
    exported = [message(1, message_id=" 1@test.gouv.fr ")]
    assert run(tmp_path, truth, exported)["messages_matched"] == 1


# --------------------------------------------------------------------------- #
# Message-level fields
# --------------------------------------------------------------------------- #


def test_department_accuracy_counts_only_contributions_and_ignores_order(tmp_path: Path) -> None:
    truth = [
        message(1, departments=["2A", "13"]),
        message(2, departments=["84"]),
        message(3, kind="question", departments=["75"]),
    ]
    exported = copy.deepcopy(truth)
    exported[0]["departments"] = ["13", "2a"]  # same set
    exported[1]["departments"] = ["84", "13"]  # one too many
    exported[2]["departments"] = []  # a question: not counted
    assert run(tmp_path, truth, exported)["department_accuracy"] == 0.5


def test_status_accuracy_over_truth_departments(tmp_path: Path) -> None:
    truth_departments = {
        "01": {"status": "on_time", "first_contribution_at": None, "messages": []},
        "02": {"status": "late", "first_contribution_at": None, "messages": []},
        "2A": {"status": "missing", "first_contribution_at": None, "messages": []},
        "03": {"status": "missing", "first_contribution_at": None, "messages": []},
    }
    export_departments = {
        "01": {"status": "on_time"},
        "02": {"status": "on_time"},  # wrong
        "2A": {"status": "missing"},
        # "03" absent: wrong
        "99": {"status": "late"},  # not a truth department: ignored
    }
    metrics = run(
        tmp_path, [message(1)], [message(1)],
        truth_departments=truth_departments, export_departments=export_departments,
    )
    assert metrics["status_accuracy"] == 0.5


def test_modality_counts_only_contributions(tmp_path: Path) -> None:
    truth = [
        message(1, modality=1),
        message(2, modality=None),
        message(3, kind="bounce", modality=None),
    ]
    exported = copy.deepcopy(truth)
    exported[0]["modality"] = 1.0  # numerically equal
    exported[1]["modality"] = 3  # wrong
    exported[2]["modality"] = 2  # not a contribution: not counted
    assert run(tmp_path, truth, exported)["modality_accuracy"] == 0.5


def test_meeting_accuracy_counts_meetings_on_either_side(tmp_path: Path) -> None:
    meeting = {"date": "2021-11-25", "participants": 47}
    truth = [
        message(1, meeting=meeting),
        message(2, meeting=meeting),
        message(3, meeting=None),
        message(4, meeting=None),
    ]
    exported = copy.deepcopy(truth)
    exported[1]["meeting"] = {"date": "2021-11-25", "participants": 46}  # wrong count
    exported[2]["meeting"] = meeting  # invented meeting: counted, wrong
    # message 4: no meeting on either side, not counted
    assert run(tmp_path, truth, exported)["meeting_accuracy"] == pytest.approx(1 / 3)


def test_version_links_need_both_links_right(tmp_path: Path) -> None:
    truth = [
        message(1),
        message(2, supersedes="<1@test.gouv.fr>"),
        message(3, complements="<1@test.gouv.fr>"),
        message(4),
    ]
    exported = copy.deepcopy(truth)
    exported[1]["supersedes"] = "1@test.gouv.fr"  # same id without brackets: right
    exported[2]["supersedes"] = "<2@test.gouv.fr>"  # extra link: wrong
    exported[3]["supersedes"] = "<1@test.gouv.fr>"  # truth has no link: not counted
    assert run(tmp_path, truth, exported)["version_link_accuracy"] == 0.5


def test_undefined_metrics_are_none_and_printed_na(tmp_path: Path) -> None:
    truth = [message(1, kind="spam", departments=[], modality=None)]
    metrics = run(tmp_path, truth, truth)
    for name in (
        "department_accuracy",
        "modality_accuracy",
        "meeting_accuracy",
        "version_link_accuracy",
        "attachment_status_accuracy",
        "attachment_role_accuracy",
        "annexe1_cell_accuracy",
        "annexe2_cell_accuracy",
        "recommendation_theme_accuracy",
    ):
        assert metrics[name] is None, name
        assert f"{name}: n/a" in format_metrics(metrics)
    # Nothing to find and nothing claimed: precision / recall / F1 are perfect.
    assert metrics["annexe1_row_precision"] == 1.0
    assert metrics["recommendation_f1"] == 1.0


# --------------------------------------------------------------------------- #
# Attachments
# --------------------------------------------------------------------------- #


def test_attachments_match_on_filename_and_parent(tmp_path: Path) -> None:
    truth = [
        message(
            1,
            attachments=[
                attachment("image001.png", role="signature_image"),
                attachment("image001.png", role="other", parseable=False, error_kind="too_large"),
                attachment("a.xlsx", inside="lot.zip"),
                attachment("b.xlsx", parseable=False, error_kind="encrypted"),
            ],
        )
    ]
    exported = copy.deepcopy(truth)
    exported[0]["attachments"] = [
        # Same key twice: paired in order, so both are right.
        attachment("image001.png", role="signature_image"),
        attachment("image001.png", role="other", parseable=False, error_kind="too_large"),
        attachment("a.xlsx", inside=None),  # wrong parent: unmatched
        attachment("b.xlsx", role="annexe2", parseable=False, error_kind="corrupt"),
    ]
    metrics = run(tmp_path, truth, exported)
    assert metrics["attachment_status_accuracy"] == 0.5  # a.xlsx unmatched, b.xlsx wrong kind
    assert metrics["attachment_role_accuracy"] == 0.5  # a.xlsx unmatched, b.xlsx wrong role


def test_attachment_names_are_unicode_normalised(tmp_path: Path) -> None:
    truth = [message(1, attachments=[attachment("Synthèse.pdf", role="contribution")])]
    exported = copy.deepcopy(truth)
    exported[0]["attachments"][0]["filename"] = "Synthe\u0300se.pdf"  # decomposed accent
    assert run(tmp_path, truth, exported)["attachment_role_accuracy"] == 1.0


# --------------------------------------------------------------------------- #
# Annexe rows
# --------------------------------------------------------------------------- #


def test_values_equal_conventions() -> None:
    assert values_equal(3000, 3000.0)
    assert values_equal("  Saint-Denis ", "saint-denis")
    assert values_equal("Régie  de\nquartier", "RÉGIE DE QUARTIER")
    assert values_equal(None, None)
    assert not values_equal(None, "")
    assert not values_equal(0, None)
    assert not values_equal(True, 1)
    assert not values_equal(False, 0)
    assert values_equal(False, False)
    assert not values_equal("3000", 3000)


def test_annexe1_cells_with_float_amount_and_one_wrong_cell(tmp_path: Path) -> None:
    truth = [message(1, annexe1_rows=[annexe1_row()])]
    exported = copy.deepcopy(truth)
    row = exported[0]["annexe1_rows"][0]
    row["budget_annuel_eur"] = 3000.0  # equal
    row["commune"] = "AVIGNON"  # equal
    row["membres_habitants"] = 18  # wrong
    metrics = run(tmp_path, truth, exported)
    assert metrics["annexe1_cell_accuracy"] == pytest.approx(11 / 12)
    assert metrics["annexe1_row_precision"] == 1.0


def test_annexe2_rows_sharing_a_key_use_the_best_pairing() -> None:
    truth = [
        annexe2_row(porteur="Centre social A", annee_creation=2014, habitants_mobilises=10),
        annexe2_row(porteur="Centre social B", annee_creation=2018, habitants_mobilises=20),
    ]
    # Same (type, commune) for both; in reversed order, and the second one
    # exported has one wrong cell. Pairing by position would give 4 + 4 equal
    # cells out of 12; the best pairing gives 6 + 5.
    exported = [
        annexe2_row(porteur="Centre social B", annee_creation=2018, habitants_mobilises=20),
        annexe2_row(porteur="Centre social A", annee_creation=2014, habitants_mobilises=11),
    ]
    assert sorted(pair_annexe2_rows(truth, exported)) == [(0, 1), (1, 0)]


def test_best_pairing_drives_cell_accuracy(tmp_path: Path) -> None:
    truth_rows = [
        annexe2_row(porteur="Centre social A", annee_creation=2014, habitants_mobilises=10),
        annexe2_row(porteur="Centre social B", annee_creation=2018, habitants_mobilises=20),
    ]
    exported_rows = [
        annexe2_row(porteur="Centre social B", annee_creation=2018, habitants_mobilises=20),
        annexe2_row(porteur="Centre social A", annee_creation=2014, habitants_mobilises=11),
    ]
    metrics = run(
        tmp_path, [message(1, annexe2_rows=truth_rows)], [message(1, annexe2_rows=exported_rows)]
    )
    assert metrics["annexe2_cell_accuracy"] == pytest.approx(11 / 12)
    assert metrics["annexe2_row_precision"] == 1.0


def test_annexe1_falls_back_on_commune_when_a_code_is_missing() -> None:
    truth = [
        annexe1_row(qpv_code="QN1", commune="Avignon"),
        annexe1_row(qpv_code=None, commune="Carpentras", qpv_nom="Pépinière"),
        annexe1_row(qpv_code=None, commune="Carpentras", qpv_nom="Prairie"),
    ]
    exported = [
        annexe1_row(qpv_code="QN9", commune="Avignon"),  # other code, same commune: no match
        annexe1_row(qpv_code="QN2", commune="carpentras", qpv_nom="Prairie"),
        annexe1_row(qpv_code=None, commune="Carpentras", qpv_nom="Pépinière"),
    ]
    assert sorted(pair_annexe1_rows(truth, exported)) == [(1, 2), (2, 1)]


def test_row_precision_counts_unmatched_exported_rows(tmp_path: Path) -> None:
    truth = [message(1, annexe1_rows=[annexe1_row(qpv_code="QN1"), annexe1_row(qpv_code="QN2")])]
    exported = [
        message(
            1,
            annexe1_rows=[
                annexe1_row(qpv_code="QN1"),
                annexe1_row(qpv_code="QN2"),
                annexe1_row(qpv_code="QN3"),  # not in the truth
            ],
        )
    ]
    metrics = run(tmp_path, truth, exported)
    assert metrics["annexe1_row_precision"] == pytest.approx(2 / 3)
    assert metrics["annexe1_cell_accuracy"] == 1.0


def test_row_precision_without_exported_rows(tmp_path: Path) -> None:
    truth = [message(1, annexe1_rows=[annexe1_row()])]
    metrics = run(tmp_path, truth, [message(1)])
    assert metrics["annexe1_row_precision"] == 0.0  # rows to find, none exported
    assert metrics["annexe1_cell_accuracy"] == 0.0
    assert metrics["annexe2_row_precision"] == 1.0  # nothing to find, nothing exported


def test_unmatched_true_row_counts_all_cells_wrong(tmp_path: Path) -> None:
    truth = [message(1, annexe2_rows=[annexe2_row(), annexe2_row(type="table_de_quartier")])]
    exported = [message(1, annexe2_rows=[annexe2_row()])]
    metrics = run(tmp_path, truth, exported)
    assert metrics["annexe2_cell_accuracy"] == 0.5
    assert metrics["annexe2_row_precision"] == 1.0


# --------------------------------------------------------------------------- #
# Recommendations, strengths, weaknesses
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "raw",
    [
        "- Former les conseillers citoyens.",
        "• Former les conseillers citoyens",
        "1. Former les conseillers citoyens.",
        "2) Former les conseillers citoyens ;",
        "a) Former  les conseillers\ncitoyens.",
        "(3) FORMER LES CONSEILLERS CITOYENS !",
    ],
)
def test_normalize_sentence_strips_markers_and_final_punctuation(raw: str) -> None:
    assert normalize_sentence(raw) == "former les conseillers citoyens"


def test_recommendations_fuzzy_matching(tmp_path: Path) -> None:
    truth_recommendations = [
        {"text": "Former les conseillers citoyens au fonctionnement du contrat de ville.",
         "theme": "formation"},
        {"text": "Augmenter les crédits de fonctionnement des conseils citoyens.",
         "theme": "moyens"},
        {"text": "Inviter les conseillers citoyens aux comités de pilotage.",
         "theme": "gouvernance"},
    ]
    exported_recommendations = [
        # trailing period missing: matches
        {"text": "Former les conseillers citoyens au fonctionnement du contrat de ville",
         "theme": "formation"},
        # list marker added: matches, but the theme is wrong
        {"text": "- Augmenter les crédits de fonctionnement des conseils citoyens.",
         "theme": "formation"},
        # a different sentence: no match
        {"text": "Créer une lettre d'information départementale.", "theme": "communication"},
        # one more unrelated sentence
        {"text": "Recruter des volontaires par tirage au sort.", "theme": "renouvellement"},
    ]
    metrics = run(
        tmp_path,
        [message(1, recommendations=truth_recommendations)],
        [message(1, recommendations=exported_recommendations)],
    )
    assert metrics["recommendation_precision"] == pytest.approx(2 / 4)
    assert metrics["recommendation_recall"] == pytest.approx(2 / 3)
    assert metrics["recommendation_f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert metrics["recommendation_theme_accuracy"] == 0.5


def test_each_true_sentence_matches_at_most_once(tmp_path: Path) -> None:
    sentence = "Le manque de moyens humains pour accompagner les conseils citoyens."
    truth = [message(1, weaknesses=[sentence])]
    exported = [message(1, weaknesses=[sentence, sentence.rstrip(".")])]
    metrics = run(tmp_path, truth, exported)
    # precision 1/2, recall 1/1
    assert metrics["weakness_f1"] == pytest.approx(2 * 0.5 / 1.5)


def test_strengths_are_micro_averaged_over_messages(tmp_path: Path) -> None:
    truth = [
        message(1, strengths=["Une forte mobilisation des habitants.", "Des locaux dédiés."]),
        message(2, strengths=["Le soutien des délégués du préfet."]),
    ]
    exported = [
        message(1, strengths=["Une forte mobilisation des habitants"]),
        # right sentence but for the wrong message: not a match
        message(2, strengths=["Des locaux dédiés."]),
    ]
    metrics = run(tmp_path, truth, exported)
    # matched 1, predicted 2, expected 3
    precision, recall = 1 / 2, 1 / 3
    assert metrics["strength_f1"] == pytest.approx(2 * precision * recall / (precision + recall))


# --------------------------------------------------------------------------- #
# Assignment, loading, formatting
# --------------------------------------------------------------------------- #


def _brute_force_best(weights: list[list[float]]) -> float:
    rows, cols = len(weights), len(weights[0])
    if rows <= cols:
        return max(
            sum(weights[i][c] for i, c in enumerate(perm))
            for perm in itertools.permutations(range(cols), rows)
        )
    return max(
        sum(weights[r][j] for j, r in enumerate(perm))
        for perm in itertools.permutations(range(rows), cols)
    )


def test_max_weight_assignment_matches_brute_force() -> None:
    generator = random.Random(7)
    for _ in range(200):
        rows, cols = generator.randint(1, 5), generator.randint(1, 5)
        weights = [[float(generator.randint(0, 9)) for _ in range(cols)] for _ in range(rows)]
        pairs = max_weight_assignment(weights)
        assert len(pairs) == min(rows, cols)
        assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)
        assert sum(weights[i][j] for i, j in pairs) == _brute_force_best(weights)


def test_load_truth_accepts_root_or_truth_folder(tmp_path: Path) -> None:
    root = write_truth(tmp_path / "corpus", [message(1), message(2)])
    from_root = load_truth(root)
    from_truth = load_truth(root / "truth")
    assert len(from_root.messages) == len(from_truth.messages) == 2
    assert from_root.departments == from_truth.departments
    assert evaluate(root / "truth", export_of([message(1)]))["messages_matched"] == 1


def test_load_truth_reports_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_truth(tmp_path / "nowhere")
    (tmp_path / "truth").mkdir()
    with pytest.raises(FileNotFoundError, match="departments.json"):
        load_truth(tmp_path / "truth")


def test_format_metrics_order_and_values() -> None:
    metrics: dict[str, float | None] = {name: 1.0 for name in METRIC_NAMES}
    metrics |= {"messages_matched": 3, "messages_total": 4, "kind_accuracy": 0.95512,
                "meeting_accuracy": None}
    lines = format_metrics(metrics).splitlines()
    assert lines[0] == "messages_matched: 3/4"
    assert [line.split(":")[0] for line in lines[1:]] == list(METRIC_NAMES)
    assert lines[1] == "kind_accuracy: 0.955"
    assert "meeting_accuracy: n/a" in lines
    assert "pii_accuracy: 1.000" in lines


# --------------------------------------------------------------------------- #
# The labelled corpus against itself
# --------------------------------------------------------------------------- #


def _corpus_dir() -> Path:
    override = os.environ.get("BILAN_CORPUS_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "corpus" / "dev"


@pytest.mark.corpus
def test_truth_evaluated_against_itself_is_perfect() -> None:
    corpus = _corpus_dir()
    if not (corpus / "truth").is_dir():
        pytest.skip(f"../shared/corpus/dev not found ({corpus}); set BILAN_CORPUS_DIR")
    truth = load_truth(corpus)
    export = {"messages": truth.messages, "departments": truth.departments}
    metrics = evaluate(corpus, export)
    assert metrics["messages_matched"] == metrics["messages_total"] == len(truth.messages) > 0
    for name in METRIC_NAMES:
        assert metrics[name] in (1.0, None), f"{name} = {metrics[name]}"
