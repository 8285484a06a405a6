"""Alembic environment: runs on the connection handed over by
`storage/schema.py`, which drops the analyst views before the migrations and
creates them after (`bilan migrate`); or on `BILAN_DATABASE_URL` when alembic
is called from the command line, e.g. to write a migration with
`--autogenerate` (upgrade with `bilan migrate`, not `alembic upgrade`, which
would run migrations under the views)."""

from __future__ import annotations

from alembic import context

from bilan.storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from bilan.settings import get_settings
        from bilan.storage.db import get_engine

        with get_engine(get_settings().database_url).begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so that migrations do
    not import (and break with) the application's code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()


run_migrations_online()
