"""Secure connections against a real Dovecot with a throw-away CA: IMAPS and
STARTTLS verified by default, a wrong CA refused with a clear error, plain
IMAP only on loopback, XOAUTH2, secrets from a Prefect block, and no secret
in any log or error."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.mailbox.errors import (
    ImapError,
    ImapLoginFailed,
    InsecureConnectionRefused,
    TlsVerificationFailed,
)
from bilan.mailbox.imap import Credential, ImapAccount, ImapSource, connect
from tests.dovecot import DovecotServer, generate_certificates
from tests.mail import numbered_messages


@pytest.fixture(scope="module")
def tls_dovecot_server(tmp_path_factory):
    with DovecotServer(tmp_path_factory.mktemp("dovecot-tls"), tls=True) as server:
        yield server


@pytest.fixture
def tls_dovecot(tls_dovecot_server):
    """A fresh account (an empty mailbox) on the module's TLS server."""
    return tls_dovecot_server.as_user(tls_dovecot_server.fresh_user())


def account(server: DovecotServer, **overrides) -> ImapAccount:
    values = dict(
        host=server.host, port=server.tls_port, user=server.user, credential=Credential(server.password),
        security="ssl", ca_file=server.ca_file,
    )  # fmt: skip
    values.update(overrides)
    return ImapAccount(**values)


def test_imaps_with_the_right_ca_works(tls_dovecot):
    tls_dovecot.append_many(numbered_messages(1, "imaps"))
    with ImapSource(account(tls_dovecot)) as source:
        assert source.client.ssl
        assert len(source.uids_after(0)) == 1


def test_starttls_with_the_right_ca_works(tls_dovecot):
    with ImapSource(account(tls_dovecot, port=tls_dovecot.port, security="starttls")) as source:
        assert source.client._starttls_done
        assert source.uids_after(0) == []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_wrong_ca_is_refused_with_a_clear_error(tls_dovecot, tmp_path, security):
    other_ca, _, _ = generate_certificates(tmp_path / "other-ca")
    port = tls_dovecot.tls_port if security == "ssl" else tls_dovecot.port
    with pytest.raises(TlsVerificationFailed) as refused:
        connect(account(tls_dovecot, port=port, security=security, ca_file=other_ca))
    message = str(refused.value)
    assert f"127.0.0.1:{port}" in message and "certificate" in message and str(other_ca) in message
    assert tls_dovecot.password not in message


def test_without_a_ca_file_a_self_signed_server_is_refused(tls_dovecot):
    with pytest.raises(TlsVerificationFailed, match="BILAN_IMAP_CA_FILE"):
        connect(account(tls_dovecot, ca_file=None))


def test_plain_imap_is_refused_off_loopback_before_connecting():
    remote = ImapAccount(host="imap.example.org", port=143, user="anct", credential=Credential("pw"), security="plain")
    with pytest.raises(InsecureConnectionRefused, match="BILAN_IMAP_ALLOW_PLAINTEXT"):
        connect(remote)


def test_plain_imap_on_loopback_is_allowed(tls_dovecot):
    """Dovecot accepts it from 127.0.0.1 even with `ssl = required`: the client's policy decides."""
    with ImapSource(account(tls_dovecot, port=tls_dovecot.port, security="plain", ca_file=None)) as source:
        assert not source.client.ssl


def test_starttls_asked_of_a_server_without_it_is_an_error(dovecot):
    plain_only = ImapAccount(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, credential=Credential(dovecot.password),
        security="starttls",
    )  # fmt: skip
    with pytest.raises(ImapError, match="does not offer STARTTLS"):
        connect(plain_only)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the connection, not the database
def test_a_wrong_ca_stops_the_cli_with_the_message_and_no_traceback(tls_dovecot, tmp_path, settings_env, monkeypatch):
    other_ca, _, _ = generate_certificates(tmp_path / "other-ca")
    _imap_settings(monkeypatch, tls_dovecot, BILAN_IMAP_CA_FILE=str(other_ca))
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "certificate" in result.output and "Traceback" not in result.output
    _imap_settings(monkeypatch, tls_dovecot)
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output


def _imap_settings(monkeypatch, server: DovecotServer, **extra: str) -> None:
    values = {
        "BILAN_IMAP_HOST": server.host, "BILAN_IMAP_PORT": str(server.tls_port), "BILAN_IMAP_USER": server.user,
        "BILAN_IMAP_PASSWORD": server.password, "BILAN_IMAP_SSL": "true", "BILAN_IMAP_CA_FILE": str(server.ca_file),
    }  # fmt: skip
    for name, value in {**values, **extra}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the connection, not the database
def test_the_password_never_appears_in_logs_or_errors(tls_dovecot, settings_env, monkeypatch, caplog):
    """Debug logs include the IMAP protocol: LOGIN must be redacted there, and
    a refused login must not echo what was tried."""
    wrong = "Wr0ng-Secret-Value"
    _imap_settings(monkeypatch, tls_dovecot, BILAN_IMAP_PASSWORD=wrong)
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(app, ["-v", "ingest"])
    assert result.exit_code == 1
    assert "refused the login" in result.output
    assert wrong not in result.output + caplog.text

    caplog.clear()
    _imap_settings(monkeypatch, tls_dovecot)
    tls_dovecot.append_many(numbered_messages(1, "secret"))
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(app, ["-v", "ingest"])
    assert result.exit_code == 0, result.output
    assert "LOGIN" in caplog.text  # the protocol log is there...
    assert tls_dovecot.password not in result.output + caplog.text  # ...without the password
    from bilan.settings import get_settings

    assert tls_dovecot.password not in repr(get_settings()) + repr(account(tls_dovecot))


def test_a_refused_login_says_so(dovecot):
    wrong = ImapAccount(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, credential=Credential("not-it"), security="plain"
    )
    with pytest.raises(ImapLoginFailed, match=f"refused the login of '{dovecot.user}'"):
        connect(wrong)


def test_the_password_can_come_from_a_prefect_secret_block(prefect_server, dovecot):
    from prefect.blocks.system import Secret

    Secret(value=dovecot.password).save("bilan-test-imap-password", overwrite=True)
    from_block = ImapAccount(
        host=dovecot.host, port=dovecot.port, user=dovecot.user, security="plain",
        credential=Credential(block="bilan-test-imap-password"),
    )  # fmt: skip
    with ImapSource(from_block) as source:
        assert source.uidvalidity


# -- XOAUTH2 ------------------------------------------------------------------


class OAuth2Dovecot(DovecotServer):
    """Dovecot that also accepts XOAUTH2, checking tokens with an
    introspection endpoint (RFC 7662) served by the test."""

    def __init__(self, root, introspection_url: str):
        super().__init__(root)
        self.introspection_url = introspection_url

    def _prepare_files(self) -> None:
        super()._prepare_files()
        oauth2 = self.root / "oauth2.conf.ext"
        oauth2.write_text(
            f"introspection_url = {self.introspection_url}\nintrospection_mode = post\nforce_introspection = yes\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        conf = self.conf_file.read_text()
        conf = conf.replace("auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2")
        conf = conf.replace(
            "passdb {\n  driver = passwd-file",
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {oauth2}\n}}\n"
            "passdb {\n  driver = passwd-file\n  mechanisms = plain login",
        )
        self.conf_file.write_text(conf)


class Introspection(BaseHTTPRequestHandler):
    valid: dict[str, str] = {}

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        token = parse_qs(body).get("token", [""])[0]
        user = self.valid.get(token)
        answer = {"active": "true", "username": user} if user else {"active": "false"}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def oauth2_dovecot(tmp_path):
    http = HTTPServer(("127.0.0.1", 0), Introspection)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    server = OAuth2Dovecot(tmp_path / "dovecot-oauth2", f"http://127.0.0.1:{http.server_port}/introspect")
    try:
        server.start()
        Introspection.valid = {"ya29.test-access-token": server.user}
        yield server
    finally:
        server.stop()
        http.shutdown()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the connection, not the database
def test_xoauth2_login_with_a_token_from_the_environment(oauth2_dovecot, settings_env, monkeypatch):
    for name, value in {
        "BILAN_IMAP_HOST": oauth2_dovecot.host, "BILAN_IMAP_PORT": str(oauth2_dovecot.port),
        "BILAN_IMAP_USER": oauth2_dovecot.user, "BILAN_IMAP_SSL": "false", "BILAN_IMAP_AUTH": "xoauth2",
        "BILAN_IMAP_OAUTH2_TOKEN": "ya29.test-access-token",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    oauth2_dovecot.append_many(numbered_messages(1, "oauth"))
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output

    monkeypatch.setenv("BILAN_IMAP_OAUTH2_TOKEN", "ya29.expired")
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 1 and "refused the login" in result.output
    assert "ya29.expired" not in result.output
