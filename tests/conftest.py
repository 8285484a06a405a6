"""Shared fixtures: real databases (a SQLite file and a fresh PostgreSQL
database), a real IMAP server (Dovecot), one Prefect test server per session,
and the labelled corpus when it is there."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.postgres import drop_postgres_database, fresh_postgres_database

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "mailbox"
CORPUS = Path(os.environ.get("BILAN_CORPUS_DIR", REPO.parent / "shared" / "corpus" / "dev"))
POSTGRES_ADMIN_URL = os.environ.get("BILAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Extraction in the test process: a command run in process by a test would
# otherwise start workers that load the model again (seconds per test), and
# tests that replace the extractor (`monkeypatch`) must reach the process that
# runs it. The workers have their own tests (test_extraction_workers.py) and
# the crash test of test_exactly_once.py runs the command with them.
os.environ.setdefault("BILAN_EXTRACT_WORKERS", "0")


#: A test that uses one of these fixtures gets the marker, so that `-m "not corpus
#: and not postgres"` (make test-fast) leaves it out without a list kept by hand.
#: A temporary Prefect API takes about 10 s to start: the tests that need one
#: (commands run as flows) are slow; the same commands run in process in the lane.
MARKERS_OF_FIXTURES = {"corpus": "corpus", "postgres_admin_url": "postgres", "prefect_server": "slow"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group markers
def pytest_collection_modifyitems(config, items) -> None:
    """Mark the tests that read the corpus or need PostgreSQL by the fixtures they use
    (the "postgresql" case of `database_url` is marked by its param). Under
    pytest-xdist (`--dist loadgroup`), the tests that use the Prefect server go
    to one worker, so that one server starts instead of one per worker."""
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, marker in MARKERS_OF_FIXTURES.items():
            if fixture in fixtures:
                item.add_marker(marker)
        if xdist and "prefect_server" in fixtures:
            item.add_marker(pytest.mark.xdist_group("prefect"))


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect API for the whole session (starting one costs ~10 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "messages").is_dir():
        pytest.skip(f"labelled corpus not found at {CORPUS} (it lives in ../shared, outside a user's clone)")
    return CORPUS


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_available()
    if problem:
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {problem}"
        if os.environ.get("BILAN_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message + " (set BILAN_TEST_POSTGRES_URL; CI sets BILAN_REQUIRE_POSTGRES=1)")
    return POSTGRES_ADMIN_URL


@contextlib.contextmanager
def empty_database(kind: str, sqlite_path: Path, request) -> Iterator[str]:
    """The URL of an empty database: a SQLite file at `sqlite_path`, or a
    fresh PostgreSQL database, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    url, name = fresh_postgres_database(admin_url)
    try:
        yield url
    finally:
        drop_postgres_database(admin_url, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> Iterator[str]:
    """The same test on a SQLite file and on a fresh PostgreSQL database."""
    with empty_database(request.param, tmp_path / "warehouse.db", request) as url:
        yield url


@pytest.fixture
def alembic(database_url):
    """`alembic("upgrade", "0005")`: one Alembic command on the test database,
    tables only (views come with `storage.schema.migrate`); `alembic.engine`
    is the database's engine."""
    from alembic import command
    from alembic.config import Config

    from bilan.storage.db import get_engine
    from bilan.storage.schema import MIGRATIONS

    engine = get_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def run(action: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)

    run.engine = engine
    return run


@pytest.fixture
def settings_env(monkeypatch, tmp_path, database_url):
    """Point `bilan` at a fresh warehouse and archive through the environment,
    as a user would."""
    monkeypatch.setenv("BILAN_DATABASE_URL", database_url)
    monkeypatch.setenv("BILAN_ARCHIVE_DIR", str(tmp_path / "archive"))
    from bilan.settings import get_settings

    return get_settings()


@pytest.fixture
def warehouse(settings_env):
    from bilan.storage.warehouse import Warehouse

    return Warehouse.open(settings_env)


@pytest.fixture
def pipeline(settings_env):
    """The runtime a command builds (`Pipeline.open`) on the test's
    warehouse, with the process's default parser workers (started once for
    the session: a worker costs about a second to start)."""
    from bilan.parsers.pool import default_pool
    from bilan.pipeline import Pipeline

    with Pipeline.open(settings_env, pool=default_pool()) as pipeline:
        yield pipeline


@pytest.fixture(scope="session")
def dovecot_server(tmp_path_factory) -> Iterator:
    """One Dovecot for the session (for each xdist worker: each is a session):
    starting and stopping one per test cost about 1.3 s a test."""
    from tests.dovecot import DovecotServer

    with DovecotServer(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def dovecot(request, tmp_path) -> Iterator:
    """A Dovecot account with an empty mailbox: a fresh user of the session's
    server, or, for a test marked `own_dovecot` (it stops or restarts the
    server), a server of its own."""
    if request.node.get_closest_marker("own_dovecot") is None:
        server = request.getfixturevalue("dovecot_server")
        yield server.as_user(server.fresh_user())
        return
    from tests.dovecot import DovecotServer

    with DovecotServer(tmp_path / "dovecot") as server:
        yield server


@pytest.fixture
def imap_env(monkeypatch, dovecot):
    """Settings pointing at the test Dovecot (plain IMAP on loopback)."""
    monkeypatch.setenv("BILAN_IMAP_HOST", dovecot.host)
    monkeypatch.setenv("BILAN_IMAP_PORT", str(dovecot.port))
    monkeypatch.setenv("BILAN_IMAP_USER", dovecot.user)
    monkeypatch.setenv("BILAN_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv("BILAN_IMAP_SSL", "false")
    return dovecot


@pytest.fixture
def smtp_server(tmp_path) -> Iterator:
    """A real SMTP server on loopback (aiosmtpd) that requires STARTTLS and a login."""
    from tests.smtp import SmtpTestServer

    server = SmtpTestServer(tmp_path / "smtp")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_env(monkeypatch, smtp_server):
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    return smtp_server
