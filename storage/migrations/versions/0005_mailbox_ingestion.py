"""mailbox ingestion: link answers to their original message; longer source URLs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

`message` is rebuilt on SQLite (batch mode) and one of its columns changes
type, which neither database allows under a view that reads it: views are
dropped before any migration runs (`storage/schema.py`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "original_message_id",
                sa.String(length=998),
                nullable=True,
                comment="bounce, read receipt, auto-reply: Message-ID of the message it answers",
            )
        )
        batch_op.add_column(sa.Column("original_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_message_original_message_id"), ["original_message_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_message_original_id_message", "message", ["original_id"], ["id"], ondelete="SET NULL"
        )
        # A file URL with a Maildir key, or a deep path, does not fit in 200 characters.
        batch_op.alter_column(
            "source",
            existing_type=sa.String(length=200),
            type_=sa.Text(),
            existing_nullable=False,
            comment="imap://user@host/folder;UIDVALIDITY=..;UID=.., file:///...",
            existing_comment="imap://user@host/folder, dir:..., ...",
        )


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.alter_column(
            "source",
            existing_type=sa.Text(),
            type_=sa.String(length=200),
            existing_nullable=False,
            comment="imap://user@host/folder, dir:..., ...",
            existing_comment="imap://user@host/folder;UIDVALIDITY=..;UID=.., file:///...",
        )
        batch_op.drop_constraint("fk_message_original_id_message", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_message_original_message_id"))
        batch_op.drop_column("original_id")
        batch_op.drop_column("original_message_id")
