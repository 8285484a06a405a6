"""views outside the migration chain: the SQL each view was created from; an index for current versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

From here on, the analyst views are not created by migrations: `storage/schema.py`
drops them before any migration and creates them afterwards from
`storage/views/*.sql`, recording here the text each one was created from, so
that a view is created again only when its text changed.

`message.supersedes_id` gets an index: the `current_message` view asks, for
every message, whether a later one supersedes it (without it, the
`department_status` view took 0.8 s on SQLite for the 220 messages of the
development corpus; with it, 0.03 s).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('view_definition',
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('sql', sa.Text(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_index('ix_message_supersedes_id', 'message', ['supersedes_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_message_supersedes_id', table_name='message')
    op.drop_table('view_definition')
