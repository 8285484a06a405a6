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

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

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
