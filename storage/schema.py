"""The warehouse's schema: tables by Alembic migrations, then the analyst
views from their `.sql` files, outside the migration chain.

A migration is history, written against the tables of its day; a view is
today's code, which reads today's columns. So migrations never see a view:
`migrate` drops the views before it runs any migration (SQLite rebuilds a
table by copy and rename, PostgreSQL refuses to change a column, while a
view reads it), and creates them afterwards from `storage/views/*.sql`. A
view whose text is the one the warehouse recorded in `view_definition` is
left alone, as sqlite-utils' `create_view(replace=True)` does; a changed
one is created again with the views that read it.

Readers never migrate: `check_current` tells, without writing, whether the
schema is at this code's head and every view is the one of its file.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from graphlib import TopologicalSorter
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, insert, inspect, select, text

from bilan.errors import WarehouseNotReady
from bilan.storage.models import ViewDefinition

MIGRATIONS = Path(__file__).parent / "migrations"
VIEWS_DIR = Path(__file__).parent / "views"
#: Key of the PostgreSQL advisory lock taken while migrating.
_MIGRATION_LOCK = 0x62696C616E  # "bilan"
#: Names a view's SQL reads from: what follows FROM or JOIN.
_READS = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)", re.IGNORECASE)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """What `migrate` did: the schema revision before and after, and the
    views it created (none when the warehouse was already current)."""

    before: str | None
    after: str
    views: tuple[str, ...]


# -- the views' SQL, as the code has it --


def view_sql() -> dict[str, str]:
    """Each view's SQL by name: the files `storage/views/<name>.sql`."""
    return {path.stem: path.read_text(encoding="utf-8").strip() for path in sorted(VIEWS_DIR.glob("*.sql"))}


def _reads(sql: str, names: set[str]) -> set[str]:
    """Which of these views a view's SQL reads."""
    return {name.lower() for name in _READS.findall(sql)} & names


def creation_order(views: dict[str, str]) -> list[str]:
    """The views in an order where each comes after those it reads."""
    names = set(views)
    graph = {name: _reads(sql, names - {name}) for name, sql in sorted(views.items())}
    return list(TopologicalSorter(graph).static_order())


def _with_readers(changed: set[str], views: dict[str, str]) -> set[str]:
    """`changed` and every view that reads one of them, however indirectly:
    they must be created again with it (PostgreSQL will not drop a view that
    another one reads, and fixes a view's columns when it is created)."""
    names = set(views)
    result = set(changed)
    for name in creation_order(views):
        if _reads(views[name], names) & result:
            result.add(name)
    return result


# -- the views as the warehouse has them --


def recorded_views(connection: Connection) -> dict[str, str]:
    """The SQL each view of this warehouse was created from (none before 0008)."""
    if ViewDefinition.__tablename__ not in inspect(connection).get_table_names():
        return {}
    return {name: sql for name, sql in connection.execute(select(ViewDefinition.name, ViewDefinition.sql))}


def stale_views(connection: Connection) -> set[str]:
    """Views to create again: missing from the warehouse, or created from
    another text than their file's; with the views that read them."""
    views = view_sql()
    recorded = recorded_views(connection)
    present = set(inspect(connection).get_view_names())
    changed = {name for name, sql in views.items() if recorded.get(name) != sql or name not in present}
    return _with_readers(changed, views)


def apply_views(connection: Connection) -> list[str]:
    """Create the views that are missing or changed (and those reading them),
    drop the ones the code no longer has, record what each was created
    from; return the names created, in creation order."""
    views = view_sql()
    stale = stale_views(connection)
    obsolete = set(recorded_views(connection)) - set(views)
    _drop(connection, stale | obsolete)
    created = [name for name in creation_order(views) if name in stale]
    for name in created:
        connection.execute(text(f"CREATE VIEW {name} AS\n{views[name]}"))
    table = ViewDefinition.__table__
    connection.execute(delete(table).where(table.c.name.in_(stale | obsolete)))
    if created:
        now = dt.datetime.now(dt.UTC)
        connection.execute(insert(table), [{"name": name, "sql": views[name], "applied_at": now} for name in created])
    return created


def drop_views(connection: Connection) -> None:
    """Drop every view of ours this warehouse holds (named by a file, or
    recorded): before a migration changes the tables they read."""
    _drop(connection, set(view_sql()) | set(recorded_views(connection)))


def _drop(connection: Connection, names: set[str]) -> None:
    present = sorted(names & set(inspect(connection).get_view_names()))
    if not present:
        return
    if connection.dialect.name == "postgresql":  # one statement: views reading each other go together
        connection.execute(text(f"DROP VIEW IF EXISTS {', '.join(present)}"))
        return
    for name in present:  # SQLite lets a view go while another one reads it
        connection.execute(text(f"DROP VIEW IF EXISTS {name}"))


# -- migrations --


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration of this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The warehouse's migration, or None where no bilan schema was ever created."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    from alembic import command

    config = _alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


def migrate(engine: Engine) -> Migration:
    """Bring the warehouse to this code: tables at the newest migration, then
    views as their files say. Writes nothing when both already are. Safe to
    call from several processes at once: PostgreSQL serialises on an
    advisory lock, SQLite on its write lock (BEGIN IMMEDIATE)."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head and not stale_views(connection):
            return Migration(before=head, after=head, views=())
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        before = current_revision(connection)
        if before != head:
            drop_views(connection)
            _run_alembic(connection, "upgrade", "head")
            log.info("warehouse schema upgraded from %s to %s", before or "nothing", head)
        created = apply_views(connection)
    if created:
        log.info("analyst views created: %s", ", ".join(created))
    return Migration(before=before, after=head, views=tuple(created))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the tables back to an earlier migration (`base`: none), without
    views (the next `migrate` creates them)."""
    with engine.begin() as connection:
        drop_views(connection)
        _run_alembic(connection, "downgrade", revision)


def check_current(connection: Connection, where: str) -> None:
    """Raise `WarehouseNotReady` unless the warehouse at `where` has this
    code's schema and views; reads nothing else and writes nothing."""
    revision, head = current_revision(connection), head_revision()
    if revision is None:
        raise WarehouseNotReady(
            f"there is no bilan warehouse in {where}: create it with `bilan migrate` (or `bilan ingest`), "
            "or fix BILAN_DATABASE_URL"
        )
    if revision != head:
        raise WarehouseNotReady(
            f"the warehouse in {where} has schema {revision}, not this bilan's {head}: "
            + ("upgrade it with `bilan migrate` (or `bilan ingest`)" if _known(revision)
               else "it was written by a newer bilan; upgrade bilan")
        )
    stale = stale_views(connection)
    if stale:
        raise WarehouseNotReady(
            f"the analyst views of the warehouse in {where} are not this bilan's ({', '.join(sorted(stale))}): "
            "create them again with `bilan migrate` (or `bilan ingest`)"
        )


def _known(revision: str) -> bool:
    """Whether this code has that migration (an older warehouse) or not (a newer bilan wrote it)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False
