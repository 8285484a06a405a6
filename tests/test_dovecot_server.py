"""Tests of the test infrastructure: the private Dovecot server of tests/dovecot.py.

If Dovecot is missing these tests fail (they do not skip) with a message
that says to run `make test`, which installs the Debian package.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import imapclient
import pytest

try:  # `python -m pytest` from the repository root
    from tests import dovecot as harness
except ImportError:  # plain `pytest`: tests/ itself is on sys.path
    import dovecot as harness  # type: ignore[no-redef]

DovecotServer = harness.DovecotServer

PARIS = timezone(timedelta(hours=1))


def make_eml(subject: str, received: datetime | None) -> bytes:
    msg = EmailMessage()
    if received is not None:
        # the topmost Received (last hop) gives INTERNALDATE; it is long enough
        # to be folded on output, so the parser must unfold it
        msg["Received"] = (
            "from mx.example.org (mx.example.org [192.0.2.1]) by imap.anct.gouv.fr "
            f"(Postfix) with ESMTPS id 4Tq2LmZ0abcd for <contributions@anct.gouv.fr>; "
            f"{format_datetime(received)}"
        )
        earlier = format_datetime(received - timedelta(hours=5))
        msg["Received"] = f"from laptop by mx.example.org; {earlier}"  # older: ignored
    msg["From"] = "Mairie <contact@mairie.example.fr>"
    msg["To"] = "contributions@anct.gouv.fr"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2020, 1, 1, tzinfo=UTC))  # not INTERNALDATE
    msg.set_content(f"Corps du message {subject}.\n")
    return msg.as_bytes()


def internaldates(server: DovecotServer, folder: str = "INBOX") -> dict[int, datetime]:
    with server.client() as imap:
        imap.normalise_times = False  # keep the server's offset: aware datetimes
        imap.select_folder(folder, readonly=True)
        fetched = imap.fetch(imap.search("ALL"), ["INTERNALDATE"])
        return {uid: data[b"INTERNALDATE"] for uid, data in fetched.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with DovecotServer(tmp_path_factory.mktemp("imap")) as srv:
        yield srv


def test_start_and_stop(tmp_path):
    srv = DovecotServer(tmp_path / "imap")
    t0 = time.monotonic()
    srv.start()
    started = time.monotonic() - t0
    try:
        assert srv.running and srv.host == "127.0.0.1" and srv.user == "anct"
        with imapclient.IMAPClient(srv.host, port=srv.port, ssl=False, timeout=5) as imap:
            imap.login(srv.user, srv.password)
            assert b"IDLE" in imap.capabilities()
            assert imap.select_folder("INBOX")[b"EXISTS"] == 0
        with pytest.raises(imapclient.exceptions.LoginError):
            with imapclient.IMAPClient(srv.host, port=srv.port, ssl=False, timeout=5) as imap:
                imap.login(srv.user, "wrong password")
    finally:
        t0 = time.monotonic()
        srv.stop()
        stopped = time.monotonic() - t0
    assert not srv.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((srv.host, srv.port), timeout=2).close()
    print(f"start {started:.2f} s, stop {stopped:.2f} s")
    assert srv.log_file.exists()


def test_two_instances_side_by_side(server, tmp_path):
    users = {"alice": "secret-a", "bob": "secret-b"}
    with DovecotServer(tmp_path / "other", users=users) as other:
        assert other.port != server.port
        assert (other.user, other.password) == ("alice", "secret-a")
        other.append_eml(make_eml("only in other", None))
        with other.client("bob") as imap:
            assert imap.select_folder("INBOX")[b"EXISTS"] == 0
        with other.client() as imap:
            assert imap.select_folder("INBOX")[b"EXISTS"] == 1
        server.recreate_folder("Isolation")
        with server.client() as imap:
            assert imap.select_folder("Isolation")[b"EXISTS"] == 0


def test_a_user_added_while_running_logs_in_to_an_empty_mailbox_of_its_own(server):
    """The shared server of the test session rests on this: passwd-file is
    re-read when it changes, so a new user needs no restart."""
    server.append_eml(make_eml("pour le premier", None))
    pid = server.pid
    name = server.add_user()  # returns once the running server accepts it
    mailbox = server.as_user(name)
    assert (mailbox.user, mailbox.port, server.pid) == (name, server.port, pid)
    with mailbox.client() as imap:
        assert imap.select_folder("INBOX")[b"EXISTS"] == 0
    stocked = [server.fresh_user() for _ in range(harness._USER_STOCK + 1)]  # crosses a refill
    assert len(set(stocked)) == len(stocked) and name not in stocked
    for user in (stocked[0], stocked[-1]):
        with server.client(user) as imap:
            assert imap.select_folder("INBOX")[b"EXISTS"] == 0
    uid = mailbox.append_eml(make_eml("pour le nouveau", None))
    with mailbox.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        assert imap.search("ALL") == [uid]
    with server.client() as imap:  # the first user's mailbox is untouched
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search("ALL")) >= 1
    assert mailbox.recreate_folder("INBOX") != 0  # doveadm acts for the view's user
    with pytest.raises(imapclient.exceptions.LoginError):
        with imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=5) as imap:
            imap.login(name, "wrong password")
    with pytest.raises(harness.DovecotError, match="shared"):
        mailbox.restart()
    assert server.running


def test_append_sets_internaldate_from_received(server, tmp_path):
    server.recreate_folder("Dates")
    dates = [
        datetime(2024, 3, 4, 9, 15, 30, tzinfo=PARIS),
        datetime(2024, 7, 14, 23, 59, 59, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    ]
    eml = tmp_path / "third.eml"
    eml.write_bytes(make_eml("troisième", dates[2]))
    uids = server.append_many(
        [make_eml("premier", dates[0]), make_eml("deuxième", dates[1]), eml], folder="Dates"
    )
    assert len(uids) == 3 and uids == sorted(uids)

    explicit = datetime(2023, 12, 31, 12, 0, tzinfo=UTC)
    uid_explicit = server.append_eml(make_eml("explicite", dates[0]), "Dates", received_at=explicit)
    before = datetime.now(UTC).replace(microsecond=0)
    uid_now = server.append_eml(make_eml("sans Received", None), "Dates")

    got = internaldates(server, "Dates")
    assert [got[uid] for uid in uids] == dates
    # same instants; maildir keeps INTERNALDATE as a file mtime, so Dovecot
    # answers in its own time zone and the sender's offset is not preserved
    assert got[uid_explicit] == explicit
    assert before <= got[uid_now] <= datetime.now(UTC) + timedelta(seconds=1)


def test_append_many_in_batches(server):
    server.recreate_folder("Bulk")
    count = 2 * harness._APPEND_BATCH + 7  # crosses MULTIAPPEND batches
    uids = server.append_many((make_eml(f"lot {i}", None) for i in range(count)), "Bulk")
    assert uids == list(range(1, count + 1))  # a recreated folder starts at UID 1
    with server.client() as imap:
        imap.select_folder("Bulk", readonly=True)
        assert imap.search("ALL") == uids


def test_received_timestamp_parsing():
    when = datetime(2024, 3, 4, 9, 15, 30, tzinfo=PARIS)
    assert harness.received_timestamp(make_eml("x", when)) == when
    assert harness.received_timestamp(make_eml("x", None)) is None
    assert harness.received_timestamp(b"Received: from a by b; not a date\r\n\r\nx") is None
    naive = harness.received_timestamp(b"Received: by b; Mon, 4 Mar 2024 09:15:30 -0000\r\n\r\n")
    assert naive == datetime(2024, 3, 4, 9, 15, 30, tzinfo=UTC)


def test_recreate_folder_changes_uidvalidity(server):
    server.append_eml(make_eml("à effacer", None), folder="Archive")
    before = server.uidvalidity("Archive")
    after = server.recreate_folder("Archive")
    assert after != before and server.uidvalidity("Archive") == after
    with server.client() as imap:
        assert imap.select_folder("Archive")[b"EXISTS"] == 0

    server.append_eml(make_eml("boîte de réception", None))
    inbox_before = server.uidvalidity("INBOX")
    assert server.recreate_folder("INBOX") != inbox_before
    with server.client() as imap:
        assert imap.select_folder("INBOX")[b"EXISTS"] == 0


def test_idle_and_concurrent_clients(server):
    clients = [server.client() for _ in range(20)]  # mail_max_userip_connections is 50
    try:
        watcher = clients[0]
        watcher.select_folder("INBOX")
        watcher.idle()
        threading.Timer(0.2, server.append_eml, [make_eml("poussé", None)]).start()
        responses = watcher.idle_check(timeout=10)
        watcher.idle_done()
        assert any(r[1] == b"EXISTS" for r in responses if len(r) > 1), responses
        for imap in clients[1:]:
            assert imap.noop()
    finally:
        for imap in clients:
            imap.logout()


def test_restart_keeps_messages_and_port(tmp_path):
    with DovecotServer(tmp_path / "imap") as srv:
        port, uidvalidity = srv.port, srv.uidvalidity("INBOX")
        uids = srv.append_many([make_eml(f"message {i}", None) for i in range(3)])
        session = srv.client()
        session.select_folder("INBOX")
        t0 = time.monotonic()
        srv.restart()
        print(f"restart {time.monotonic() - t0:.2f} s")
        assert srv.port == port and srv.running
        # a session open across the restart is cut off, as with a real outage
        with pytest.raises((OSError, imapclient.exceptions.IMAPClientError)):
            session.noop()
        with srv.client() as imap:
            imap.select_folder("INBOX", readonly=True)
            assert imap.search("ALL") == uids
        assert srv.uidvalidity("INBOX") == uidvalidity


def test_tls(tmp_path):
    with DovecotServer(tmp_path / "imap", tls=True) as srv:
        assert srv.tls_port != srv.port and srv.ca_file.is_file()
        right = ssl.create_default_context(cafile=str(srv.ca_file))
        with imapclient.IMAPClient(
            srv.host, port=srv.tls_port, ssl=True, ssl_context=right, timeout=5
        ) as imap:
            imap.login(srv.user, srv.password)
            assert imap.select_folder("INBOX")[b"EXISTS"] == 0

        other_ca, _, _ = harness.generate_certificates(tmp_path / "other-ca")
        wrong = ssl.create_default_context(cafile=str(other_ca))
        with pytest.raises(ssl.SSLCertVerificationError):
            imapclient.IMAPClient(
                srv.host, port=srv.tls_port, ssl=True, ssl_context=wrong, timeout=5
            )

        with imapclient.IMAPClient(srv.host, port=srv.port, ssl=False, timeout=5) as imap:
            assert b"STARTTLS" in imap.capabilities()
            imap.starttls(ssl_context=right)
            imap.login(srv.user, srv.password)
            assert imap.noop()
        with imapclient.IMAPClient(srv.host, port=srv.port, ssl=False, timeout=5) as imap:
            with pytest.raises(ssl.SSLCertVerificationError):
                imap.starttls(ssl_context=wrong)

        # the helpers use implicit TLS with the server's own CA
        uid = srv.append_eml(make_eml("chiffré", None))
        with srv.client() as imap:
            imap.select_folder("INBOX", readonly=True)
            assert imap.search("ALL") == [uid]


def test_missing_dovecot_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(harness.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(harness.DovecotNotInstalled, match="make test"):
        DovecotServer(tmp_path / "imap").start()
