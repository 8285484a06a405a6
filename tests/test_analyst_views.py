"""Analyst views: one SQL file each (created after the migrations, see
test_schema_upgrades.py), the same rows on SQLite and PostgreSQL, and the
README's example queries run on both."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from bilan.settings import Settings
from bilan.storage.schema import view_sql
from bilan.storage.views import SUPPORT_VIEWS, VIEWS, read_view, view_named
from bilan.storage.warehouse import Warehouse
from tests.conftest import REPO, SAMPLES
from tests.loading import load_folder, load_raw
from tests.mail import XLSX, message, xlsx_bytes
from tests.postgres import drop_postgres_database, fresh_postgres_database

UTC = dt.UTC


def test_every_view_of_the_registry_exists_with_its_columns(warehouse):
    with warehouse.engine.connect() as connection:
        for view in VIEWS:
            result = connection.execute(text(f"SELECT * FROM {view.name} LIMIT 0"))
            assert list(result.keys()) == [column.name for column in view.columns], view.name
            assert len(view.title) <= 31 and view.description


def test_each_view_is_one_sql_file():
    """The registry names the sheets; the files hold the SQL: every sheet has
    its file, and every file is a sheet or a view the others read."""
    assert set(view_sql()) == {view.name for view in VIEWS} | set(SUPPORT_VIEWS)


def test_current_means_one_thing():
    """What a current version is lives in `current_message.sql` alone."""
    rule = "later.supersedes_id"
    assert [name for name, sql in view_sql().items() if rule in sql] == ["current_message"]


def _set(warehouse, sql: str, **params) -> None:
    """Stand in for the extraction of issue 5 (roles, modality, links), which
    fills these columns after the merge."""
    with warehouse.engine.begin() as connection:
        connection.execute(text(sql), params)


def _message_pk(warehouse, header_id: str) -> int:
    with warehouse.engine.connect() as connection:
        return connection.scalar(text("SELECT id FROM message WHERE message_id = :m"), {"m": header_id})


def test_department_status_tells_what_each_department_sent(warehouse):
    contribution = message(
        subject="Contribution bilan démarches participatives - Aisne (02)",
        received=dt.datetime(2021, 12, 8, 10, 0, tzinfo=UTC),
        message_id="<c1@aisne.gouv.fr>",
    )
    contribution.add_attachment(xlsx_bytes([["Commune", "QPV"], ["Laon", "QN00201"]]), *XLSX, filename="Annexe 1.xlsx")
    contribution.add_attachment(b"PK\x03\x04 broken", *XLSX, filename="Annexe 2.xlsx")
    load_raw(warehouse, contribution.as_bytes())
    pk = _message_pk(warehouse, "<c1@aisne.gouv.fr>")
    _set(warehouse, "UPDATE message SET modality = 3, needs_review = :t WHERE id = :pk", pk=pk, t=True)
    _set(warehouse, "UPDATE attachment SET role = 'annexe1' WHERE message_id = :pk AND filename = 'Annexe 1.xlsx'", pk=pk)
    _set(warehouse, "UPDATE attachment SET role = 'annexe2' WHERE message_id = :pk AND filename = 'Annexe 2.xlsx'", pk=pk)
    with warehouse.engine.connect() as connection:
        sheet = read_view(connection, view_named("department_status"))
    rows = {row[1]: dict(zip([c.name for c in sheet.columns], row)) for row in sheet.rows}
    assert len(rows) == 101
    aisne = rows["02"]
    assert aisne["status"] == "on_time" and aisne["first_contribution_at"] == dt.datetime(2021, 12, 8, 10, 0, tzinfo=UTC)
    assert aisne["modality"] == 3
    assert (aisne["annexe1_received"], aisne["annexe2_received"], aisne["annexe3_received"]) == (True, False, False)
    assert aisne["unreadable_files"] == 1 and aisne["messages_with_errors"] == 1
    assert aisne["flagged_for_review"] == 1 and aisne["contributions"] == 1
    assert rows["59"]["status"] == "missing" and rows["59"]["messages"] == 0


def test_current_contributions_leave_out_superseded_versions(warehouse):
    for number, day in ((1, 6), (2, 9), (3, 10)):
        load_raw(warehouse, message(
            subject="Contribution bilan démarches participatives - Aisne (02)",
            received=dt.datetime(2021, 12, day, 10, 0, tzinfo=UTC),
            message_id=f"<v{number}@aisne.gouv.fr>",
        ).as_bytes())
    first, second, third = (_message_pk(warehouse, f"<v{n}@aisne.gouv.fr>") for n in (1, 2, 3))
    _set(warehouse, "UPDATE message SET supersedes_id = :old WHERE id = :new", old=first, new=second)
    _set(warehouse, "UPDATE message SET complements_id = :old WHERE id = :new", old=second, new=third)
    with warehouse.engine.connect() as connection:
        sheet = read_view(connection, view_named("current_contribution"))
    assert [(row[0], row[1], row[11], row[12]) for row in sheet.rows] == [
        (second, "02", first, None),
        (third, "02", None, second),
    ]


# -- the README's queries, on both databases --------------------------------


def readme_queries() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Querying the warehouse", 1)[1].split("\n## ", 1)[0]
    queries = []
    for block in re.findall(r"```sql\n(.*?)```", section, flags=re.S):
        for statement in block.split(";"):
            lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
            if "".join(lines).strip():
                queries.append("\n".join(lines).strip())
    return queries


def test_the_readme_shows_a_query_on_every_view():
    queries = " ".join(readme_queries())
    for view in VIEWS:
        assert re.search(rf"\bFROM {view.name}\b", queries), f"no README example reads {view.name}"


def _sample_warehouse(url: str, archive_dir: Path) -> Warehouse:
    warehouse = Warehouse.open(Settings(database_url=url, archive_dir=archive_dir))
    load_folder(warehouse, SAMPLES)
    return warehouse


@pytest.fixture(scope="module")
def sample_sqlite(tmp_path_factory) -> Warehouse:
    """The sample mailbox loaded into a SQLite file."""
    folder = tmp_path_factory.mktemp("views")
    return _sample_warehouse(f"sqlite:///{folder / 'bilan.db'}", folder / "archive-sqlite")


@pytest.fixture(scope="module")
def sample_warehouses(sample_sqlite, postgres_admin_url, tmp_path_factory):
    """The sample mailbox loaded into a SQLite file and a fresh PostgreSQL database."""
    pg_url, pg_name = fresh_postgres_database(postgres_admin_url)
    try:
        folder = tmp_path_factory.mktemp("views-pg")
        yield {"sqlite": sample_sqlite, "postgresql": _sample_warehouse(pg_url, folder / "archive")}
    finally:
        drop_postgres_database(postgres_admin_url, pg_name)


def _normalised(value):
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # SQLite gives dates and times as text
            return value
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("query", readme_queries(), ids=lambda q: q.splitlines()[0][:60])
def test_readme_query_gives_the_same_rows_on_sqlite_and_postgresql(sample_warehouses, query):
    results = {}
    for name, warehouse in sample_warehouses.items():
        with warehouse.engine.connect() as connection:
            rows = connection.execute(text(query)).all()
        results[name] = sorted((tuple(_normalised(v) for v in row) for row in rows), key=repr)
    assert results["sqlite"] == results["postgresql"]


def test_every_readme_query_runs_on_sqlite(sample_sqlite):
    """The SQLite half of the comparison above, for the lane without PostgreSQL."""
    with sample_sqlite.engine.connect() as connection:
        for query in readme_queries():
            connection.execute(text(query)).all()


def test_views_describe_the_sample_mailbox(sample_sqlite):
    with sample_sqlite.engine.connect() as connection:
        campaign = read_view(connection, view_named("campaign_status")).rows[0]
    # samples/README.md: 7 on time, 1 late, 93 missing; 12 messages.
    assert campaign[3:8] == (101, 7, 1, 93, 12)


def test_a_warehouse_of_the_first_schema_is_upgraded(alembic):
    """A campaign created before the follow-up gets its closing time (the first
    late instant, in UTC) when the migration runs."""
    from bilan.storage.schema import downgrade, migrate

    alembic("upgrade", "0001")
    with alembic.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO campaign (name, deadline, timezone) VALUES ('Bilan 2021', '2021-12-10', 'Europe/Paris')"
        ))
    migrate(alembic.engine)
    with alembic.engine.connect() as connection:
        value = connection.execute(text("SELECT closes_at FROM campaign")).scalar_one()
        assert _normalised(value) == "2021-12-10T23:00:00+00:00"
        assert connection.execute(text("SELECT count(*) FROM department_status")).scalar_one() == 0  # no departments yet
    downgrade(alembic.engine, "0001")
