"""Reminders: who is chased before and after the deadline, the list and the
French drafts, sending through a real SMTP server with STARTTLS, and nobody
reminded twice the same day."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import openpyxl
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bilan.cli import app
from bilan.outgoing.letters import TemplateError, french_date
from bilan.outgoing.mailer import Mailer, MailerError, SmtpServer
from bilan.outgoing.reminders import (
    ContactsFileError,
    ReminderRun,
    departments_to_chase,
    draft_reminders,
    load_contacts,
    send_reminders,
    write_reminders,
)
from bilan.settings import get_settings
from bilan.storage.status import DepartmentStatus, department_statuses
from tests.conftest import SAMPLES
from tests.loading import load_folder

UTC = dt.UTC
CLOSES = dt.datetime(2021, 12, 10, 23, 0, tzinfo=UTC)
BEFORE = dt.datetime(2021, 12, 3, 9, 0, tzinfo=UTC)
AFTER = dt.datetime(2021, 12, 15, 9, 0, tzinfo=UTC)


def _status(code: str, status: str, annexes=frozenset()) -> DepartmentStatus:
    first = None if status == "missing" else dt.datetime(2021, 12, 1, tzinfo=UTC)
    return DepartmentStatus(code, f"D{code}", "R", status, first, 1, 0 if first is None else 1, annexes=frozenset(annexes))


def test_before_the_deadline_only_missing_departments_are_chased():
    statuses = [_status("01", "missing"), _status("02", "on_time"), _status("03", "on_time", {1, 2})]
    chased = departments_to_chase(statuses, BEFORE, CLOSES, (1, 2))
    assert [(s.code, reason, missing) for s, reason, missing in chased] == [("01", "missing", [])]


def test_after_the_deadline_incomplete_ones_are_chased_too():
    statuses = [
        _status("01", "missing"), _status("02", "on_time", {1}), _status("03", "late", {1, 2}), _status("04", "late"),
    ]
    chased = departments_to_chase(statuses, AFTER, CLOSES, (1, 2))
    assert [(s.code, reason, missing) for s, reason, missing in chased] == [
        ("01", "missing", []), ("02", "incomplete", [2]), ("04", "incomplete", [1, 2]),
    ]


def test_contacts_file_accepts_semicolons_and_several_addresses(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Département;Courriel;Nom\n1;pref-ain@ain.gouv.fr;Accueil\n2A;a@corse-du-sud.gouv.fr, B@corse-du-sud.gouv.fr;\n",
        encoding="utf-8",
    )
    assert load_contacts(path) == {"01": ["pref-ain@ain.gouv.fr"], "2A": ["a@corse-du-sud.gouv.fr", "b@corse-du-sud.gouv.fr"]}
    path.write_text("code,email\n59,\n", encoding="utf-8")
    with pytest.raises(ContactsFileError, match="line 2"):
        load_contacts(path)


def test_french_dates():
    assert french_date(dt.date(2021, 12, 10)) == "10 décembre 2021"
    assert french_date(dt.date(2022, 2, 1)) == "1er février 2022"


@pytest.fixture
def samples(warehouse):
    load_folder(warehouse, SAMPLES)
    return warehouse


def _contacts(tmp_path) -> str:
    path = tmp_path / "contacts.csv"
    path.write_text("department,email\n01,pref-ain@ain.gouv.fr\n59,politique-ville@nord.gouv.fr\n", encoding="utf-8")
    return path


def test_drafts_and_list_are_written_in_french(samples, settings_env, tmp_path):
    drafts = draft_reminders(samples, settings_env, AFTER, _contacts(tmp_path))
    by_code = {d.department.code: d for d in drafts}
    assert by_code["01"].reason == "missing" and by_code["01"].recipients == ["pref-ain@ain.gouv.fr"]
    assert "10 décembre 2021" in by_code["01"].body and "n'avons pas encore reçu" in by_code["01"].body
    assert "la contribution de l'Ain (01)" in by_code["01"].body and "département Ain" not in by_code["01"].body
    assert "la contribution du Nord (59)" in by_code["59"].body  # incomplete: no annex
    # Isère answered late with a truncated PDF: incomplete, and the file is named.
    isere = by_code["38"]
    assert isere.reason == "incomplete" and "endommagé ou incomplet" in isere.body
    assert "pour la contribution de l'Isère (38)" in isere.body
    assert "Contribution Isère - bilan participation.pdf" in isere.body
    assert isere.recipients and all(r.endswith(".gouv.fr") for r in isere.recipients)
    # Survey answers come from residents: never a contact.
    assert all("@gmail" not in r and "@free" not in r for d in drafts for r in d.recipients if d.department.code == "13")
    files = write_reminders(drafts, tmp_path / "relances", "Europe/Paris")
    sheet = openpyxl.load_workbook(tmp_path / "relances" / "relances.xlsx")["Relances"]
    assert [c.value for c in sheet[1]][:4] == ["Code", "Département", "Région", "Motif"]
    assert sheet.max_row == len(drafts) + 1 and sheet.freeze_panes == "A2"
    assert (tmp_path / "relances" / "relances.csv").read_text(encoding="utf-8-sig").startswith("department_code;")
    draft = email.message_from_bytes((tmp_path / "relances" / "relance-38-isere.eml").read_bytes(), policy=email.policy.default)
    assert draft["X-Unsent"] == "1" and "Isère (38)" in draft["Subject"]
    assert len([f for f in files if f.suffix == ".eml"]) == len(drafts)


def test_an_edited_template_is_used_and_a_typo_is_caught(samples, settings_env, tmp_path):
    template = tmp_path / "relance.txt"
    template.write_text("Objet : Rappel {{ departement.nom }}\n\nBonjour, date limite : {{ date_limite }}.\n", encoding="utf-8")
    drafts = draft_reminders(samples, settings_env, BEFORE, template=template)
    assert drafts[0].subject == "Rappel Ain" and drafts[0].body == "Bonjour, date limite : 10 décembre 2021.\n"
    template.write_text("Objet : Rappel {{ departement.name }}\n\nBonjour\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="name"):
        draft_reminders(samples, settings_env, BEFORE, template=template)


def test_reminders_are_sent_with_starttls_once_a_day(samples, smtp_env, tmp_path):
    settings = get_settings()
    drafts = draft_reminders(samples, settings, AFTER, _contacts(tmp_path))
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        run = send_reminders(samples, drafts, mailer, AFTER, ReminderRun(drafts=drafts))
    with_address = [d for d in drafts if d.recipients]
    assert sorted(run.sent) == sorted(d.department.code for d in with_address)
    assert len(run.without_address) == len(drafts) - len(with_address) > 0
    received = {tuple(r.rcpt_tos): r for r in smtp_env.received}
    assert len(smtp_env.received) == len(with_address)
    ain = received[("pref-ain@ain.gouv.fr",)]
    assert ain.tls and ain.user == smtp_env.user
    assert "Ain (01)" in ain.message["Subject"] and "10 décembre 2021" in ain.message.get_content()
    # Same day again: nothing more is sent.
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        again = send_reminders(samples, drafts, mailer, AFTER + dt.timedelta(hours=8), ReminderRun(drafts=drafts))
    assert again.sent == [] and sorted(again.already_reminded_today) == sorted(run.sent)
    assert len(smtp_env.received) == len(with_address)
    # The next day, they may be reminded again.
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        next_day = send_reminders(samples, drafts[:1], mailer, AFTER + dt.timedelta(days=1), ReminderRun())
    assert next_day.sent == ["01"]
    statuses = {s.code: s for s in department_statuses(samples.engine, samples.campaign)}
    assert statuses["01"].reminders_sent == 2 and statuses["02"].reminders_sent == 0


def test_a_refused_reminder_is_recorded_and_tried_again(samples, smtp_env, tmp_path):
    settings = get_settings()
    drafts = [d for d in draft_reminders(samples, settings, AFTER, _contacts(tmp_path)) if d.department.code == "01"]
    smtp_env.refuse.add("pref-ain@ain.gouv.fr")
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        run = send_reminders(samples, drafts, mailer, AFTER, ReminderRun())
    assert list(run.failed) == ["01"] and "550" in run.failed["01"]
    with samples.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM reminder")).scalar_one() == "failed"
    smtp_env.refuse.clear()
    with Mailer(SmtpServer.from_settings(settings)) as mailer:
        retry = send_reminders(samples, drafts, mailer, AFTER, ReminderRun())
    assert retry.sent == ["01"]
    with samples.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM reminder")).scalar_one() == "sent"


def test_two_claims_the_same_day_give_one_reminder(warehouse):
    day = dt.date(2021, 12, 15)
    first = warehouse.claim_reminder("59", day, "missing", ["a@nord.gouv.fr"], "Relance")
    assert first is not None
    assert warehouse.claim_reminder("59", day, "missing", ["a@nord.gouv.fr"], "Relance") is None


def test_smtp_errors_are_clear_and_keep_the_password_secret(smtp_server):
    wrong = SmtpServer(smtp_server.host, smtp_server.port, "relances", "wrong-password", True, smtp_server.cafile, 10)
    with pytest.raises(MailerError, match="login refused") as error:
        with Mailer(wrong):
            pass
    assert "wrong-password" not in str(error.value) and "wrong-password" not in repr(wrong)
    untrusted = SmtpServer(smtp_server.host, smtp_server.port, "relances", smtp_server.password, True, None, 10)
    with pytest.raises(MailerError, match="CERTIFICATE_VERIFY_FAILED"):
        with Mailer(untrusted):
            pass
    with pytest.raises(MailerError, match="without STARTTLS"):
        Mailer(SmtpServer(smtp_server.host, smtp_server.port, "relances", "x", False))


def test_the_command_is_a_dry_run_unless_asked(prefect_server, samples, smtp_env, tmp_path):
    runner = CliRunner()
    out = tmp_path / "relances"
    contacts = str(_contacts(tmp_path))
    result = runner.invoke(app, ["reminders", "--out", str(out), "--contacts", contacts], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "dry run: nothing sent" in result.output and smtp_env.received == []
    assert (out / "relances.xlsx").exists() and (out / "relance-01-ain.eml").exists()
    result = runner.invoke(app, ["reminders", "--out", str(out), "--contacts", contacts, "--send"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(smtp_env.received) >= 2 and "sent" in result.output
    assert smtp_env.password not in result.output
