"""What French readers get is French end to end: department names with
their article ("de l'Isère", "du Nord"), coded values as labels in the
spreadsheets and the dashboard, advice for unreadable files, and theme
totals that count a recommendation once however many departments it names."""

from __future__ import annotations

import re

import openpyxl
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dashboard import build_report, theme_region_pivot
from bilan.reference import department_info, departments
from bilan.storage.views import THEME_LABELS
from tests.conftest import SAMPLES
from tests.loading import load_folder


@pytest.mark.parametrize(
    "code, of_name, with_article",
    [
        ("59", "du Nord", "le Nord"),
        ("93", "de la Seine-Saint-Denis", "la Seine-Saint-Denis"),
        ("05", "des Hautes-Alpes", "les Hautes-Alpes"),
        ("01", "de l'Ain", "l'Ain"),
        ("38", "de l'Isère", "l'Isère"),
        ("34", "de l'Hérault", "l'Hérault"),
        ("87", "de la Haute-Vienne", "la Haute-Vienne"),
        ("28", "d'Eure-et-Loir", "Eure-et-Loir"),
        ("75", "de Paris", "Paris"),
        ("976", "de Mayotte", "Mayotte"),
        ("974", "de La Réunion", "La Réunion"),
    ],
)
def test_department_names_take_their_article(code, of_name, with_article):
    info = department_info(code)
    assert (info.of_name, info.with_article) == (of_name, with_article)


def test_every_department_has_a_name_type_and_no_broken_contraction():
    for info in departments():
        assert info.name_type in {"0", "1", "2", "3", "4", "5"}, info.code
        assert not re.match(r"de (le|les) ", info.of_name), info.of_name
        # Elision only before a vowel or a mute h, never before a consonant.
        if info.of_name.startswith(("d'", "de l'")):
            assert info.name[0].lower() in "aeiouyéèêîôh", info.of_name
        else:
            assert not info.of_name.startswith("de " + info.name[0]) or info.name[0].lower() not in "aeiouy", info.of_name


def test_pivot_counts_totals_once_and_shows_labels():
    # One recommendation on "numerique" sent for two departments of two regions.
    rows = [("numerique", "Occitanie", 1), ("numerique", "Bretagne", 1), (None, "Occitanie", 2)]
    pivot = theme_region_pivot(rows, [("numerique", 1), (None, 2)])
    assert pivot["themes"] == ["sans thème", "numérique"]
    assert pivot["totals"]["numérique"] == 1 and pivot["cells"][("numérique", "Bretagne")] == 1


@pytest.fixture
def loaded(warehouse):
    load_folder(warehouse, SAMPLES)
    return warehouse


def test_dashboard_and_spreadsheets_speak_french(loaded, tmp_path):
    with loaded.engine.begin() as connection:
        # A contribution with recommendations also speaks for another department.
        message_id, present = connection.execute(text(
            "SELECT r.message_id, md.department_code FROM recommendation r "
            "JOIN message_department md ON md.message_id = r.message_id LIMIT 1"
        )).one()
        other = "01" if present != "01" else "02"
        connection.execute(
            text("INSERT INTO message_department (message_id, department_code, confidence) VALUES (:m, :d, 0.9)"),
            {"m": message_id, "d": other},
        )
        by_theme = dict(connection.execute(text(
            "SELECT COALESCE(theme, ''), count(*) FROM recommendation r JOIN message m ON m.id = r.message_id "
            "WHERE m.kind IN ('contribution', 'survey_response') GROUP BY theme"
        )).all())
    html = build_report(loaded)
    section = html[html.index('id="preconisations"'):html.index("</section>", html.index('id="preconisations"'))]
    for code in THEME_LABELS:
        assert f"<td>{code}</td>" not in section or THEME_LABELS[code] == code
    for theme, count in by_theme.items():
        label = THEME_LABELS.get(theme, theme) if theme else "sans thème"
        assert re.search(rf"<td>{re.escape(label)}</td><td class=\"n\">{count}</td>", section), (label, count)

    out = tmp_path / "bilan.xlsx"
    result = CliRunner().invoke(app, ["export", "--format", "xlsx", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    unreadable = workbook["Fichiers illisibles"]
    headers = [cell.value for cell in unreadable[1]]
    rows = [dict(zip(headers, row)) for row in unreadable.iter_rows(min_row=2, values_only=True)]
    assert rows and all(row["Que faire"] and row["Que faire"][0].isupper() for row in rows)
    assert {row["Problème"] for row in rows} <= {"endommagé ou incomplet", "protégé par mot de passe", "trop volumineux",
                                                 "format non pris en charge", "image sans texte (scan)", "lecture trop longue"}
    contributions = workbook["Contributions"]
    headers = [cell.value for cell in contributions[1]]
    roles = {row[headers.index("Rôle de l'expéditeur")] for row in contributions.iter_rows(min_row=2, values_only=True)}
    assert roles and not roles & {"ddets", "sgar", "prefecture", "sous_prefecture", "delegue_prefet"}
    recommendations = workbook["Préconisations"]
    headers = [cell.value for cell in recommendations[1]]
    files = {row[headers.index("Fichier source")] for row in recommendations.iter_rows(min_row=2, values_only=True)}
    assert "body" not in files
