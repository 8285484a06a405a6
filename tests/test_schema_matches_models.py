"""The migrations build exactly the tables the models describe, on SQLite
and PostgreSQL (a missing or mistyped migration would show here first)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bilan.storage.models import Base
from bilan.storage.search import outside_the_search_index


def test_migrated_schema_matches_the_models(warehouse):
    with warehouse.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": outside_the_search_index}
        )
        assert compare_metadata(context, Base.metadata) == []
