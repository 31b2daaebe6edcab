"""duty: roster versions and entries, overtime, duty chiefs (rotation, stand-ins, log), duty
checks, opening-check acknowledgements, leaders' sittings, inspections, assessments, policy,
and the live seat holders (rules DUTY-1..5, POST-7, POST-8, ATT-7, ATT-12, DEV-1, RATE-2)

Revision ID: duty_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "duty_0001"
down_revision = None
branch_labels = ("duty",)
depends_on = None


def upgrade() -> None:
    op.create_table('duty_assessment',
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('month', sa.String(7), nullable=False),
    sa.Column('subject_kind', sa.String(8), nullable=False),
    sa.Column('subject', sa.String(64), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hall', 'month', 'subject_kind', 'subject')
    )
    op.create_table('duty_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_by', sa.String(64), nullable=True),
    sa.Column('chief', sa.String(64), nullable=True),
    sa.Column('note', sa.String(1000), nullable=False),
    sa.Column('overdue_alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hall', 'day', 'slot', name='uq_duty_check_slot')
    )
    op.create_table('duty_chief_standin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('chief', sa.String(64), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(64), nullable=False),
    sa.Column('reason', sa.String(500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_duty_chief_standin_hall'), 'duty_chief_standin', ['hall'], unique=False)
    op.create_table('duty_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(16), nullable=False),
    sa.Column('inspector', sa.String(64), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=True),
    sa.Column('problem', sa.Boolean(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_duty_inspection_at', 'duty_inspection', ['hall', 'at'], unique=False)
    op.create_table('duty_leader_sitting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('leader', sa.String(64), nullable=False),
    sa.Column('leader_staff_id', sa.String(64), nullable=True),
    sa.Column('unit', sa.String(128), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by', sa.String(64), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('sat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sat_source', sa.String(16), nullable=True),
    sa.Column('note', sa.String(500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_duty_leader_day', 'duty_leader_sitting', ['hall', 'day'], unique=False)
    op.create_table('duty_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(64), nullable=False),
    sa.Column('chief', sa.String(64), nullable=True),
    sa.Column('kind', sa.String(16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=True),
    sa.Column('window', sa.String(63), nullable=True),
    sa.Column('points', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_duty_log_day', 'duty_log', ['hall', 'day'], unique=False)
    op.create_table('duty_opening_ack',
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(64), nullable=True),
    sa.Column('chief', sa.String(64), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(1000), nullable=False),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('hall', 'day')
    )
    op.create_table('duty_overtime',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('status', sa.String(16), nullable=False),
    sa.Column('decided_by', sa.String(64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hall', 'staff_id', 'day', name='uq_duty_overtime')
    )
    op.create_table('duty_policy',
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint('hall')
    )
    op.create_table('duty_roster_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('month', sa.String(7), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_by', sa.String(64), nullable=False),
    sa.Column('source', sa.String(16), nullable=False),
    sa.Column('filename', sa.String(200), nullable=False),
    sa.Column('why', sa.String(500), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hall', 'month', 'version', name='uq_duty_roster_ver')
    )
    op.create_table('duty_rotation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('anchor', sa.Date(), nullable=False),
    sa.Column('term_days', sa.Integer(), nullable=False),
    sa.Column('order', sa.JSON(), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_duty_rotation_hall'), 'duty_rotation', ['hall'], unique=False)
    op.create_table('duty_seat_holder',
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('seat', sa.String(63), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=True),
    sa.Column('basis', sa.String(16), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('device', sa.String(63), nullable=True),
    sa.Column('command_id', sa.String(64), nullable=True),
    sa.PrimaryKeyConstraint('hall', 'seat')
    )
    op.create_table('duty_check_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.String(63), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('staff_id', sa.String(64), nullable=True),
    sa.Column('basis', sa.String(16), nullable=False),
    sa.Column('sensed_on_post', sa.Boolean(), nullable=True),
    sa.Column('on_post', sa.Boolean(), nullable=True),
    sa.Column('badge', sa.Boolean(), nullable=True),
    sa.Column('sign', sa.Boolean(), nullable=True),
    sa.Column('desk', sa.Boolean(), nullable=True),
    sa.Column('note', sa.String(500), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['duty_check.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_duty_check_item_check_id'), 'duty_check_item', ['check_id'], unique=False)
    op.create_table('duty_roster_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('hall', sa.String(63), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('window', sa.String(63), nullable=False),
    sa.Column('seat', sa.String(63), nullable=True),
    sa.Column('staff_id', sa.String(64), nullable=False),
    sa.Column('role', sa.String(8), nullable=False),
    sa.Column('holiday', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['duty_roster_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_duty_roster_entry_day', 'duty_roster_entry', ['hall', 'day'], unique=False)
    op.create_index(op.f('ix_duty_roster_entry_version_id'), 'duty_roster_entry', ['version_id'], unique=False)
    


def downgrade() -> None:
    op.drop_index(op.f('ix_duty_roster_entry_version_id'), table_name='duty_roster_entry')
    op.drop_index('ix_duty_roster_entry_day', table_name='duty_roster_entry')
    op.drop_table('duty_roster_entry')
    op.drop_index(op.f('ix_duty_check_item_check_id'), table_name='duty_check_item')
    op.drop_table('duty_check_item')
    op.drop_table('duty_seat_holder')
    op.drop_index(op.f('ix_duty_rotation_hall'), table_name='duty_rotation')
    op.drop_table('duty_rotation')
    op.drop_table('duty_roster_version')
    op.drop_table('duty_policy')
    op.drop_table('duty_overtime')
    op.drop_table('duty_opening_ack')
    op.drop_index('ix_duty_log_day', table_name='duty_log')
    op.drop_table('duty_log')
    op.drop_index('ix_duty_leader_day', table_name='duty_leader_sitting')
    op.drop_table('duty_leader_sitting')
    op.drop_index('ix_duty_inspection_at', table_name='duty_inspection')
    op.drop_table('duty_inspection')
    op.drop_index(op.f('ix_duty_chief_standin_hall'), table_name='duty_chief_standin')
    op.drop_table('duty_chief_standin')
    op.drop_table('duty_check')
    op.drop_table('duty_assessment')
    
