"""The schema on SQLite and PostgreSQL: migrations build tables only, the
analyst views come after them from their `.sql` files, are created again only
when their text changed, and never stand in a migration's way (a fresh
upgrade, a downgrade to base and back up)."""

from __future__ import annotations

import ast
import shutil

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from bilan.storage import schema
from bilan.storage.models import Base, ViewDefinition
from bilan.storage.schema import (
    MIGRATIONS,
    creation_order,
    current_revision,
    downgrade,
    head_revision,
    migrate,
    view_sql,
)
from bilan.storage.search import outside_the_search_index
from bilan.storage.views import VIEWS


def _views(engine) -> set[str]:
    return set(inspect(engine).get_view_names())


def _recorded(engine) -> dict[str, object]:
    """When each view was last created, as the warehouse recorded it."""
    with engine.connect() as connection:
        return {name: at for name, at in connection.execute(select(ViewDefinition.name, ViewDefinition.applied_at))}


def _assert_current(engine) -> None:
    """Schema at head and equal to the models, every view there and readable."""
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        context = MigrationContext.configure(connection, opts={"include_name": outside_the_search_index})
        assert compare_metadata(context, Base.metadata) == []
        for view in VIEWS:
            columns = list(connection.execute(text(f"SELECT * FROM {view.name} LIMIT 0")).keys())
            assert columns == [column.name for column in view.columns], view.name
    assert _views(engine) == set(view_sql())


def test_migrations_import_no_live_code():
    """A migration is history: it may not import today's code (views, models),
    which would build today's objects on yesterday's tables."""
    allowed = {"__future__", "sqlalchemy", "alembic", "datetime", "zoneinfo"}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert {module.split(".")[0] for module in modules} <= allowed, f"{path.name} imports {modules}"


def test_views_are_created_after_what_they_read():
    order = creation_order(view_sql())
    assert order.index("current_message") < order.index("current_contribution")
    assert order.index("department_status") < order.index("campaign_status")


def test_a_fresh_upgrade_creates_tables_then_views(alembic):
    done = migrate(alembic.engine)
    assert done.before is None and done.after == head_revision()
    assert done.views == tuple(creation_order(view_sql()))
    _assert_current(alembic.engine)
    with alembic.engine.connect() as connection:
        recorded = {name: sql for name, sql in connection.execute(select(ViewDefinition.name, ViewDefinition.sql))}
    assert recorded == view_sql()


def test_down_to_base_and_back_up(alembic):
    """Downgrades cross 0005, which rebuilds `message` (SQLite) and changes a
    column's type (PostgreSQL): neither works under a view that reads it."""
    migrate(alembic.engine)
    with alembic.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO message (sha256, subject, source, size, archived_at, pii, needs_review) "
            "VALUES ('ab', '', 'test:1', 1, '2021-12-08 10:00:00', false, false)"
        ))
    downgrade(alembic.engine, "0004")
    assert not _views(alembic.engine)
    migrate(alembic.engine)
    _assert_current(alembic.engine)
    with alembic.engine.connect() as connection:
        assert connection.execute(text("SELECT sha256 FROM message")).scalars().all() == ["ab"]
    downgrade(alembic.engine, "base")
    assert not _views(alembic.engine)
    assert set(inspect(alembic.engine).get_table_names()) <= {"alembic_version"}
    migrate(alembic.engine)
    _assert_current(alembic.engine)


def test_a_warehouse_with_the_views_of_old_migrations_is_upgraded(alembic):
    """Before 0008 the migrations created the views; one of 0007 still has
    them (here two stand-ins, the second reading the first, which PostgreSQL
    will not drop before its reader)."""
    alembic("upgrade", "0007")
    with alembic.engine.begin() as connection:
        connection.execute(text("CREATE VIEW annexe1 AS SELECT id, kind FROM message"))
        connection.execute(text("CREATE VIEW current_contribution AS SELECT count(*) AS n FROM annexe1"))
    done = migrate(alembic.engine)
    assert done.before == "0007" and {"annexe1", "current_contribution"} <= set(done.views)
    _assert_current(alembic.engine)


def test_views_are_created_again_only_when_their_text_changed(alembic, tmp_path, monkeypatch):
    migrate(alembic.engine)
    first = _recorded(alembic.engine)
    assert migrate(alembic.engine).views == ()
    assert _recorded(alembic.engine) == first  # nothing written

    folder = tmp_path / "views"
    shutil.copytree(schema.VIEWS_DIR, folder)
    changed = folder / "department_status.sql"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n-- a comment changes the text\n", encoding="utf-8")
    (folder / "review_queue.sql").unlink()
    monkeypatch.setattr(schema, "VIEWS_DIR", folder)

    # The view that changed, and the one that reads it; the removed one goes.
    assert migrate(alembic.engine).views == ("department_status", "campaign_status")
    after = _recorded(alembic.engine)
    assert "review_queue" not in after and "review_queue" not in _views(alembic.engine)
    assert after["department_status"] > first["department_status"]
    assert {name: at for name, at in after.items() if name not in ("department_status", "campaign_status")} == {
        name: at for name, at in first.items() if name not in ("department_status", "campaign_status", "review_queue")
    }
    with alembic.engine.connect() as connection:
        stored = connection.execute(
            select(ViewDefinition.sql).where(ViewDefinition.name == "department_status")
        ).scalar_one()
    assert stored.endswith("-- a comment changes the text")


@pytest.mark.parametrize("revision", ["0003", "0006"])
def test_any_revision_goes_down_and_up(alembic, revision):
    migrate(alembic.engine)
    downgrade(alembic.engine, revision)
    with alembic.engine.connect() as connection:
        assert current_revision(connection) == revision
    migrate(alembic.engine)
    _assert_current(alembic.engine)
