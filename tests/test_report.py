"""`bilan report`: a self-contained French dashboard, opened in a real
headless Chromium: no console error, no request leaves the file, the map
shows the 101 departments coloured by status, and a screenshot is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dashboard import department_shapes, progress_chart
from bilan.storage.status import department_statuses
from tests.browser import visit
from tests.conftest import REPO, SAMPLES
from tests.loading import load_folder

#: Where the test run leaves its screenshots (kept after the run).
ARTIFACTS = REPO / "var" / "test-artifacts"


def test_the_map_has_the_101_departments_with_real_boundaries():
    _, groups = department_shapes()
    main = [shape.code for group in groups for shape in group.shapes if not shape.inset]
    assert len(main) == len(set(main)) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(main)
    inset = {shape.code for group in groups for shape in group.shapes if shape.inset}
    assert inset == {"75", "92", "93", "94"}


def test_progress_runs_from_the_first_answer_to_after_the_deadline():
    series = [(dt.date(2021, 12, 6), 1, 1), (dt.date(2021, 12, 14), 2, 3)]
    chart = progress_chart(series, dt.date(2021, 12, 10), 101, dt.date(2022, 3, 1))
    xs = [float(point.split(",")[0]) for point in chart.points.split()]
    assert xs == sorted(xs) and chart.dots[0][0] < chart.deadline_x < chart.dots[1][0]
    assert chart.dots[1][1] < chart.dots[0][1]  # higher on the page = more departments


@pytest.mark.slow
def test_dashboard_opens_in_chromium(warehouse, settings_env, tmp_path, request):
    load_folder(warehouse, SAMPLES)
    out = tmp_path / "rapport.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'lang="fr"' in html and "Départements en retard" in html
    screenshot = ARTIFACTS / f"rapport-{request.node.callspec.id}.png"
    page = visit(out, screenshot, {
        "departments": "Array.from(document.querySelectorAll('#carte [data-departement]:not([data-encart])'), e => [e.dataset.departement, e.dataset.statut])",
        "painted": "Array.from(document.querySelectorAll('#carte [data-departement]'), e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0).length",
        "late": "document.querySelector('#retard').innerText",
        "cards": "document.querySelector('#chiffres').innerText",
        "colour_of_nord": "getComputedStyle(document.querySelector('[data-departement=\"59\"]')).fill",
    })
    assert page.console_errors == [] and page.page_errors == []
    assert page.requests == [], "the dashboard must not need the network"
    shown = dict(page.evaluated["departments"])
    assert len(page.evaluated["departments"]) == len(shown) == 101
    assert shown == {s.code: s.status for s in department_statuses(warehouse.engine, warehouse.campaign)}
    assert page.evaluated["painted"] == 105  # 101 + the four of the Paris inset, all drawn
    assert "Isère (38)" in page.evaluated["late"]
    assert "7\ndépartements à l'heure" in page.evaluated["cards"]
    assert page.evaluated["colour_of_nord"] == "rgb(46, 133, 64)"  # on time: green
    assert screenshot.stat().st_size > 50_000
    print(f"screenshot: {screenshot}")
