"""Values as people type them in annex tables, normalised to the truth schema's types."""

from __future__ import annotations

import pytest

from bilan.nlp.values import (
    is_null,
    parse_amount,
    parse_bool,
    parse_int,
    parse_month,
    parse_text,
    parse_year,
)


@pytest.mark.parametrize("cell", [None, "", "NC", "n.c.", "N/C", "?", "-", "–", "non renseigné", "  nc  "])
def test_unknown_values_are_null(cell):
    assert is_null(cell)
    assert parse_text(cell) is None
    assert parse_int(cell) is None
    assert parse_bool(cell) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("3 000 €", 3000), ("1 000,00 €", 1000), ("2\u00a0000\u00a0€", 2000), ("2\u202f500 €", 2500),
        ("1.500 €", 1500), ("1 500 euros", 1500), ("3k€", 3000), (1200, 1200), (1200.0, 1200),
        ("0 €", 0), ("1 234,5", 1234.5), ("NC", None), ("à définir", None),
    ],
)
def test_french_amounts(cell, expected):
    assert parse_amount(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [("12", 12), ("12 membres", 12), (7.0, 7), ("environ 40", 40)])
def test_counts(cell, expected):
    assert parse_int(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2015-07-01", "2015-07"), ("2019-05-01T00:00:00", "2019-05"), ("06/2020", "2020-06"), ("6/2020", "2020-06"),
        ("01/03/2016", "2016-03"), ("03-2016", "2016-03"), ("2016/03", "2016-03"), ("juin 2015", "2015-06"),
        ("août 2016", "2016-08"), ("Décembre 2016", "2016-12"), ("mars-16", "2016-03"), ("1er mars 2016", "2016-03"),
        (42370, "2016-01"),  # an Excel serial date whose format was lost
        ("2016", None),  # a year has no month: not invented
        ("NC", None), (12, None),
    ],
)
def test_months(cell, expected):
    assert parse_month(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"), [("2018", 2018), (2019, 2019), ("2015-01-01", 2015), ("depuis 2014", 2014), ("NC", None)]
)
def test_years(cell, expected):
    assert parse_year(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Oui", True), ("OUI", True), ("non", False), ("NON", False), ("X", True), ("✓", True), (True, True),
        ("Oui, depuis 2019", True), ("Non (en sommeil)", False), ("Je ne sais pas", None), ("NC", None),
    ],
)
def test_booleans(cell, expected):
    assert parse_bool(cell) is expected


def test_a_blank_box_means_no_only_where_yes_is_a_tick():
    assert parse_bool(None) is None
    assert parse_bool(None, ticks=True) is False
    assert parse_bool("NC", ticks=True) is None
