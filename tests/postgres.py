"""Fresh PostgreSQL databases for tests and benchmarks. A module of its own,
without the test session's settings (`conftest.py` sets defaults such as
BILAN_EXTRACT_WORKERS=0 in the environment): a benchmark that imports it
measures the configuration a user runs."""

from __future__ import annotations

import uuid

import psycopg


def fresh_postgres_database(admin_url: str) -> tuple[str, str]:
    """Create an empty database; return its URL and name."""
    name = f"bilan_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", name


def drop_postgres_database(admin_url: str, name: str) -> None:
    from bilan.storage.db import get_engine

    get_engine.cache_clear()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
