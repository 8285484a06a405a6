"""Annex rows and survey answers in the warehouse (SQLite and PostgreSQL),
with their provenance, replaced on reprocessing, annex rows in the export."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bilan.mailbox.raw import RawMessage
from bilan.pipeline import Pipeline, archive_raw, process_archived
from bilan.storage.export import export_contract
from bilan.storage.models import Annexe1Row, Annexe2Row, SurveyAnswer, SurveyResponse
from tests.mail import XLSX, message, xlsx_bytes

RECEIVED = dt.datetime(2021, 12, 9, 10, 0, tzinfo=dt.UTC)
ANNEX1 = [["Département :", "Gard (30)"], [None] * 2,
          ["Commune", "Code QPV", "Nom du quartier", "Conseil citoyen constitué", "Budget annuel (€)"],
          ["Nîmes", "QN03001", "Pissevin", "oui", "3 000 €"]]
ANNEX2 = [["Type de démarche", "Commune", "Code QPV", "Structure porteuse", "Année de création"],
          ["Table de quartier", "Nîmes", "QN03001", "Centre social", 2019]]


def _process(warehouse, raw, replace=False):
    sha = archive_raw(warehouse, RawMessage(raw=raw, source="test:1")).sha256
    assert process_archived(Pipeline(warehouse), sha, replace=replace).processed == 1


def test_annex_rows_with_provenance_and_in_the_export(warehouse):
    mail = message(sender="jeanne@gard.gouv.fr", received=RECEIVED)
    mail.add_attachment(xlsx_bytes(ANNEX1, title="Saisie"), *XLSX, filename="Annexe 1.xlsx")
    mail.add_attachment(xlsx_bytes(ANNEX2), *XLSX, filename="Annexe 2.xlsx")
    raw = mail.as_bytes()
    _process(warehouse, raw)
    _process(warehouse, raw, replace=True)  # reprocessing replaces, never doubles
    with warehouse.engine.connect() as connection:
        row = connection.execute(select(Annexe1Row)).one()
        assert connection.scalar(select(func.count()).select_from(Annexe2Row)) == 1
    assert (row.source_file, row.source_sheet, row.source_row, row.attachment_position) == ("Annexe 1.xlsx", "Saisie", 4, 0)
    assert (row.department_code, row.conseil_constitue, row.budget_annuel_eur) == ("30", True, 3000)
    (exported,) = export_contract(warehouse)["messages"]
    assert exported["annexe1_rows"] == [{
        "commune": "Nîmes", "qpv_code": "QN03001", "qpv_nom": "Pissevin", "conseil_constitue": True,
        "date_creation": None, "membres_habitants": None, "membres_acteurs_locaux": None, "actif": None,
        "structure_porteuse": None, "participation_pilotage": None, "formation_suivie": None, "budget_annuel_eur": 3000}]
    assert exported["annexe2_rows"] == [{"type": "table_de_quartier", "commune": "Nîmes", "qpv_code": "QN03001",
                                         "porteur": "Centre social", "annee_creation": 2019, "habitants_mobilises": None}]
    assert [a["role"] for a in exported["attachments"]] == ["annexe1", "annexe2"]


def test_survey_answers_are_kept_in_the_restricted_tables(warehouse):
    body = "Bonjour je vous envoie le questionnaire rempli.\n1. Nom et prénom : DURAND Paul\n" \
           "2. Téléphone : 06 11 22 33 44\n3. Adresse électronique : paul@free.fr\n" \
           "4. Conseil citoyen (quartier et commune) : Pissevin – Nîmes\n" \
           "11. Quelles sont vos propositions pour améliorer la participation des habitants ? : Un local.\n"
    _process(warehouse, message(sender="Paul <paul@free.fr>", subject="Questionnaire conseil citoyen", body=body,
                                received=RECEIVED).as_bytes())
    with warehouse.engine.connect() as connection:
        response = connection.execute(select(SurveyResponse)).one()
        answers = connection.execute(select(SurveyAnswer.topic, SurveyAnswer.answer, SurveyAnswer.pii)
                                     .order_by(SurveyAnswer.number)).all()
    assert (response.conseil_citoyen, response.department_code, response.pii) == ("Pissevin – Nîmes", "30", True)
    assert [tuple(a) for a in answers] == [("name", "DURAND Paul", True), ("phone", "06 11 22 33 44", True),
                                           ("email", "paul@free.fr", True), ("conseil", "Pissevin – Nîmes", False),
                                           ("proposals", "Un local.", False)]
    (exported,) = export_contract(warehouse)["messages"]
    assert exported["pii"] is True and exported["kind"] == "survey_response" and exported["departments"] == ["30"]
