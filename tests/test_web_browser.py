"""`bilan serve` in a real browser: the command started as its own process
on a free port, on SQLite and on PostgreSQL, driven by Playwright through
Debian's Chromium. A person logs in, opens each page (a screenshot of each
is left in var/test-artifacts/), corrects a wrong attribution and sees the
department's status change on the campaign page and in `bilan export`,
runs `bilan reprocess` and finds the correction still there, undoes it; a
viewer sees no personal data and cannot correct; a form without its CSRF
token is refused; a hostile subject is shown as text; failed logins are
limited; a message ingested while the server runs shows at the next
reload. No page may log a console error: a Content-Security-Policy
violation would be one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan.cli import app as cli
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.conftest import REPO, SAMPLES, empty_database
from tests.loading import load_folder, load_raw
from tests.mail import message
from tests.web import PASSWORD, WebServer, add_account, log_in

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "var" / "test-artifacts"
HOSTILE_SUBJECT = '<script>alert("bilan")</script> Contribution <b>gras</b>'
#: What sample 02 (a member's questionnaire) holds of its author.
PERSONAL_DATA = ("Ouazzani", "OUAZZANI", "06 39 98 12 47", "karima.ouazzani13@laposte.net")
#: Message-IDs of samples: 02 (the questionnaire), 10 (a ZIP of files), 11 (the SGAR's, for 44 and 72).
SURVEY = "<a3f09c1e27d4.1637606847@laposte.net>"
BOUCHES_DU_RHONE = "<PR0P264MB1739F2A6B5C1D0E9A8B7C6D5@PR0P264MB1739.FRAP264.PROD.OUTLOOK.COM>"
SGAR = "<1639176489000.91120.JavaMail.zimbra@loire-atlantique.gouv.fr>"


@dataclass
class Served:
    database: str
    url: str
    warehouse: object
    browser: object
    folder: Path
    pages: list = field(default_factory=list)

    def page(self, name: str | None = None, password: str = PASSWORD, **context):
        """A new browser context (its own cookies), logged in as `name`;
        console errors and dialogs are collected on the page."""
        page = self.browser.new_context(viewport={"width": 1400, "height": 1000}, **context).new_page()
        page.console_errors, page.dialogs = [], []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        if name:
            log_in(page, self.url, name, password)
        self.pages.append(page)
        return page

    def screenshot(self, page, name: str) -> Path:
        path = ARTIFACTS / f"web-{name}-{self.database}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    def message_id(self, message_id_header: str) -> int:
        from sqlalchemy import select

        from bilan.storage.models import Message

        with self.warehouse.engine.connect() as connection:
            found = connection.scalar(
                select(Message.id).where(Message.message_id.in_([message_id_header, message_id_header.strip("<>")]))
            )
        assert found is not None, message_id_header
        return found

    def status_in_export(self, code: str) -> str:
        out = self.folder / "export.json"
        result = CliRunner().invoke(cli, ["export", "--format", "json", "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(out.read_text(encoding="utf-8"))["departments"][code]["status"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from bilan.settings import get_settings
    from bilan.storage.db import get_engine
    from bilan.storage.warehouse import Warehouse

    folder = tmp_path_factory.mktemp(f"web-{request.param}")
    with empty_database(request.param, folder / "warehouse.db", request) as url, pytest.MonkeyPatch.context() as env:
        env.setenv("BILAN_DATABASE_URL", url)
        env.setenv("BILAN_ARCHIVE_DIR", str(folder / "archive"))
        env.setenv("BILAN_WEB_LOGIN_ATTEMPTS", "3")
        warehouse = Warehouse.open(get_settings())
        load_folder(warehouse, SAMPLES)
        load_raw(warehouse, message(subject=HOSTILE_SUBJECT, message_id="<hostile@aisne.gouv.fr>").as_bytes())
        for name, role in (("ada", "admin"), ("edith", "editor"), ("victor", "viewer"), ("rita", "viewer")):
            add_account(warehouse.engine, name, role)
        with WebServer(folder / "serve.log") as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            served = Served(request.param, server.url, warehouse, browser, folder)
            try:
                yield served
            finally:
                browser.close()
        warehouse.engine.dispose()
        get_engine.cache_clear()


def test_every_page_opens_without_error(served):
    page = served.page("edith")
    assert page.url == served.url + "/"
    assert page.locator("#compte-connecte").inner_text() == "edith (correction)"
    shown = dict(page.eval_on_selector_all("#carte [data-departement]:not([data-encart])",
                                           "paths => paths.map(p => [p.dataset.departement, p.dataset.statut])"))
    assert len(shown) == 101 and shown["38"] == "late" and shown["72"] == "on_time" and shown["01"] == "missing"
    assert "Isère (38)" in page.locator("#retard").inner_text()
    assert "Isère (38)" in page.locator("#illisibles").inner_text()  # its truncated PDF
    served.screenshot(page, "campagne")
    assert page.locator("#carte a[href='/departements/13']").count() == 1
    page.goto(f"{served.url}/departements/13")
    assert "À l'heure" in page.locator("#statut").inner_text()
    assert page.locator("#annexe1 tbody tr").count() >= 1 and page.locator("#preconisations tbody tr").count() >= 1
    served.screenshot(page, "departement")
    page.goto(f"{served.url}/messages/{served.message_id(BOUCHES_DU_RHONE)}")
    assert page.locator("#fichiers tbody tr").count() >= 3
    with page.expect_download() as download:
        page.locator("#fichiers a.telecharger").first.click()
    assert Path(download.value.path()).stat().st_size > 0
    served.screenshot(page, "message")
    page.goto(f"{served.url}/a-verifier")
    assert page.locator("#file tbody tr").count() >= 1
    served.screenshot(page, "a-verifier")
    page.goto(f"{served.url}/recherche?q=préconisations")
    assert int(page.locator("#nombre-resultats").inner_text().split()[0]) >= 1
    assert page.locator(".extrait mark").count() >= 1
    served.screenshot(page, "recherche")
    admin = served.page("ada")
    admin.goto(f"{served.url}/comptes")
    assert "victor" in admin.locator("table").inner_text()
    served.screenshot(admin, "comptes")
    for opened in (page, admin):
        assert opened.console_errors == [], opened.console_errors


def test_a_hostile_subject_is_shown_as_text(served):
    page = served.page("edith")
    page.goto(f"{served.url}/messages/{served.message_id('<hostile@aisne.gouv.fr>')}")
    assert page.locator("#objet").inner_text() == HOSTILE_SUBJECT
    assert page.locator("script").count() == 0 and page.locator("main b").count() == 0
    assert page.dialogs == [] and page.console_errors == []
    served.screenshot(page, "sujet-hostile")


def test_a_viewer_sees_no_personal_data_and_cannot_correct(served):
    page = served.page("victor")
    survey = served.message_id(SURVEY)
    for path in (f"/messages/{survey}", "/departements/13", "/a-verifier", "/"):
        page.goto(served.url + path)
        content = page.content()
        assert not [data for data in PERSONAL_DATA if data in content], path
        assert page.locator("form.correction").count() == 0, path
    for words in ("Ouazzani", "karima", "laposte"):
        page.goto(f"{served.url}/recherche?q={words}")
        assert page.locator("#nombre-resultats").inner_text().startswith("0 "), words
    page.goto(f"{served.url}/messages/{survey}")
    assert page.locator("#pii-masque").count() == 1
    served.screenshot(page, "lecteur-message-personnel")
    page.goto(f"{served.url}/messages/{served.message_id(BOUCHES_DU_RHONE)}")
    assert page.locator("a.telecharger").count() == 0
    response = page.goto(f"{served.url}/pieces-jointes/1")
    assert response.status == 403
    page.goto(f"{served.url}/departements/13")
    token = page.locator("input[name=csrf]").first.get_attribute("value")  # the viewer's own, valid token
    refused = page.request.post(f"{served.url}/corrections", form={
        "subject": "department_exempt", "target": "13", "value": "true", "csrf": token, "suite": "/"})
    assert refused.status == 403 and "rôle" in refused.text()
    editor = served.page("edith")
    editor.goto(f"{served.url}/messages/{survey}")
    assert "karima.ouazzani13@laposte.net" in editor.content()


def test_a_form_without_its_csrf_token_is_refused(served):
    page = served.page("edith")
    page.goto(f"{served.url}/departements/13")
    form = page.locator("#statut form.correction")
    form.locator("input[name=csrf]").evaluate("input => input.remove()")
    form.locator("button").click()
    page.wait_for_load_state("load")
    assert "jeton de sécurité" in page.locator("#motif-refus").inner_text()
    page.goto(f"{served.url}/departements/13")
    assert "dispensé" not in page.locator("#statut h2").inner_text()
    served.screenshot(page, "csrf-refuse")


def test_correct_a_wrong_attribution_then_reprocess_then_undo(served):
    pytest.importorskip("bilan.storage.corrections", reason="corrections as data (issue 18, point 2)")
    sgar = served.message_id(SGAR)
    page = served.page("edith")
    page.goto(f"{served.url}/departements/72")
    assert served.status_in_export("72") == "on_time"
    row = page.locator(f"#messages tr[data-message='{sgar}']")
    row.locator("button", has_text="Pas ce département").click()
    page.wait_for_load_state("load")
    assert "Correction enregistrée" in page.locator(".flash").inner_text()
    assert page.locator(f"#messages tr[data-message='{sgar}']").count() == 0
    assert "Sans réponse" in page.locator("#statut").inner_text()
    served.screenshot(page, "correction-departement")
    page.goto(served.url + "/")
    assert page.locator("#carte [data-departement='72']:not([data-encart])").get_attribute("data-statut") == "missing"
    assert page.locator("#carte [data-departement='44']:not([data-encart])").get_attribute("data-statut") == "on_time"
    assert served.status_in_export("72") == "missing"

    result = CliRunner().invoke(cli, ["reprocess"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page.reload()
    assert page.locator("#carte [data-departement='72']:not([data-encart])").get_attribute("data-statut") == "missing"
    assert served.status_in_export("72") == "missing"

    page.goto(f"{served.url}/messages/{sgar}")
    assert "Sarthe" not in page.locator("#departements").inner_text()
    page.locator("table.corrections button", has_text="Annuler").first.click()
    page.wait_for_load_state("load")
    assert "Correction annulée" in page.locator(".flash").inner_text()
    assert "Sarthe (72)" in page.locator("#departements").inner_text()
    page.goto(served.url + "/")
    assert page.locator("#carte [data-departement='72']:not([data-encart])").get_attribute("data-statut") == "on_time"
    assert served.status_in_export("72") == "on_time"
    assert page.console_errors == []


def test_a_message_ingested_while_serving_shows_at_the_next_reload(served):
    page = served.page("victor")

    def messages_received() -> int:
        page.goto(served.url + "/")
        return int(page.locator("#chiffres .carte", has_text="messages reçus").locator(".valeur").inner_text())

    before = messages_received()
    page.goto(f"{served.url}/recherche?q=Tarentaise")
    assert page.locator("#nombre-resultats").inner_text().startswith("0 ")
    load_raw(served.warehouse, message(
        subject="Contribution de la Savoie : quartiers de la Tarentaise", message_id="<live@savoie.gouv.fr>",
        sender="Préfecture de la Savoie <pref-politique-ville@savoie.gouv.fr>",
    ).as_bytes())
    page.reload()
    assert page.locator("#nombre-resultats").inner_text().startswith("1 ")
    page.locator(".resultats a").first.click()
    assert page.locator("#objet").inner_text() == "Contribution de la Savoie : quartiers de la Tarentaise"
    assert messages_received() == before + 1


def test_failed_logins_are_limited(served):
    # Its own address (the server trusts X-Forwarded-For from 127.0.0.1, as from a local proxy).
    page = served.page(extra_http_headers={"X-Forwarded-For": "198.51.100.23"})
    for _ in range(3):
        log_in(page, served.url, "rita", "pas-le-bon-mot-de-passe")
        assert "incorrect" in page.locator("#erreur-connexion").inner_text()
    log_in(page, served.url, "rita")
    assert "Trop de tentatives" in page.locator("#erreur-connexion").inner_text()
    served.screenshot(page, "connexion-limitee")
    other = served.page("victor", extra_http_headers={"X-Forwarded-For": "198.51.100.24"})
    assert other.locator("#compte-connecte").count() == 1
