"""attendance: punches, leave, corrections, substitutes, months, audit, judged days

Revision ID: attendance_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "attendance_0001"
down_revision = None
branch_labels = ("attendance",)
depends_on = None


def upgrade() -> None:
    op.create_table('att_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('why', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_att_audit_at'), 'att_audit', ['at'], unique=False)
    op.create_table('att_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('checkpoint', sa.String(length=16), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('approver', sa.String(length=64), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_att_correction_staff_at', 'att_correction', ['staff_id', 'at'], unique=False)
    op.create_table('att_day',
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('checkpoint', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('punch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('corrected', sa.Boolean(), nullable=False),
    sa.Column('leave_kind', sa.String(length=16), nullable=True),
    sa.Column('rule', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('staff_id', 'day', 'checkpoint')
    )
    op.create_index('ix_att_day_day', 'att_day', ['day'], unique=False)
    op.create_table('att_leave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('extends_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dept_by', sa.String(length=64), nullable=True),
    sa.Column('dept_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('office_by', sa.String(length=64), nullable=True),
    sa.Column('office_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_att_leave_staff', 'att_leave', ['staff_id', 'start'], unique=False)
    op.create_table('att_month',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('att_punch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=26), nullable=True),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hall', sa.String(length=63), nullable=False),
    sa.Column('device', sa.String(length=63), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_index('ix_att_punch_staff_at', 'att_punch', ['staff_id', 'at'], unique=False)
    op.create_table('att_substitute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window', sa.String(length=63), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=False),
    sa.Column('substitute_id', sa.String(length=64), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leave_id', sa.Integer(), nullable=True),
    sa.Column('sent_by_unit', sa.Boolean(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_att_substitute_window'), 'att_substitute', ['window'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_att_substitute_window'), table_name='att_substitute')
    op.drop_table('att_substitute')
    op.drop_index('ix_att_punch_staff_at', table_name='att_punch')
    op.drop_table('att_punch')
    op.drop_table('att_month')
    op.drop_index('ix_att_leave_staff', table_name='att_leave')
    op.drop_table('att_leave')
    op.drop_index('ix_att_day_day', table_name='att_day')
    op.drop_table('att_day')
    op.drop_index('ix_att_correction_staff_at', table_name='att_correction')
    op.drop_table('att_correction')
    op.drop_index(op.f('ix_att_audit_at'), table_name='att_audit')
    op.drop_table('att_audit')
