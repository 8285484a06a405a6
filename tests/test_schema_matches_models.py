"""The migrations build exactly the tables the models describe, on SQLite
and PostgreSQL (a missing or mistyped migration would show here first)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bilan.storage.models import Base


def test_migrated_schema_matches_the_models(warehouse):
    with warehouse.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
