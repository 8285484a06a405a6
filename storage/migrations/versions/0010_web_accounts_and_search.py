"""the web application: accounts, and a full-text index kept in step by the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

`account`: the people who may log in to `bilan serve` (a role each; the
password as an argon2 hash, none for an account that only logs in through a
reverse proxy's trusted header).

The full-text index of the messages (subject, sender) and of every text read
from them (`extracted_text`, bodies included) is kept by the database
itself, so that whatever writes a message (an ingestion, `bilan watch`,
`bilan reprocess`, a test) leaves the index in step without knowing of it:

- SQLite: two FTS5 tables with external content (`message_search`,
  `text_search`) and triggers on insert, delete and update of their source
  rows (a cascade from `message` fires them too). Accents are folded
  (`remove_diacritics 2`): "prefecture" finds "préfecture".
- PostgreSQL: GIN indexes on `to_tsvector('french', ...)` of the same
  columns (the first 100,000 characters of a text: a tsvector holds at
  most 1 MB), which PostgreSQL keeps up to date on every write.

A later migration that rebuilds `message` or `extracted_text` on SQLite
(batch mode "recreate") drops their triggers: it must create them again.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE message_search USING fts5(subject, sender, sender_name, content='message', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE text_search USING fts5(text, content='extracted_text', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    """CREATE TRIGGER message_search_insert AFTER INSERT ON message BEGIN
        INSERT INTO message_search(rowid, subject, sender, sender_name)
        VALUES (new.id, new.subject, new.sender, new.sender_name);
    END""",
    """CREATE TRIGGER message_search_delete AFTER DELETE ON message BEGIN
        INSERT INTO message_search(message_search, rowid, subject, sender, sender_name)
        VALUES ('delete', old.id, old.subject, old.sender, old.sender_name);
    END""",
    """CREATE TRIGGER message_search_update AFTER UPDATE OF subject, sender, sender_name ON message BEGIN
        INSERT INTO message_search(message_search, rowid, subject, sender, sender_name)
        VALUES ('delete', old.id, old.subject, old.sender, old.sender_name);
        INSERT INTO message_search(rowid, subject, sender, sender_name)
        VALUES (new.id, new.subject, new.sender, new.sender_name);
    END""",
    """CREATE TRIGGER text_search_insert AFTER INSERT ON extracted_text BEGIN
        INSERT INTO text_search(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER text_search_delete AFTER DELETE ON extracted_text BEGIN
        INSERT INTO text_search(text_search, rowid, text) VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER text_search_update AFTER UPDATE OF text ON extracted_text BEGIN
        INSERT INTO text_search(text_search, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO text_search(rowid, text) VALUES (new.id, new.text);
    END""",
    # What the warehouse already holds.
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
    "INSERT INTO text_search(text_search) VALUES ('rebuild')",
)

_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS text_search_update",
    "DROP TRIGGER IF EXISTS text_search_delete",
    "DROP TRIGGER IF EXISTS text_search_insert",
    "DROP TRIGGER IF EXISTS message_search_update",
    "DROP TRIGGER IF EXISTS message_search_delete",
    "DROP TRIGGER IF EXISTS message_search_insert",
    "DROP TABLE IF EXISTS text_search",
    "DROP TABLE IF EXISTS message_search",
)

_POSTGRESQL_UP = (
    "CREATE INDEX ix_message_search ON message USING gin (to_tsvector('french', "
    "coalesce(subject, '') || ' ' || coalesce(sender, '') || ' ' || coalesce(sender_name, '')))",
    # The first 100,000 characters: a tsvector holds at most 1 MB, and a
    # longer text would make the row's insert, so its message's loading, fail.
    "CREATE INDEX ix_text_search ON extracted_text USING gin (to_tsvector('french', left(text, 100000)))",
)

_POSTGRESQL_DOWN = (
    "DROP INDEX IF EXISTS ix_text_search",
    "DROP INDEX IF EXISTS ix_message_search",
)


def upgrade() -> None:
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False, comment='viewer | editor | admin'),
    sa.Column('password_hash', sa.String(length=255), nullable=True, comment='argon2; null: trusted header only'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    for statement in _SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else _POSTGRESQL_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else _POSTGRESQL_DOWN:
        op.execute(statement)
    op.drop_table('account')
