"""A real, throw-away Dovecot IMAP server for the tests and the benchmarks.

Why a real server and not a mock: the collector's hard parts are exactly the
things a mock gets wrong -- UIDVALIDITY changes, INTERNALDATE, IDLE push,
connections dropped by a server that restarts in the middle of a batch, TLS
certificate checks, several clients at once.  Dovecot is small, starts in
about a tenth of a second and can run as many private instances as we like.
The tests share one server per session (per xdist worker) and each gets a
user of its own, so an empty mailbox (``add_user`` + ``as_user``); a test
that stops or restarts the server gets a server of its own.

Usage::

    with DovecotServer(tmp_path / "imap") as server:
        uid = server.append_eml(raw_bytes)
        with server.client() as imap:
            imap.select_folder("INBOX")
        mailbox = server.as_user(server.add_user())  # same server, an empty mailbox

Everything an instance needs lives under its ``root`` directory:

    root/dovecot.conf   generated configuration       root/passwd   users, {PLAIN}
    root/dovecot.log    Dovecot's log (``log_file``)  root/run      base_dir (sockets, pid)
    root/state          state_dir                     root/tls      throw-away CA + cert
    root/mail           maildirs, owned by 65534:65534

Two details that are not obvious:

* Dovecot refuses to open mail as root, so the users get uid/gid 65534
  (nobody/nogroup).  Pytest's ``tmp_path`` sits under ``0700`` root-owned
  directories that such a user cannot walk through, so each user's home is
  written as ``root/mail/./<user>``: Dovecot chroots into ``root/mail``
  (as root, before dropping privileges) and never needs to cross the parents.
  For the same reason the auth process runs as root (it reads ``root/passwd``).
* A Unix socket path is limited to 108 bytes and Dovecot resolves symbolic
  links in base_dir.  When ``root`` is too deep for that, and only then, the
  base_dir (sockets and master.pid, nothing else) goes to a short directory
  ``$TMPDIR/dovecot-<hash of root>``, removed by ``stop()``.

Test-friendly settings: ``mail_fsync = never`` (fast appends), no delay after
a failed login, 50 connections per user and IP, IDLE as shipped (Dovecot
announces a new message about 0.5 s after it arrives).  Costs measured here:
start 0.05-0.25 s, stop and restart 1.0-1.2 s (a fixed 1 s pause in Dovecot's
shutdown), ``append_many`` about 1,200 messages/s.

This module does not import pytest: ``bench/`` scripts use it too.
Dovecot comes from the Debian package ``dovecot-imapd`` (``make test``
installs it); the instance must be started by root.
"""

from __future__ import annotations

import atexit
import copy
import email.parser
import email.policy
import email.utils
import hashlib
import ipaddress
import itertools
import math
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import imapclient

__all__ = [
    "DovecotError",
    "DovecotNotInstalled",
    "DovecotServer",
    "free_port",
    "generate_certificates",
    "received_timestamp",
]

HOST = "127.0.0.1"
DEFAULT_USER = "anct"
MAIL_UID = MAIL_GID = 65534  # nobody:nogroup -- Dovecot refuses uid 0 for mail access
START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
_APPEND_BATCH = 200  # messages per MULTIAPPEND command
_USER_STOCK = 32  # users added at once by fresh_user()
_MAX_BASE_DIR = 80  # 108-byte sun_path minus the longest socket name Dovecot creates

_INSTALL_HINT = (
    "Dovecot is not installed (no `dovecot` in PATH or /usr/sbin). "
    "Run `make test`, which installs the Debian package dovecot-imapd, "
    "or `apt-get install dovecot-imapd`."
)


class DovecotError(RuntimeError):
    """Dovecot did not start, stop or answer as expected."""


class DovecotNotInstalled(DovecotError):
    """The dovecot binary is missing on this machine."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Dovecot does
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise DovecotNotInstalled(_INSTALL_HINT)
    return path


def received_timestamp(raw: bytes) -> datetime | None:
    """Date of the topmost ``Received:`` header (the last hop), timezone-aware.

    The date is what follows the last ``;`` of the header.  Returns None when
    there is no Received header or its date cannot be parsed.
    """
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    received = headers.get_all("Received") or []
    if not received:
        return None
    value = " ".join(str(received[0]).split())  # unfold
    if ";" not in value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.rsplit(";", 1)[1].strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": time is UTC, source zone unknown (RFC 5322)
        when = when.replace(tzinfo=UTC)
    return when


def generate_certificates(
    directory: Path, hostnames: Iterable[str] = ("localhost", HOST)
) -> tuple[Path, Path, Path]:
    """Write a fresh self-signed CA and a server certificate signed by it.

    Returns ``(ca_file, cert_file, key_file)`` (PEM).  Every call makes a new
    CA, so a second call gives a CA that must *not* validate the first server.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(days=30)

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=sign, crl_sign=sign,
            encipher_only=False, decipher_only=False,
        )  # fmt: skip

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"bilan test CA {secrets.token_hex(4)}")]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    names: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    ca_file, cert_file = directory / "ca.pem", directory / "server.pem"
    key_file = directory / "server.key"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def _as_bytes(response: object) -> bytes:
    """The text of an imapclient response, whatever its nesting (bytes, tuple, list)."""
    if isinstance(response, bytes):
        return response
    if isinstance(response, str):
        return response.encode()
    if isinstance(response, (tuple, list)):
        return b" ".join(_as_bytes(part) for part in response)
    return b""


def _expand_uid_set(text: bytes) -> list[int]:
    """b"3,5:7" -> [3, 5, 6, 7] (an RFC 4315 uid-set as found in APPENDUID)."""
    uids: list[int] = []
    for part in text.split(b","):
        first, _, last = part.partition(b":")
        low, high = sorted((int(first), int(last or first)))
        uids.extend(range(low, high + 1))
    return uids


def _random_user() -> str:
    return f"user-{secrets.token_hex(6)}"


def _check_user(name: str, password: str) -> None:
    """Refuse what the passwd file cannot hold (a ``:`` or a space would shift its fields)."""
    if not re.fullmatch(r"[A-Za-z0-9._@+-]+", name) or re.search(r"[:\s]", password):
        raise ValueError(f"unsupported user name or password for {name!r}")


def _alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (nobody may reap daemons here)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


_RUNNING: set[DovecotServer] = set()  # strong refs: a forgotten server is still stopped


@atexit.register
def _stop_all() -> None:
    """Do not leave daemons behind when a benchmark or test run ends abruptly."""
    for server in list(_RUNNING):
        try:
            server.stop()
        except Exception:  # noqa: BLE001 -- best effort at interpreter exit
            pass


class DovecotServer:
    """One private Dovecot instance under ``root`` (see the module docstring)."""

    host = HOST

    def __init__(
        self,
        root: Path,
        *,
        tls: bool = False,
        users: dict[str, str] | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.root = Path(root).absolute()
        self.tls = tls
        self.users = dict(users) if users else {DEFAULT_USER: secrets.token_urlsafe(12)}
        for name, password in self.users.items():
            _check_user(name, password)
        self.start_timeout = start_timeout
        self._port: int | None = None
        self._tls_port: int | None = None
        self._ca_file: Path | None = None
        self._cert_file: Path | None = None
        self._key_file: Path | None = None
        self._pid: int | None = None
        self._default_user: str | None = None  # set on the views made by as_user()
        self._shared = False
        self._stock: list[str] = []  # users added ahead for fresh_user()

    # -- paths and properties ------------------------------------------------

    @property
    def conf_file(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_file(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def mail_root(self) -> Path:
        return self.root / "mail"

    @property
    def _run_dir(self) -> Path:
        """base_dir: root/run unless that is too long for Unix socket paths."""
        run = self.root / "run"
        if len(str(run)) <= _MAX_BASE_DIR:
            return run
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dovecot-{digest}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise DovecotError("the server has not been started yet")
        return self._port

    @property
    def tls_port(self) -> int:
        if self._tls_port is None:
            raise DovecotError("no imaps port: create the server with tls=True and start it")
        return self._tls_port

    @property
    def ca_file(self) -> Path:
        if self._ca_file is None:
            raise DovecotError("no CA file: create the server with tls=True and start it")
        return self._ca_file

    @property
    def user(self) -> str:
        """The user the helpers act for: the first one, or the one of an ``as_user`` view."""
        return self._default_user or next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.user]

    @property
    def pid(self) -> int | None:
        """PID of the Dovecot master process while it runs."""
        return self._pid if self._pid is not None and _alive(self._pid) else None

    @property
    def running(self) -> bool:
        return self.pid is not None

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this server's throw-away CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in (self.log_file, self.root / "dovecot.stderr"):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.extend(text)
        return "\n".join(parts) or "(empty log)"

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.running else "stopped"
        return f"<DovecotServer {self.root} {state}>"

    # -- users ------------------------------------------------------------------

    def add_users(self, users: dict[str, str]) -> None:
        """Add users with empty mailboxes; return once the server, if running, accepts them.

        Dovecot's passwd-file driver re-reads the file when its size or mtime
        changes, but looks at it at most once a second (of the clock): a login
        in the same second as the previous one may not see a new user yet,
        hence the wait for the next second.  Polling with failed logins instead
        would earn 127.0.0.1 Dovecot's auth penalty (seconds of delay for
        every later login, whatever the user).
        """
        for user, password in users.items():
            _check_user(user, password)
            if user in self.users:
                raise ValueError(f"user {user!r} already exists")
        self.users.update(users)
        if not self.mail_root.is_dir():
            return  # _prepare_files() writes them at start
        for user in users:
            self._write_home(user)
        self._write_passwd()
        if self.running and users:
            time.sleep(math.floor(time.time()) + 1.01 - time.time())
            self._wait_for_login(list(users)[-1])

    def add_user(self, user: str | None = None, password: str | None = None) -> str:
        """Add one user (a random name and password by default) and return its name."""
        user = user or _random_user()
        self.add_users({user: password or secrets.token_urlsafe(12)})
        return user

    def fresh_user(self) -> str:
        """A user nobody has logged in as yet, so an empty mailbox, at once.

        Taken from a stock added ahead, ``_USER_STOCK`` at a time: adding users
        one by one could cost up to a second each (see ``add_users``).
        """
        if not self._stock:
            stock = {_random_user(): secrets.token_urlsafe(12) for _ in range(_USER_STOCK)}
            self.add_users(stock)
            self._stock = list(stock)
        return self._stock.pop(0)

    def as_user(self, user: str) -> DovecotServer:
        """This running server seen as ``user``: ``user``, ``password``, ``client()``,
        the ``append_*`` helpers and ``recreate_folder`` act on that user's mailbox.

        The view shares the server, so it refuses to start, stop or restart it
        (a test that needs that starts a server of its own).
        """
        if user not in self.users:
            raise ValueError(f"no user {user!r} on {self!r}")
        view = copy.copy(self)
        view._default_user = user
        view._shared = True
        return view

    # -- life cycle -------------------------------------------------------------

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Write the configuration, start Dovecot and wait until LOGIN works.

        The ports are chosen at the first start and kept afterwards, so that
        a restart serves the same mailboxes on the same port.
        """
        self._refuse_if_shared("start")
        if self.running:
            return
        dovecot = _binary("dovecot")
        if os.geteuid() != 0:
            raise DovecotError("DovecotServer must run as root (it chowns and chroots mail/)")
        self._kill_leftover()
        self._prepare_files()

        stderr = self.root / "dovecot.stderr"
        with stderr.open("wb") as err:  # not a pipe: the daemon would keep it open
            proc = subprocess.run(
                [dovecot, "-c", str(self.conf_file)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err, timeout=30,
            )  # fmt: skip
        if proc.returncode != 0:
            raise DovecotError(
                f"`dovecot -c {self.conf_file}` exited with {proc.returncode}:\n{self.log_tail()}"
            )
        self._pid = self._read_pid()
        _RUNNING.add(self)
        self._wait_ready()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop Dovecot like ``dovecot -c CONF stop`` and wait until all its processes are gone.

        ``dovecot stop`` only sends SIGTERM to the master and polls its pid; in a
        container whose init does not reap, the dead master stays a zombie and
        the command waits for its full timeout, so the signal is sent from here.
        Dovecot 2.3 also leaves established IMAP sessions running after its
        master exits: they are terminated too (clients get ``* BYE``), as a
        test that stops the server mid-batch expects.  Takes about 1 s (a fixed
        pause in Dovecot's shutdown).
        """
        self._refuse_if_shared("stop")
        _RUNNING.discard(self)
        pid, self._pid = self.pid, None
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            self._terminate(self._instance_pids(kinds=("imap",)))
            if not _wait_gone(pid, timeout):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        self._terminate(self._instance_pids(), grace=1.0)  # log, stats... once idle
        if self._run_dir != self.root / "run":
            shutil.rmtree(self._run_dir, ignore_errors=True)

    def restart(self) -> None:
        """Stop, then start again on the same port with the same mailboxes."""
        self.stop()
        deadline = time.monotonic() + 10
        ports = [p for p in (self._port, self._tls_port) if p]
        while not all(_port_is_free(p) for p in ports):
            if time.monotonic() > deadline:
                raise DovecotError(f"port(s) {ports} still busy after stopping Dovecot")
            time.sleep(0.05)
        self.start()

    # -- IMAP helpers -----------------------------------------------------------

    def client(self, user: str | None = None, *, timeout: float = 10.0) -> imapclient.IMAPClient:
        """A logged-in IMAPClient (plain on ``port``, or TLS on ``tls_port`` when tls=True)."""
        user = user or self.user
        if self.tls:
            imap = imapclient.IMAPClient(
                self.host, port=self.tls_port, ssl=True,
                ssl_context=self.ssl_context(), timeout=timeout,
            )  # fmt: skip
        else:
            imap = imapclient.IMAPClient(self.host, port=self.port, ssl=False, timeout=timeout)
        try:
            imap.login(user, self.users[user])
        except BaseException:
            imap.shutdown()
            raise
        return imap

    def append_eml(
        self, raw: bytes, folder: str = "INBOX", received_at: datetime | None = None
    ) -> int:
        """APPEND one message and return its UID.

        INTERNALDATE is ``received_at``, else the date of the topmost
        ``Received:`` header, else now.
        """
        with self.client() as imap:
            self._ensure_folder(imap, folder)
            return self._append(imap, raw, folder, received_at)

    def append_many(
        self, paths_or_bytes: Iterable[Path | str | bytes], folder: str = "INBOX"
    ) -> list[int]:
        """APPEND several messages (raw bytes or .eml paths) over one connection.

        Each gets the INTERNALDATE of its topmost ``Received:`` header.  Uses
        MULTIAPPEND by batches (about 4x faster than one APPEND per message).
        """
        raws = (item if isinstance(item, bytes) else Path(item).read_bytes()
                for item in paths_or_bytes)  # fmt: skip
        uids: list[int] = []
        with self.client() as imap:
            self._ensure_folder(imap, folder)
            if not imap.has_capability("MULTIAPPEND"):
                return [self._append(imap, raw, folder, None) for raw in raws]
            while batch := list(itertools.islice(raws, _APPEND_BATCH)):
                uids.extend(self._multiappend(imap, batch, folder))
        return uids

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as imap:
            return int(imap.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str) -> int:
        """Delete and recreate ``folder`` (empty, new UIDVALIDITY); return the new UIDVALIDITY.

        IMAP cannot delete INBOX: INBOX is emptied instead and its UIDVALIDITY
        raised with ``doveadm mailbox update`` (its UIDNEXT is not reset).
        """
        with self.client() as imap:
            if folder.upper() != "INBOX":
                if imap.folder_exists(folder):
                    imap.delete_folder(folder)
                imap.create_folder(folder)
                return int(imap.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])
            imap.select_folder("INBOX")
            uids = imap.search("ALL")
            if uids:
                imap.delete_messages(uids)
                imap.expunge()
            imap.unselect_folder()
            old = int(imap.folder_status("INBOX", [b"UIDVALIDITY"])[b"UIDVALIDITY"])
        doveadm = [_binary("doveadm"), "-c", str(self.conf_file), "mailbox", "update"]
        subprocess.run(
            [*doveadm, "-u", self.user, "--uid-validity", str(old + 1), "INBOX"],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        return self.uidvalidity("INBOX")

    # -- internals --------------------------------------------------------------

    @staticmethod
    def _ensure_folder(imap: imapclient.IMAPClient, folder: str) -> None:
        if folder.upper() != "INBOX" and not imap.folder_exists(folder):
            imap.create_folder(folder)

    @staticmethod
    def _append(
        imap: imapclient.IMAPClient, raw: bytes, folder: str, received_at: datetime | None
    ) -> int:
        when = received_at or received_timestamp(raw) or datetime.now(UTC)
        if when.tzinfo is None:
            when = when.astimezone()  # naive means local time, as in imapclient
        response = imap.append(folder, raw, msg_time=when)
        match = re.search(rb"\[APPENDUID \d+ (\d+)\]", _as_bytes(response))
        if match:
            return int(match.group(1))
        imap.select_folder(folder, readonly=True)  # no UIDPLUS: the newest UID is ours
        uid = max(imap.search("ALL"))
        imap.unselect_folder()
        return uid

    @staticmethod
    def _multiappend(imap: imapclient.IMAPClient, raws: list[bytes], folder: str) -> list[int]:
        uidnext = imap.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"]
        now = datetime.now(UTC)
        response = imap.multiappend(
            folder, [{"msg": raw, "date": received_timestamp(raw) or now} for raw in raws]
        )
        match = re.search(rb"\[APPENDUID \d+ ([\d:,]+)\]", _as_bytes(response))
        uids = _expand_uid_set(match.group(1)) if match else []
        if len(uids) == len(raws):
            return uids
        imap.select_folder(folder, readonly=True)  # no UIDPLUS: the new UIDs are ours
        uids = sorted(imap.search(["UID", f"{uidnext}:*"]))
        imap.unselect_folder()
        return uids

    def _prepare_files(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for path in (self._run_dir, self.root / "state"):
            path.mkdir(mode=0o755, exist_ok=True)
        # mail root: the chroot of the imap processes; tmp/ is mail_temp_dir inside it
        for path in (self.mail_root, self.mail_root / "tmp"):
            path.mkdir(exist_ok=True)
            os.chown(path, MAIL_UID, MAIL_GID)
        (self.mail_root / "tmp").chmod(0o1777)
        for user in self.users:
            self._write_home(user)

        if self._port is None:
            self._port = free_port()
        ssl_lines = "ssl = no"
        if self.tls:
            if self._tls_port is None:
                self._tls_port = free_port()
                while self._tls_port == self._port:
                    self._tls_port = free_port()
            if self._ca_file is None:
                self._ca_file, self._cert_file, self._key_file = generate_certificates(
                    self.root / "tls"
                )
            ssl_lines = "\n".join(
                [
                    # STARTTLS on `port`, implicit TLS on `tls_port`.  Dovecot counts
                    # 127.0.0.1 -> 127.0.0.1 as a secure link, so a cleartext LOGIN
                    # is still accepted on `port`: only the client can insist on TLS.
                    "ssl = required",
                    f"ssl_cert = <{self._cert_file}",
                    f"ssl_key = <{self._key_file}",
                    "ssl_min_protocol = TLSv1.2",
                ]
            )

        passwd = self._write_passwd()

        self.conf_file.write_text(
            f"""\
# Generated by tests/dovecot.py -- a private test instance, not a system service.
instance_name = {self.instance_name}
base_dir = {self._run_dir}
state_dir = {self.root / "state"}
log_path = {self.log_file}
protocols = imap
listen = {HOST}
{ssl_lines}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
mail_location = maildir:~/Maildir
valid_chroot_dirs = {self.mail_root}
mail_temp_dir = /tmp
mail_fsync = never
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service imap-login {{
  inet_listener imap {{
    port = {self._port}
  }}
  inet_listener imaps {{
    port = {self._tls_port or 0}
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""
        )

    def _write_home(self, user: str) -> None:
        home = self.mail_root / user
        home.mkdir(exist_ok=True)
        os.chown(home, MAIL_UID, MAIL_GID)

    def _write_passwd(self) -> Path:
        """Write every user to ``root/passwd`` at once (a rename: auth never reads half a file)."""
        passwd = self.root / "passwd"
        draft = passwd.with_name("passwd.new")
        draft.write_text(
            "".join(
                # user:{PLAIN}password:uid:gid:gecos:home:shell -- "/./" marks the chroot
                f"{user}:{{PLAIN}}{password}:{MAIL_UID}:{MAIL_GID}::{self.mail_root}/./{user}::\n"
                for user, password in self.users.items()
            )
        )
        draft.chmod(0o600)
        draft.replace(passwd)
        return passwd

    def _refuse_if_shared(self, action: str) -> None:
        if self._shared:
            raise DovecotError(
                f"cannot {action} {self!r}: it is shared by other tests "
                "(use a DovecotServer of your own, e.g. the `own_dovecot` marker)"
            )

    def _read_pid(self) -> int:
        """The daemon writes master.pid just after forking: wait for it."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                return int((self._run_dir / "master.pid").read_text().strip())
            except (FileNotFoundError, ValueError):
                time.sleep(0.01)
        self._terminate(self._instance_pids())
        raise DovecotError(f"Dovecot wrote no master.pid:\n{self.log_tail()}")

    @property
    def instance_name(self) -> str:
        """Dovecot's instance_name: its processes are titled ``dovecot-<name>/<service>``."""
        return "bilan-" + hashlib.sha1(str(self.root).encode()).hexdigest()[:10]

    def _instance_pids(self, kinds: Iterable[str] | None = None) -> list[int]:
        """Live child processes of this instance (found by process title, even orphaned)."""
        prefix = f"dovecot-{self.instance_name}/".encode()
        wanted = None if kinds is None else {prefix + k.encode() for k in kinds}
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0].strip()
            except OSError:
                continue
            if title.startswith(prefix) and (wanted is None or title.split()[0] in wanted):
                if _alive(int(entry.name)):
                    pids.append(int(entry.name))
        return pids

    @staticmethod
    def _terminate(pids: list[int], grace: float = 0.0) -> None:
        """Wait ``grace`` s for ``pids`` to exit by themselves, then SIGTERM, then SIGKILL."""
        for sig, wait in ((None, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            pids = [pid for pid in pids if _alive(pid)]
            if not pids:
                return
            for pid in pids if sig is not None else ():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
                time.sleep(0.02)

    def _kill_leftover(self) -> None:
        """Stop an instance left running under this root by an earlier, crashed run."""
        pid_file = self._run_dir / "master.pid"
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            pid, cmdline = 0, b""
        if pid and _alive(pid) and str(self.conf_file).encode() in cmdline:
            os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, STOP_TIMEOUT):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        self._terminate(self._instance_pids())
        pid_file.unlink(missing_ok=True)

    def _wait_ready(self) -> None:
        """Poll a real LOGIN: the port accepts connections before auth is ready."""
        try:
            self._wait_for_login(self.user)
        except DovecotError:
            self.stop()
            raise

    def _wait_for_login(self, user: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise DovecotError(f"Dovecot exited:\n{self.log_tail()}")
            try:
                self.client(user, timeout=2).logout()
                return
            except (OSError, imapclient.exceptions.IMAPClientError) as exc:
                last_error = exc
                time.sleep(0.05)
        raise DovecotError(
            f"Dovecot under {self.root} did not accept LOGIN as {user} within "
            f"{self.start_timeout} s (last error: {last_error!r}). Log tail:\n{self.log_tail()}"
        )
