"""what the receiving server said of the sender, and the sender check

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

The verdicts of the topmost `Authentication-Results` (authserv-id, DKIM,
SPF, DMARC, ARC) and, for contributions, what the sender check found
(`nlp/review.py`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_RESULTS = ('dkim_result', 'spf_result', 'dmarc_result', 'arc_result')


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_server', sa.String(length=255), nullable=True, comment='authserv-id of the verdicts'))
        for name in _RESULTS:
            batch_op.add_column(sa.Column(name, sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column(
            'sender_check', sa.String(length=24), nullable=True,
            comment='contributions: verified | expected_domain | unexpected_domain | authentication_failed',
        ))


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('sender_check')
        for name in reversed(_RESULTS):
            batch_op.drop_column(name)
        batch_op.drop_column('auth_server')
