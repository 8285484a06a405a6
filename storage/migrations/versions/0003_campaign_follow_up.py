"""campaign follow-up: reminders, acknowledgements, campaign closing time

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

The analyst views, created here at first, now live outside the migration
chain (`storage/schema.py` drops them before any migration and creates them
after, from `storage/views/*.sql`).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True))
    _fill_closes_at()

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False, comment="local date in the campaign's time zone"),
    sa.Column('reason', sa.String(length=16), nullable=False, comment='missing | incomplete'),
    sa.Column('recipients', sa.Text(), nullable=False, comment='comma-separated addresses'),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='sending | sent | failed'),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('smtp_message_id', sa.String(length=998), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'department_code', 'day')
    )
    op.create_table('acknowledgement',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='sending | sent | failed'),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('smtp_message_id', sa.String(length=998), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id')
    )


def downgrade() -> None:
    op.drop_table('acknowledgement')
    op.drop_table('reminder')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('closes_at')


def _fill_closes_at() -> None:
    """Existing campaigns: the first late instant, midnight after the deadline
    day in the campaign's time zone, stored in UTC (naive on SQLite, as the
    application's UTC column type stores it)."""
    bind = op.get_bind()
    campaign = sa.table(
        'campaign',
        sa.column('id', sa.Integer()),
        sa.column('deadline', sa.Date()),
        sa.column('timezone', sa.String()),
        sa.column('closes_at', sa.DateTime(timezone=True)),
    )
    for row in bind.execute(sa.select(campaign.c.id, campaign.c.deadline, campaign.c.timezone)).all():
        local = dt.datetime.combine(row.deadline + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(row.timezone))
        closes_at = local.astimezone(dt.UTC)
        if bind.dialect.name == 'sqlite':
            closes_at = closes_at.replace(tzinfo=None)
        bind.execute(campaign.update().where(campaign.c.id == row.id).values(closes_at=closes_at))
