"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26

Check-ins and scores are partitioned by month; partitions from 12 months back to 24 ahead
are created here, and `rapport timeline partitions` creates more later.
"""

from alembic import op
import sqlalchemy as sa
from datetime import date

from sqlalchemy.dialects import postgresql

from services.common.partitions import partition_ddl

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_audit',
    sa.Column('audit_id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('therapist_id', sa.UUID(), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=True),
    sa.Column('action', sa.String(length=48), nullable=False, comment='e.g. timeline.read, alert.acknowledge'),
    sa.Column('resource', sa.String(length=200), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('audit_id', name=op.f('pk_access_audit'))
    )
    op.create_index(op.f('ix_access_audit_client_id_at'), 'access_audit', ['client_id', 'at'], unique=False)
    op.create_index(op.f('ix_access_audit_therapist_id_at'), 'access_audit', ['therapist_id', 'at'], unique=False)
    op.create_table('alerts',
    sa.Column('alert_id', sa.UUID(), nullable=False),
    sa.Column('signal_id', sa.UUID(), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('delivery', sa.String(length=16), server_default='push', nullable=False, comment='push, digest or suppressed'),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.UUID(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.UUID(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True, comment='durable escalation timer; null when none is due'),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('open', 'acknowledged', 'resolved')", name=op.f('ck_alerts_state')),
    sa.PrimaryKeyConstraint('alert_id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('signal_id', name=op.f('uq_alerts_signal_id'))
    )
    op.create_index(op.f('ix_alerts_client_id_created_at'), 'alerts', ['client_id', 'created_at'], unique=False)
    op.create_index('ix_alerts_escalation_due', 'alerts', ['escalate_at'], unique=False, postgresql_where='escalate_at is not null and escalated_at is null')
    op.create_table('checkins',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False, comment="the day in the client's own timezone"),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('help_requested', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('goals', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('event_id', 'occurred_at', name=op.f('pk_checkins')),
    postgresql_partition_by='RANGE (occurred_at)'
    )
    op.create_index(op.f('ix_checkins_client_id_occurred_at'), 'checkins', ['client_id', 'occurred_at'], unique=False)
    op.create_table('clients',
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('plan', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False, comment='check-in plan: instruments, cadence, goals'),
    sa.Column('thresholds', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False, comment='care-plan overrides of detector rules'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_clients'))
    )
    op.create_table('scores',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instrument', sa.String(length=16), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True, comment='null when the questionnaire is incomplete'),
    sa.Column('items_answered', sa.Integer(), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'occurred_at', 'instrument', name=op.f('pk_scores')),
    postgresql_partition_by='RANGE (occurred_at)'
    )
    op.create_index(op.f('ix_scores_client_id_instrument_occurred_at'), 'scores', ['client_id', 'instrument', 'occurred_at'], unique=False)
    op.create_table('signals',
    sa.Column('signal_id', sa.UUID(), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trigger_event_ids', sa.ARRAY(sa.UUID()), server_default='{}', nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('signal_id', name=op.f('pk_signals'))
    )
    op.create_index(op.f('ix_signals_client_id_observed_at'), 'signals', ['client_id', 'observed_at'], unique=False)
    op.create_table('therapists',
    sa.Column('therapist_id', sa.UUID(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('therapist_id', name=op.f('pk_therapists')),
    sa.UniqueConstraint('email', name=op.f('uq_therapists_email'))
    )
    op.create_table('alert_events',
    sa.Column('event_id', sa.UUID(), nullable=False),
    sa.Column('alert_id', sa.UUID(), nullable=False),
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('transition', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recipients', sa.ARRAY(sa.UUID()), server_default='{}', nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.alert_id'], name=op.f('fk_alert_events_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_alert_events'))
    )
    op.create_index(op.f('ix_alert_events_alert_id_occurred_at'), 'alert_events', ['alert_id', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_alert_events_client_id_occurred_at'), 'alert_events', ['client_id', 'occurred_at'], unique=False)
    op.create_table('care_team_members',
    sa.Column('client_id', sa.UUID(), nullable=False),
    sa.Column('therapist_id', sa.UUID(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role in ('primary', 'member', 'escalation')", name=op.f('ck_care_team_members_role')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_care_team_members_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['therapists.therapist_id'], name=op.f('fk_care_team_members_therapist_id_therapists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'therapist_id', name=op.f('pk_care_team_members'))
    )
    op.create_index(op.f('ix_care_team_members_therapist_id'), 'care_team_members', ['therapist_id'], unique=False)
    today = date.today()
    for statement in partition_ddl(date(today.year - 1, today.month, 1), 36):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index(op.f('ix_care_team_members_therapist_id'), table_name='care_team_members')
    op.drop_table('care_team_members')
    op.drop_index(op.f('ix_alert_events_client_id_occurred_at'), table_name='alert_events')
    op.drop_index(op.f('ix_alert_events_alert_id_occurred_at'), table_name='alert_events')
    op.drop_table('alert_events')
    op.drop_table('therapists')
    op.drop_index(op.f('ix_signals_client_id_observed_at'), table_name='signals')
    op.drop_table('signals')
    op.drop_index(op.f('ix_scores_client_id_instrument_occurred_at'), table_name='scores')
    op.drop_table('scores')
    op.drop_table('clients')
    op.drop_index(op.f('ix_checkins_client_id_occurred_at'), table_name='checkins')
    op.drop_table('checkins')
    op.drop_index('ix_alerts_escalation_due', table_name='alerts', postgresql_where='escalate_at is not null and escalated_at is null')
    op.drop_index(op.f('ix_alerts_client_id_created_at'), table_name='alerts')
    op.drop_table('alerts')
    op.drop_index(op.f('ix_access_audit_therapist_id_at'), table_name='access_audit')
    op.drop_index(op.f('ix_access_audit_client_id_at'), table_name='access_audit')
    op.drop_table('access_audit')
