"""a confidence for every extracted value

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

The message's kind, sender role and modality, each annex row (the lowest of
its cells, and each cell's) and each recommendation get how sure extraction
was of them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_MESSAGE = ('kind_confidence', 'sender_role_confidence', 'modality_confidence')
_ANNEX_ROWS = ('annexe1_row', 'annexe2_row')


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        for name in _MESSAGE:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    for table in _ANNEX_ROWS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('confidence', sa.Float(), nullable=True, comment="the lowest of its cells'; null: not judged")
            )
            batch_op.add_column(
                sa.Column('cell_confidence', sa.JSON(), nullable=True, comment='confidence of each judged cell, by field name')
            )
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('confidence', sa.Float(), nullable=True, comment='confidence that it is a recommendation')
        )


def downgrade() -> None:
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_column('confidence')
    for table in _ANNEX_ROWS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('cell_confidence')
            batch_op.drop_column('confidence')
    with op.batch_alter_table('message', schema=None) as batch_op:
        for name in reversed(_MESSAGE):
            batch_op.drop_column(name)
