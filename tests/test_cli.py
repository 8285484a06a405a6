"""The `bilan` command as a user runs it: ingest the sample mailbox, then
status, export and evaluate."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from tests.conftest import REPO, SAMPLES

EXPECTED = json.loads((REPO / "samples" / "expected.json").read_text(encoding="utf-8"))
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def ingested(settings_env):
    """The samples, ingested in process (no Prefect API configured): the flow
    path of the same command is tested in tests/test_prefect_policy.py."""
    _run("ingest", "--from-dir", str(SAMPLES))


def test_every_command_has_help():
    output = _run("--help")
    for command in ("ingest", "status", "reminders", "export", "report", "evaluate"):
        assert command in output
        assert "Usage" in _run(command, "--help")


def test_status_tells_who_answered(ingested):
    output = _run("status")
    assert re.search(r"101 departments: 7 on time, 1 late, 93 missing", output), output
    late = _run("status", "--status", "late")
    assert "Isère" in late and "Nord" not in late
    region = _run("status", "--region", "hauts-de-france")
    assert "Nord" in region and "Isère" not in region


def test_export_follows_the_contract_and_matches_the_samples(ingested, tmp_path):
    out = tmp_path / "export.json"
    _run("export", "--format", "json", "--out", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    truth_keys = {
        "message_id", "file", "kind", "departments", "sender_role", "received_at", "modality",
        "supersedes", "complements", "attachments", "annexe1_rows", "annexe2_rows",
        "recommendations", "strengths", "weaknesses", "meeting", "pii",
    }
    assert len(data["messages"]) == len(EXPECTED)
    # The truth schema's fields, and beside them how sure extraction was of them.
    assert all(set(m) == truth_keys | {"confidence"} for m in data["messages"])
    assert len(data["departments"]) == 101
    by_id = {m["message_id"]: m for m in data["messages"]}
    for name, expected in EXPECTED.items():
        got = by_id[expected["message_id"]]
        assert got["kind"] == expected["kind"], name
        if expected["kind"] == "contribution":  # what decides the status; the rest comes with issue 5
            assert sorted(got["departments"]) == sorted(expected["departments"]), name
        assert got["received_at"] == expected["received_at"], name
        assert [
            (a["filename"], a["format"], a["parseable"], a["error_kind"], a["inside"]) for a in got["attachments"]
        ] == [
            (a["filename"], a["format"], a["parseable"], a["error_kind"], a["inside"]) for a in expected["attachments"]
        ], name
    assert data["departments"]["38"]["status"] == "late"


def test_evaluate_prints_one_metric_per_line(ingested, tmp_path):
    out = tmp_path / "export.json"
    _run("export", "--out", str(out))
    truth = tmp_path / "truth"
    (truth / "truth").mkdir(parents=True)
    export = json.loads(out.read_text(encoding="utf-8"))
    for message in export["messages"]:  # a truth folder that agrees with the export
        name = message["message_id"].strip("<>").replace("@", "_") + ".json"
        (truth / "truth" / name).write_text(json.dumps(message), encoding="utf-8")
    (truth / "departments.json").write_text(json.dumps(export["departments"]), encoding="utf-8")
    output = _run("evaluate", "--truth", str(truth), "--export", str(out))
    lines = dict(line.split(": ", 1) for line in output.strip().splitlines())
    assert lines["messages_matched"] == f"{len(EXPECTED)}/{len(EXPECTED)}"
    assert lines["kind_accuracy"] == "1.000" and lines["status_accuracy"] == "1.000"
    assert "version_link_accuracy" in lines


def test_status_details_show_what_was_received(ingested, monkeypatch):
    from bilan import cli

    monkeypatch.setattr(cli.console, "width", 200)  # --details is a wide table
    output = _run("status", "--details", "--status", "late")
    assert "Modality" in output and "Reminders" in output and "Isère" in output
    assert "Modality" not in _run("status")
