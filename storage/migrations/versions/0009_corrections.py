"""corrections: what people settled, kept apart from what extraction found

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

One row per correction (who, when, what, old and new value, why, undone by
whom and when), keyed by natural keys (a message's sha256, an annex row's
position in its message, a department code) so that corrections outlive
`bilan reprocess`. The `effective_*` views lay them over extraction
(`storage/corrections.py`). `correction_department` holds the departments
a correction of a message's departments gives, one row each.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False, comment="'' when the subject has no field"),
    sa.Column('old_value', sa.JSON(), nullable=True, comment='the value in force before, as JSON'),
    sa.Column('new_value', sa.JSON(), nullable=True, comment='as JSON'),
    sa.Column('value_text', sa.Text(), nullable=True, comment='new_value as the views read it'),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('target_sha256', sa.String(length=64), nullable=True, comment='the message the target belongs to'),
    sa.Column('target_table', sa.String(length=16), nullable=True, comment='annexe1 | annexe2 | recommendation'),
    sa.Column('target_position', sa.Integer(), nullable=True, comment="the row's position in its message"),
    sa.Column(
        'anchor', sa.Text(), nullable=True,
        comment="the row's source when corrected (annex: file|sheet|page|row; recommendation: its text)",
    ),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.String(length=320), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('made_at', 'author', 'subject', 'target', 'field', name='uq_correction_natural_key')
    )
    op.create_table('correction_department',
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['correction_id'], ['correction.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('correction_id', 'department_code')
    )
    op.create_index('ix_correction_subject_target', 'correction', ['subject', 'target', 'field'], unique=False)
    op.create_index(
        'ix_correction_target_sha256', 'correction', ['target_sha256', 'target_table', 'target_position'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_correction_target_sha256', table_name='correction')
    op.drop_index('ix_correction_subject_target', table_name='correction')
    op.drop_table('correction_department')
    op.drop_table('correction')
