"""Engine, sessions and schema for SQLite and PostgreSQL alike.

SQLite is made safe for several processes: WAL journal, a busy timeout, and
every transaction opened with BEGIN IMMEDIATE so that writers queue up instead
of failing half-way with "database is locked".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from bilan.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"
#: Key of the PostgreSQL advisory lock taken while migrating.
_MIGRATION_LOCK = 0x62696C616E  # "bilan"


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per URL and process (engines hold the connection pool)."""
    if url.startswith("sqlite"):
        _ensure_parent_folder(url)
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def open_database(url: str) -> Engine:
    """The engine of `url`, connected and migrated to the latest schema; a
    URL that is not a database's, or a database that cannot be reached or
    written, raises `DatabaseUnavailable` with what to do."""
    try:
        engine = get_engine(url)
        upgrade_schema(engine)
    except (exc.ArgumentError, exc.NoSuchModuleError, exc.OperationalError, exc.InterfaceError, OSError) as error:
        get_engine.cache_clear()
        raise database_unavailable(url, error) from error
    return engine


def database_unavailable(url: str, error: Exception) -> DatabaseUnavailable:
    """One sentence for a database that cannot be used (the password never shown)."""
    shown = _safe_url(url)
    example = "sqlite:////absolute/path/bilan.db or postgresql://user@host:5432/database"
    if isinstance(error, (exc.ArgumentError, exc.NoSuchModuleError)):
        return DatabaseUnavailable(f"BILAN_DATABASE_URL={shown} is not a database URL: use {example}")
    detail = _first_line(getattr(error, "orig", None) or error)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        return DatabaseUnavailable(
            f"cannot open the SQLite warehouse {path} ({detail}): check that its folder exists and is writable, "
            "or set BILAN_DATABASE_URL"
        )
    if "does not exist" in detail:
        name = make_url(url).database
        return DatabaseUnavailable(
            f"the PostgreSQL database {name!r} does not exist at {shown}: create it (`createdb {name}`) "
            "or fix BILAN_DATABASE_URL"
        )
    return DatabaseUnavailable(
        f"cannot reach the database at {shown} ({detail}): is the server running, are the host and port right?"
    )


def _first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL and background link."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show it as given, it holds no password that parses
        return repr(url)


def _ensure_parent_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """The one door for writes: a session whose work is committed as a whole or not at all."""
    with session_factory(engine)() as session, session.begin():
        yield session


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the latest migration. Safe to call from several
    processes at once: PostgreSQL serialises on an advisory lock, SQLite on
    its write lock (BEGIN IMMEDIATE)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
