"""Corrected versions supersede, complements complete: links stored whatever
the order in which messages are processed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bilan.mailbox.raw import RawMessage
from bilan.nlp.follow_up_cues import COMPLEMENTS, SUPERSEDES, detect_follow_up
from bilan.parsers import parse_message
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.export import export_contract
from bilan.storage.models import Message
from tests.mail import DOCX, docx_bytes, message

PARIS = dt.timezone(dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("subject", "body", "relation"),
    [
        ("ANNULE ET REMPLACE - Contribution 30", "Veuillez trouver ci-joint la version corrigée.", SUPERSEDES),
        ("Erratum : bilan", "Une version corrigée de notre contribution.", SUPERSEDES),
        ("Nouvel envoi - Contribution 33", "Le fichier PDF transmis précédemment semble endommagé.", SUPERSEDES),
        ("Complément - annexes", "En complément de notre envoi du 6 décembre 2021, les annexes.", COMPLEMENTS),
        ("Annexe(s) manquante(s) - 21", "Veuillez trouver ci-joint l'annexe manquante.", COMPLEMENTS),
        ("RE: Envoi bilan", "Suite à votre message, je vous renvoie l'annexe 1 sans mot de passe.", COMPLEMENTS),
        ("Contribution 30", "Veuillez trouver ci-joint notre contribution et les annexes.", None),
    ],
)
def test_what_a_message_says_of_an_earlier_one(subject, body, relation):
    follow_up = detect_follow_up(parse_message(message(subject=subject, body=body).as_bytes()))
    assert follow_up.relation == relation


def test_the_date_cited_for_the_earlier_message():
    body = "Une version corrigée de l'annexe 1, qui annule et remplace la version transmise le 22 novembre 2021."
    follow_up = detect_follow_up(parse_message(message(subject="Erratum", body=body).as_bytes()))
    assert follow_up.cited_date == dt.date(2021, 11, 22)


def _mail(subject, body, day, hour=10, message_id=None, in_reply_to=None, sender="jeanne.martin@gard.gouv.fr"):
    mail = message(subject=subject, body=body, sender=sender, message_id=message_id or f"<{day}-{hour}@gard.gouv.fr>",
                   received=dt.datetime(2021, 12, day, hour, tzinfo=PARIS))
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    mail.add_attachment(docx_bytes("Contribution écrite", ["Former les conseillers"]), *DOCX, filename="note.docx")
    return mail.as_bytes()


def _load(warehouse, raws, order):
    shas = [archive_raw(warehouse, RawMessage(raw=raw, source=f"test:{i}")).sha256 for i, raw in enumerate(raws)]
    for index in order:
        assert process_archived(Pipeline(warehouse), shas[index]).processed == 1


def _links(warehouse):
    exported = {m["message_id"]: m for m in export_contract(warehouse)["messages"]}
    return {mid: (m["supersedes"], m["complements"]) for mid, m in exported.items()}


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_links_do_not_depend_on_processing_order(warehouse, order):
    raws = [
        _mail("Contribution - Gard", "Veuillez trouver ci-joint notre contribution écrite.", 6, message_id="<a@x>"),
        _mail("Complément - annexes", "En complément de notre envoi du 6 décembre 2021, les annexes.", 8,
              message_id="<b@x>"),
        _mail("ANNULE ET REMPLACE", "Version corrigée, qui annule et remplace la version du 6 décembre 2021.", 9,
              message_id="<c@x>"),
    ]
    _load(warehouse, raws, order)
    assert _links(warehouse) == {"<a@x>": (None, None), "<b@x>": (None, "<a@x>"), "<c@x>": ("<a@x>", None)}


def test_a_reply_names_its_original_and_other_departments_do_not_mix(warehouse):
    raws = [
        _mail("Contribution", "Veuillez trouver ci-joint notre contribution écrite.", 3, message_id="<first@x>"),
        _mail("Contribution", "Veuillez trouver ci-joint notre contribution écrite, le compte rendu.", 4,
              message_id="<second@x>"),
        _mail("Contribution", "Veuillez trouver ci-joint notre contribution écrite.", 5, message_id="<other@x>",
              sender="paul@aisne.gouv.fr"),
        _mail("RE: Contribution", "Suite à votre message, je vous renvoie l'annexe 1 sans mot de passe.", 7,
              message_id="<reply@x>", in_reply_to="<first@x>"),
    ]
    _load(warehouse, raws, (3, 2, 1, 0))
    assert _links(warehouse)["<reply@x>"] == (None, "<first@x>")


def test_a_follow_up_without_an_earlier_message_links_nothing(warehouse):
    _load(warehouse, [_mail("Erratum", "Version corrigée de notre contribution.", 9, message_id="<alone@x>")], (0,))
    assert _links(warehouse) == {"<alone@x>": (None, None)}
    with warehouse.engine.connect() as connection:
        assert connection.scalar(select(Message.follow_up)) == SUPERSEDES


def test_settling_links_that_hold_writes_nothing(warehouse):
    """A recomputation rewrites only the links that change: settling a
    warehouse whose links already hold (most, since only a department's
    newest message moves them) issues no UPDATE, and one link changed by
    hand is put back with one."""
    from sqlalchemy import event, update

    raws = [
        _mail("Contribution - Gard", "Veuillez trouver ci-joint notre contribution écrite.", 6, message_id="<a@x>"),
        _mail("ANNULE ET REMPLACE", "Version corrigée, qui annule et remplace la version du 6 décembre 2021.", 9,
              message_id="<c@x>"),
    ]
    _load(warehouse, raws, (0, 1))
    updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE MESSAGE"):
            updates.append(statement)

    event.listen(warehouse.engine, "before_cursor_execute", count)
    try:
        warehouse.settle_follow_ups()
        assert updates == []
        with warehouse.engine.begin() as connection:
            connection.execute(update(Message).values(supersedes_id=None))
        updates.clear()
        warehouse.settle_follow_ups()
        assert len(updates) == 1
    finally:
        event.remove(warehouse.engine, "before_cursor_execute", count)
    assert _links(warehouse) == {"<a@x>": (None, None), "<c@x>": ("<a@x>", None)}
