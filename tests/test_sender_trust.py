"""Trust recorded, never assumed: the receiving server's DKIM, SPF, DMARC and
ARC verdicts are kept on the message (SQLite and PostgreSQL); a contribution
whose sender fails them, or writes from a domain that is not the
department's, still counts but is flagged for review with the reason, and
shown as such in `status`, the views and the dashboard."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dashboard import build_report
from bilan.parsers.authentication import parse_authentication_results, read_authentication
from bilan.storage.models import Message
from bilan.storage.status import department_statuses
from tests.loading import load_raw
from tests.mail import message

RECEIVED = dt.datetime(2021, 12, 8, 10, tzinfo=dt.UTC)
FAILING = (
    "mx.anct.gouv.fr; dkim=fail (signature did not verify) header.d=herault.gouv.fr; "
    "spf=fail smtp.mailfrom=herault.gouv.fr; dmarc=fail (p=reject) header.from=herault.gouv.fr"
)
PASSING = (
    "mx.anct.gouv.fr; dkim=pass header.d=herault.gouv.fr; spf=pass smtp.mailfrom=herault.gouv.fr; "
    "dmarc=pass header.from=herault.gouv.fr"
)
BODY = (
    "Madame, Monsieur,\n\nVeuillez trouver la contribution de la préfecture de l'Hérault au bilan des "
    "démarches participatives (modalité 3).\n\nClaire Fontanel\nPréfecture de l'Hérault\n"
)


def _contribution(authentication: str | None, sender: str = "Claire Fontanel <claire.fontanel@herault.gouv.fr>") -> bytes:
    mail = message(
        subject="Contribution de l'Hérault (34) - bilan des démarches participatives",
        sender=sender, body=BODY, received=RECEIVED, message_id=f"<{abs(hash((authentication, sender)))}@test>",
    )
    raw = mail.as_bytes()
    if authentication is None:
        return raw
    # The receiving server writes its verdicts on top, as it does the Received header.
    return f"Authentication-Results: {authentication}\r\n".encode() + raw


def _message(warehouse, sha256: str) -> Message:
    with Session(warehouse.engine, expire_on_commit=False) as session:
        stored = session.scalar(select(Message).where(Message.sha256 == sha256))
        _ = stored.department_codes  # loaded while the session is open
        return stored


def test_the_verdicts_are_read_from_the_topmost_header_only():
    raw = (
        f"Authentication-Results: {FAILING}\r\nAuthentication-Results: sender.example; dkim=pass; dmarc=pass\r\n"
        "From: a@herault.gouv.fr\r\nSubject: x\r\n\r\nbody\r\n"
    ).encode()
    verdict = read_authentication(email.message_from_bytes(raw, policy=email.policy.default))
    assert (verdict.server, verdict.dkim, verdict.spf, verdict.dmarc) == ("mx.anct.gouv.fr", "fail", "fail", "fail")
    assert verdict.failures() == ["dkim=fail", "spf=fail", "dmarc=fail"]
    trusted = read_authentication(email.message_from_bytes(raw, policy=email.policy.default), ["sender.example"])
    assert trusted.dmarc == "pass"


def test_arc_vouches_for_forwarded_mail_and_an_unreadable_header_is_no_verdict():
    forwarded = parse_authentication_results(FAILING + "; arc=pass")
    assert forwarded.arc == "pass" and forwarded.failures() == []
    assert parse_authentication_results("garbage ;; = ") is None
    assert parse_authentication_results("mx.example; none").reported is False
    assert parse_authentication_results("mx.example; dkim=pass" + " x=y" * 5000) is None  # crafted: not read


def test_a_contribution_failing_authentication_is_counted_but_flagged(warehouse):
    sha256 = load_raw(warehouse, _contribution(FAILING))
    stored = _message(warehouse, sha256)
    assert (stored.auth_server, stored.dkim_result, stored.spf_result, stored.dmarc_result) == (
        "mx.anct.gouv.fr", "fail", "fail", "fail"
    )
    assert stored.kind == "contribution" and stored.department_codes == ["34"]
    assert stored.sender_check == "authentication_failed"
    assert stored.needs_review and "dkim=fail, spf=fail, dmarc=fail" in stored.review_reason
    herault = next(s for s in department_statuses(warehouse.engine, warehouse.campaign) if s.code == "34")
    assert herault.status == "on_time" and herault.contributions == 1 and herault.doubtful_senders == 1
    with warehouse.engine.connect() as connection:
        detail = connection.scalar(text("SELECT detail FROM review_queue WHERE message_id = :id"), {"id": stored.id})
        check = connection.scalar(text("SELECT sender_check FROM current_contribution WHERE message_id = :id"),
                                  {"id": stored.id})
    assert "sender not authenticated by mx.anct.gouv.fr" in detail
    assert check == "authentication_failed"


def test_a_contribution_that_passes_is_verified_and_not_flagged(warehouse):
    stored = _message(warehouse, load_raw(warehouse, _contribution(PASSING)))
    assert stored.dmarc_result == "pass" and stored.sender_check == "verified"
    assert not stored.needs_review or "sender" not in (stored.review_reason or "")


def test_a_contribution_from_another_domain_is_flagged_with_the_expected_ones(warehouse):
    stored = _message(warehouse, load_raw(warehouse, _contribution(None, "Claire Fontanel <c.fontanel@gmail.com>")))
    assert stored.department_codes == ["34"] and stored.dmarc_result is None
    assert stored.sender_check == "unexpected_domain" and stored.needs_review
    assert "sender domain gmail.com is not one of the department 34's" in stored.review_reason
    assert "herault.gouv.fr" in stored.review_reason


def test_status_and_dashboard_show_the_doubtful_sender(warehouse):
    load_raw(warehouse, _contribution(FAILING))
    result = CliRunner().invoke(app, ["status", "--status", "on_time"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "1 contribution(s) from a doubtful sender" in result.output
    html = build_report(warehouse)
    assert "expéditeur douteux" in html and "Hérault" in html


def test_with_trusted_servers_a_verdict_from_another_server_does_not_count(warehouse, monkeypatch):
    monkeypatch.setenv("BILAN_AUTH_SERVERS", "mx.other.example, mx2.other.example")
    stored = _message(warehouse, load_raw(warehouse, _contribution(FAILING)))
    assert stored.dmarc_result is None and stored.auth_server is None
    assert stored.sender_check == "expected_domain" and "not authenticated" not in (stored.review_reason or "")
    monkeypatch.setenv("BILAN_AUTH_SERVERS", "MX.anct.gouv.fr")
    stored = _message(warehouse, load_raw(warehouse, _contribution(FAILING, "C. Fontanel <cf@herault.gouv.fr>")))
    assert stored.dmarc_result == "fail" and stored.sender_check == "authentication_failed"
