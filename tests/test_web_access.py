"""`bilan serve` without a browser (Starlette's test client, on SQLite and
PostgreSQL): nothing is readable without logging in, roles decide what an
account sees and does, every form needs its CSRF token, failed logins are
limited, every response has its security headers, a sender's text is shown
as text, files are downloaded by attachment id only, and the full-text
index follows every write. The same, in a real browser, is in
test_web_browser.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from bilan.cli import app as cli
from bilan.mailbox.raw import RawMessage
from bilan.pipeline import archive_raw
from bilan.storage.db import transaction
from bilan.storage.models import Attachment, ExtractedText, Message
from bilan.storage.search import search
from bilan.web.security import local_path
from tests.mail import DOCX, docx_bytes, message, zip_bytes
from tests.web import PASSWORD, TEST_SECRET, add_account

PAGES = ["/", "/departements/13", "/a-verifier", "/recherche?q=x", "/comptes", "/messages/1", "/pieces-jointes/1"]


@pytest.fixture
def site(warehouse, monkeypatch):
    """The application on the test's warehouse, with an admin, an editor and a viewer."""
    from bilan.settings import get_settings
    from bilan.web.app import create_app

    monkeypatch.setenv("BILAN_WEB_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("BILAN_WEB_LOGIN_ATTEMPTS", "3")
    for name, role in (("ada", "admin"), ("edith", "editor"), ("victor", "viewer")):
        add_account(warehouse.engine, name, role)
    return create_app(get_settings())


def browser(site, client=("127.0.0.1", 50000)) -> TestClient:
    return TestClient(site, base_url="https://testserver", client=client, follow_redirects=False)


def token_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def logged_in(site, name: str) -> TestClient:
    client = browser(site)
    page = client.get("/connexion")
    response = client.post("/connexion", data={"name": name, "password": PASSWORD, "csrf": token_of(page.text)})
    assert response.status_code == 303, response.text
    return client


def test_nothing_is_readable_without_login(site):
    client = browser(site)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion?suite="), path


def test_a_session_cookie_is_secure_and_every_response_has_the_headers(site):
    client = browser(site)
    page = client.get("/connexion")
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    response = client.post("/connexion", data={"name": "ada", "password": PASSWORD, "csrf": token_of(page.text)})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert TEST_SECRET not in response.headers["set-cookie"]
    home = client.get("/")
    assert home.status_code == 200 and "Suivi de la campagne" in home.text
    assert "<script" not in home.text and "style=" not in home.text  # nothing the CSP would have to allow


def test_a_form_without_its_csrf_token_is_refused(site, warehouse):
    client = browser(site)
    client.get("/connexion")
    refused = client.post("/connexion", data={"name": "ada", "password": PASSWORD})
    assert refused.status_code == 403 and "jeton de sécurité" in refused.text
    client = logged_in(site, "ada")
    for data in ({"action": "add", "name": "mallory", "role": "admin", "password": "0123456789"},
                 {"action": "add", "name": "mallory", "role": "admin", "password": "0123456789", "csrf": "forged"}):
        assert client.post("/comptes", data=data).status_code == 403
    assert "mallory" not in client.get("/comptes").text
    accepted = client.post("/comptes", data={"action": "add", "name": "mallory", "role": "viewer",
                                             "password": "0123456789", "csrf": token_of(client.get("/").text)})
    assert accepted.status_code == 303 and "mallory" in client.get("/comptes").text


def test_failed_logins_are_limited(site):
    client = browser(site)
    token = token_of(client.get("/connexion").text)
    for _ in range(3):
        wrong = client.post("/connexion", data={"name": "edith", "password": "not-it", "csrf": token})
        assert wrong.status_code == 401 and "incorrect" in wrong.text
    blocked = client.post("/connexion", data={"name": "edith", "password": PASSWORD, "csrf": token})
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    # Another address cannot log in as edith either; it can as someone else.
    other = browser(site, client=("192.0.2.7", 40000))
    token = token_of(other.get("/connexion").text)
    assert other.post("/connexion", data={"name": "edith", "password": PASSWORD, "csrf": token}).status_code == 429
    assert other.post("/connexion", data={"name": "victor", "password": PASSWORD, "csrf": token}).status_code == 303


def test_roles(site):
    viewer = logged_in(site, "victor")
    assert viewer.get("/").status_code == 200
    assert viewer.get("/comptes").status_code == 403
    assert viewer.get("/pieces-jointes/1").status_code == 403
    token = token_of(viewer.get("/").text)
    refused = viewer.post("/corrections", data={"subject": "department_exempt", "target": "13", "value": "true",
                                                "csrf": token})
    assert refused.status_code == 403
    assert "Marquer dispensé" not in viewer.get("/departements/13").text
    editor = logged_in(site, "edith")
    assert editor.get("/comptes").status_code == 403
    assert "Marquer dispensé" in editor.get("/departements/13").text


def test_a_trusted_header_counts_only_from_a_trusted_proxy(warehouse, monkeypatch):
    from bilan.settings import get_settings
    from bilan.web.app import create_app

    monkeypatch.setenv("BILAN_WEB_TRUSTED_HEADER", "X-Remote-User")
    monkeypatch.setenv("BILAN_WEB_TRUSTED_PROXIES", "127.0.0.1")
    add_account(warehouse.engine, "proxied", "viewer")
    application = create_app(get_settings())
    from_proxy = browser(application, client=("127.0.0.1", 50000))
    page = from_proxy.get("/", headers={"X-Remote-User": "proxied"})
    assert page.status_code == 200 and "proxied (lecture)" in page.text
    assert from_proxy.get("/", headers={"X-Remote-User": "nobody"}).status_code == 303
    from_elsewhere = browser(application, client=("203.0.113.9", 50000))
    assert from_elsewhere.get("/", headers={"X-Remote-User": "proxied"}).status_code == 303


def test_a_hostile_subject_is_shown_as_text(site, warehouse):
    raw = message(subject='<script>alert("x")</script><img src=x onerror=alert(1)>',
                  message_id="<hostile@aisne.gouv.fr>").as_bytes()
    archive_raw(warehouse, RawMessage(raw=raw, source="test"))
    client = logged_in(site, "edith")
    with warehouse.engine.connect() as connection:
        message_id = connection.scalar(Message.__table__.select().with_only_columns(Message.id))
    html = client.get(f"/messages/{message_id}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and "<img" not in html
    found = client.get("/recherche", params={"q": "alert"}).text
    assert "&lt;script&gt;" in found and "<script" not in found


def test_a_file_is_downloaded_by_attachment_id_only(site, warehouse):
    annex = docx_bytes("Préconisations", ["Former les conseillers"])
    archive = zip_bytes({"annexes/note.docx": annex})
    mail = message(message_id="<files@aisne.gouv.fr>")
    mail.add_attachment(annex, *DOCX, filename="contribution.docx")
    mail.add_attachment(archive, "application", "zip", filename="annexes.zip")
    sha256 = archive_raw(warehouse, RawMessage(raw=mail.as_bytes(), source="test")).sha256
    with transaction(warehouse.engine) as session:
        message_pk = session.scalar(Message.__table__.select().with_only_columns(Message.id).where(Message.sha256 == sha256))
        rows = [
            Attachment(message_id=message_pk, position=0, filename="contribution.docx", content_type="x", format="docx",
                       size=len(annex), sha256=hashlib.sha256(annex).hexdigest(), parse_status="ok"),
            Attachment(message_id=message_pk, position=1, filename="annexes.zip", content_type="x", format="zip",
                       size=len(archive), sha256=hashlib.sha256(archive).hexdigest(), parse_status="ok"),
        ]
        session.add_all(rows)
        session.flush()
        inner = Attachment(message_id=message_pk, position=2, parent_id=rows[1].id, filename="note.docx",
                           content_type="x", format="docx", size=len(annex), sha256=hashlib.sha256(annex).hexdigest(),
                           parse_status="ok")
        session.add(inner)
        session.flush()
        ids = [rows[0].id, rows[1].id, inner.id]
    client = logged_in(site, "edith")
    for attachment_id, expected, name in zip(ids, (annex, archive, annex), ("contribution.docx", "annexes.zip", "note.docx")):
        response = client.get(f"/pieces-jointes/{attachment_id}")
        assert response.status_code == 200 and response.content == expected
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"].startswith(f'attachment; filename="{name}"')
    for path in ("/pieces-jointes/999999", "/pieces-jointes/..%2F..%2Fetc%2Fpasswd", "/pieces-jointes/-1"):
        assert client.get(path).status_code in (404, 422), path


def test_a_path_after_a_form_stays_on_this_site():
    assert local_path("/departements/13") == "/departements/13"
    for outside in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        assert local_path(outside) == "/"


def test_the_search_index_follows_every_write(warehouse):
    raw = message(subject="Contribution de la préfecture", message_id="<s1@aisne.gouv.fr>").as_bytes()
    sha256 = archive_raw(warehouse, RawMessage(raw=raw, source="test")).sha256
    with transaction(warehouse.engine) as session:
        message_pk = session.scalar(Message.__table__.select().with_only_columns(Message.id).where(Message.sha256 == sha256))
        session.add(ExtractedText(message_id=message_pk, position=-1, text="Les conseils citoyens du quartier Bellevue"))

    def found(words: str, include_pii: bool = True) -> list[str]:
        with warehouse.engine.connect() as connection:
            return [hit.where for hit in search(connection, words, include_pii=include_pii)]

    assert found("prefecture") == ["message"] or found("préfecture") == ["message"]
    assert found("bellevue conseils") == ["body"]
    assert found("bellevue absent") == []
    with transaction(warehouse.engine) as session:
        session.execute(update(ExtractedText).where(ExtractedText.message_id == message_pk).values(text="Quartier Mirail"))
        session.execute(update(Message).where(Message.id == message_pk).values(pii=True))
    assert found("bellevue") == [] and found("mirail") == ["body"]
    assert found("mirail", include_pii=False) == []
    with transaction(warehouse.engine) as session:
        session.execute(delete(Message).where(Message.id == message_pk))
    assert found("mirail") == [] and found("contribution") == []


def test_user_add_and_list(settings_env, warehouse):
    runner = CliRunner()
    added = runner.invoke(cli, ["user", "add", "claire", "--role", "editor", "--password-stdin"],
                          input="un-long-mot-de-passe\n")
    assert added.exit_code == 0, added.output
    short = runner.invoke(cli, ["user", "add", "bob", "--password-stdin"], input="court\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.stderr
    listed = runner.invoke(cli, ["user", "list"])
    assert "claire\teditor\tpassword" in listed.output and "bob" not in listed.output
    with warehouse.engine.connect() as connection:
        from bilan.storage.accounts import find_account

        stored = find_account(connection, "claire")
    assert stored.password_hash.startswith("$argon2") and "un-long-mot-de-passe" not in stored.password_hash
    assert stored.created_at.tzinfo is not None and stored.created_at <= dt.datetime.now(dt.UTC)


def test_a_viewer_never_sees_a_personal_message(site, warehouse):
    raw = message(subject="Questionnaire du conseil citoyen", sender="Karima Ouazzani <karima.o@laposte.net>",
                  message_id="<pii@laposte.net>").as_bytes()
    sha256 = archive_raw(warehouse, RawMessage(raw=raw, source="test")).sha256
    with transaction(warehouse.engine) as session:
        message_pk = session.scalar(Message.__table__.select().with_only_columns(Message.id).where(Message.sha256 == sha256))
        session.execute(update(Message).where(Message.id == message_pk).values(pii=True))
        session.add(ExtractedText(message_id=message_pk, position=-1, text="Nom : Ouazzani Karima, tél. 06 39 98 12 47"))
    viewer, editor = logged_in(site, "victor"), logged_in(site, "edith")
    for path in (f"/messages/{message_pk}", "/a-verifier"):
        html = viewer.get(path).text
        assert "Ouazzani" not in html and "karima.o@laposte.net" not in html and "06 39 98 12 47" not in html, path
    for words in ("Ouazzani", "questionnaire", "laposte"):  # the page repeats the words searched, nothing else
        assert "0 résultats" in viewer.get("/recherche", params={"q": words}).text
    assert "Ouazzani Karima" in editor.get(f"/messages/{message_pk}").text
    assert "karima.o@laposte.net" in editor.get(f"/messages/{message_pk}").text
    assert "<mark>Ouazzani</mark> Karima" in editor.get("/recherche", params={"q": "Ouazzani"}).text


def _flagged(warehouse, number: int, **values) -> tuple[str, int]:
    """A message in the review queue: archived, then given what processing would have."""
    raw = message(subject=f"Contribution {number}", message_id=f"<review{number}@aisne.gouv.fr>").as_bytes()
    sha256 = archive_raw(warehouse, RawMessage(raw=raw, source="test")).sha256
    with transaction(warehouse.engine) as session:
        session.execute(update(Message).where(Message.sha256 == sha256).values(**values))
        message_pk = session.scalar(Message.__table__.select().with_only_columns(Message.id).where(Message.sha256 == sha256))
    return sha256, message_pk


def test_the_review_queue_empties_as_an_editor_marks_messages_checked(site, warehouse):
    now = dt.datetime.now(dt.UTC)
    first, first_pk = _flagged(warehouse, 1, processed_at=now, needs_review=True,
                               review_reason="low confidence: modality 3 (0.45 < 0.60)")
    second, second_pk = _flagged(warehouse, 2, processed_at=now, needs_review=True, review_reason="low confidence: x")
    _, failed_pk = _flagged(warehouse, 3, process_error="parser crashed")
    viewer, editor = logged_in(site, "victor"), logged_in(site, "edith")

    def queue_size(client: TestClient) -> int:
        page = client.get("/a-verifier").text
        size = int(re.search(r"<h1>À vérifier \((\d+)\)</h1>", page).group(1))
        assert re.search(rf'id="file-a-verifier">{size}<', client.get("/").text), "the campaign page gives the same size"
        return size

    queue = editor.get("/a-verifier").text
    assert "confiance faible : modalité 3 (0,45 &lt; 0,60)" in queue
    assert queue_size(editor) == 3 and queue.count("Marquer comme vérifié") == 2  # not on the failed message's row
    assert "Marquer comme vérifié" not in editor.get(f"/messages/{failed_pk}").text
    for path in ("/a-verifier", f"/messages/{first_pk}"):
        assert "Marquer comme vérifié" not in viewer.get(path).text, path
    mark = {"subject": "message_review", "target": first, "value": "checked", "suite": "/a-verifier"}
    assert viewer.post("/corrections", data={**mark, "csrf": token_of(viewer.get("/").text)}).status_code == 403
    assert editor.post("/corrections", data=mark).status_code == 403  # no CSRF token
    assert queue_size(editor) == 3

    marked = editor.post("/corrections", data={**mark, "csrf": token_of(queue)})
    assert marked.status_code == 303 and marked.headers["location"] == "/a-verifier"
    queue = editor.get("/a-verifier").text
    assert "Message marqué comme vérifié." in queue and f'data-message="{first_pk}"' not in queue
    assert f'data-message="{failed_pk}"' in queue
    assert queue_size(editor) == queue_size(viewer) == 2
    html = editor.get(f"/messages/{first_pk}").text
    assert re.search(r'id="verifie">par edith le .*confiance faible : modalité 3', html)  # the reason, in French
    assert "Marquer comme vérifié" not in html
    assert "vérification du message" in html  # the mark is listed with the message's corrections

    page = editor.get(f"/messages/{second_pk}").text  # from the message page too
    assert editor.post("/corrections", data={"subject": "message_review", "target": second, "value": "checked",
                                             "suite": f"/messages/{second_pk}", "csrf": token_of(page)}).status_code == 303
    assert queue_size(editor) == 1

    correction_id = re.search(r'data-correction="(\d+)"', html).group(1)  # "Annuler" puts it back
    undone = editor.post(f"/corrections/{correction_id}/annuler", data={"csrf": token_of(html), "suite": "/a-verifier"})
    assert undone.status_code == 303 and queue_size(editor) == 2
    assert f'data-message="{first_pk}"' in editor.get("/a-verifier").text
    again = editor.post(f"/corrections/{correction_id}/annuler", data={"csrf": token_of(html), "suite": "/a-verifier"})
    assert again.status_code == 303
    assert f"Annulation refusée : la correction n° {correction_id} a déjà été annulée par edith" in editor.get("/a-verifier").text
    refused = editor.post("/corrections", data={**mark, "value": "yes", "csrf": token_of(html)})
    assert refused.status_code == 303 and "Correction refusée" in editor.get("/a-verifier").text
