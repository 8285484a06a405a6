"""Entities named beside a recommendation, strength or weakness:
organisations (counted by kind), places, QPV."""

from __future__ import annotations

from bilan.nlp.mentions import ORGANISATION, PLACE, QPV, get_mention_finder


def _found(text: str) -> set[tuple[str, str]]:
    (mentions,) = get_mention_finder().find_many([text])
    return {(m.label, m.normalized) for m in mentions}


def test_organisation_kinds_are_counted_under_one_name():
    found = _found("Confier aux centres sociaux et au Centre de ressources politique de la ville l'appui aux conseils.")
    assert (ORGANISATION, "centre social") in found
    assert (ORGANISATION, "centre de ressources politique de la ville") in found


def test_qpv_by_name_and_by_code():
    found = _found("Installer une maison du projet dans le quartier Les Tilleuls (QN05912) à Roubaix.")
    assert (QPV, "Les Tilleuls") in found
    assert (QPV, "QN05912") in found
    assert (ORGANISATION, "maison du projet") in found


def test_places_from_the_named_entities():
    found = _found("Reproduire à Marseille l'expérience des délégués du préfet.")
    assert (PLACE, "Marseille") in found
    assert (ORGANISATION, "délégué du préfet") in found


def test_nothing_to_count():
    assert _found("Organiser plus de réunions le soir.") == set()
