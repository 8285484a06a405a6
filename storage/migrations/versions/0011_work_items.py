"""work items: the shared work list of a reprocessing run split in parts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

`bilan reprocess --shards N` lists the selection once, in groups (the
messages that share a file together), and its N parts take groups from the
list as they finish the previous ones, instead of each taking a fixed
fraction: a part on a slower core or machine takes fewer, and the parts end
together. The run deletes its rows when it ends.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_item',
    sa.Column('work_list', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Text(), nullable=False, comment="sha256 of the group's messages, separated by spaces"),
    sa.Column('taken_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('work_list', 'position')
    )


def downgrade() -> None:
    op.drop_table('work_item')
