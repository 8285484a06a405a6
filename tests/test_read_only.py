"""Reads do not write: `bilan status`, `export` and `report` open the
warehouse read-only (no migration, no seeding, no SQLite write lock), and a
warehouse that does not exist, or is behind the code or the settings, is a
one-line error that says which command prepares it, never an empty
warehouse that reports "101 missing"."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import time

import psycopg
import pytest
from sqlalchemy import event, exc, text
from typer.testing import CliRunner

from bilan.cli import app
from bilan.errors import WarehouseNotReady
from bilan.settings import Settings
from bilan.storage import schema
from bilan.storage.db import get_engine
from bilan.storage.schema import current_revision
from bilan.storage.status import department_statuses
from bilan.storage.warehouse import Warehouse
from tests.loading import load_raw
from tests.mail import message
from tests.postgres import drop_postgres_database, fresh_postgres_database

UTC = dt.UTC
#: What a statement that writes, or takes SQLite's write lock, starts with.
WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN IMMEDIATE|PRAGMA journal_mode)", re.I)


def _error_line(args: list[str], env: dict[str, str]) -> str:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _reading_commands(tmp_path) -> list[list[str]]:
    return [
        ["status"],
        ["export", "--format", "json", "--out", str(tmp_path / "export.json")],
        ["export", "--format", "csv", "--out", str(tmp_path / "csv")],
        ["report", "--out", str(tmp_path / "rapport.html")],
    ]


def test_reading_a_missing_sqlite_warehouse_creates_nothing(tmp_path):
    target = tmp_path / "mistyped" / "bilan.db"
    env = {"BILAN_DATABASE_URL": f"sqlite:///{target}", "BILAN_ARCHIVE_DIR": str(tmp_path / "archive")}
    for args in _reading_commands(tmp_path):
        line = _error_line(args, env)
        assert f"there is no warehouse at {target}" in line and "`bilan migrate`" in line, line
    assert not target.parent.exists()


def test_reading_a_postgresql_database_without_a_warehouse_creates_nothing(postgres_admin_url, tmp_path):
    url, name = fresh_postgres_database(postgres_admin_url)
    try:
        line = _error_line(["status"], {"BILAN_DATABASE_URL": url})
        assert f"there is no bilan warehouse in the database '{name}'" in line and "`bilan migrate`" in line
        with psycopg.connect(url) as connection:
            tables = connection.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            assert tables.fetchone() == (0,)
    finally:
        drop_postgres_database(postgres_admin_url, name)


def test_migrate_creates_the_warehouse_that_reads_expect(tmp_path):
    env = {"BILAN_DATABASE_URL": f"sqlite:///{tmp_path / 'new' / 'bilan.db'}", "BILAN_ARCHIVE_DIR": str(tmp_path / "a")}
    runner = CliRunner()
    result = runner.invoke(app, ["migrate"], env=env)
    assert result.exit_code == 0 and f"schema {schema.head_revision()}" in result.output, result.output
    result = runner.invoke(app, ["status"], env=env)
    assert result.exit_code == 0 and "101 departments: 0 on time, 0 late, 101 missing" in result.output


def test_a_read_does_not_upgrade_an_older_warehouse(alembic, settings_env):
    alembic("upgrade", "0007")
    with pytest.raises(WarehouseNotReady, match=r"schema 0007, not this bilan's .*`bilan migrate`"):
        Warehouse.open(settings_env, read_only=True)
    with alembic.engine.connect() as connection:
        assert current_revision(connection) == "0007"


def test_a_read_tells_that_the_views_are_behind_the_code(warehouse, settings_env, tmp_path, monkeypatch):
    folder = tmp_path / "views"
    shutil.copytree(schema.VIEWS_DIR, folder)
    changed = folder / "review_queue.sql"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    monkeypatch.setattr(schema, "VIEWS_DIR", folder)
    with pytest.raises(WarehouseNotReady, match=r"analyst views .* \(review_queue\): .*`bilan migrate`"):
        Warehouse.open(settings_env, read_only=True)
    Warehouse.open(settings_env)  # a writer brings them up to date
    Warehouse.open(settings_env, read_only=True)


def test_a_read_does_not_apply_other_campaign_settings(warehouse, settings_env):
    moved = settings_env.model_copy(update={"campaign_deadline": dt.date(2021, 12, 17)})
    with pytest.raises(WarehouseNotReady, match=r"deadline 2021-12-10 .* settings 2021-12-17 .*`bilan migrate`"):
        Warehouse.open(moved, read_only=True)
    assert Warehouse.open(settings_env, read_only=True).campaign.deadline == dt.date(2021, 12, 10)


def test_reading_commands_write_nothing(warehouse, settings_env, tmp_path):
    load_raw(warehouse, message(
        subject="Contribution bilan démarches participatives - Aisne (02)",
        received=dt.datetime(2021, 12, 8, 10, 0, tzinfo=UTC),
    ).as_bytes())
    reader = get_engine(settings_env.database_url, True)  # the engine the commands open (one per URL and mode)
    statements: list[str] = []
    event.listen(reader, "before_cursor_execute", lambda _c, _cursor, statement, *_: statements.append(statement))
    for args in _reading_commands(tmp_path):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert len(statements) > 10
    assert [s for s in statements if WRITES.match(s)] == []
    # Not by good manners alone: the database refuses a write from that engine.
    with pytest.raises(exc.DBAPIError, match="(?i)read-?only"):
        with reader.begin() as connection:
            connection.execute(text("DELETE FROM reminder"))


def test_a_sqlite_read_does_not_wait_for_a_writer(tmp_path):
    """A long ingestion holds SQLite's write lock; a reader that asked for it
    (BEGIN IMMEDIATE) would wait the busy timeout (60 s), then fail."""
    path = tmp_path / "bilan.db"
    settings = Settings(database_url=f"sqlite:///{path}", archive_dir=tmp_path / "archive")
    Warehouse.open(settings)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        reader = Warehouse.open(settings, read_only=True)
        assert len(department_statuses(reader.engine, reader.campaign)) == 101
        assert time.monotonic() - started < 10
    finally:
        writer.execute("ROLLBACK")
        writer.close()
