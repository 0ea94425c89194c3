"""The PostgreSQL schema as SQLAlchemy Core tables; alembic migrations in `migrations/` create it.

Check-ins and scores are partitioned by month on `occurred_at` (see migration 0001); their
idempotency key is therefore (event_id, occurred_at): a redelivered event has both unchanged.
"""

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)


def _created():
    return Column("created_at", TS, nullable=False, server_default=func.now())


therapists = Table(
    "therapists",
    metadata,
    Column("therapist_id", UUID(as_uuid=True), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320), nullable=True, unique=True),
    _created(),
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", UUID(as_uuid=True), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("plan", JSONB, nullable=False, server_default="{}", comment="check-in plan: instruments, cadence, goals"),
    Column("thresholds", JSONB, nullable=False, server_default="{}", comment="care-plan overrides of detector rules"),
    _created(),
)

care_team_members = Table(
    "care_team_members",
    metadata,
    Column("client_id", UUID(as_uuid=True), ForeignKey("clients.client_id", ondelete="CASCADE"), nullable=False),
    Column("therapist_id", UUID(as_uuid=True), ForeignKey("therapists.therapist_id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    PrimaryKeyConstraint("client_id", "therapist_id"),
    CheckConstraint("role in ('primary', 'member', 'escalation')", name="role"),
    Index(None, "therapist_id"),
)

checkins = Table(
    "checkins",
    metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("client_id", UUID(as_uuid=True), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("local_date", Date, nullable=False, comment="the day in the client's own timezone"),
    Column("received_at", TS, nullable=False, server_default=func.now()),
    Column("help_requested", Boolean, nullable=False, server_default="false"),
    Column("answers", JSONB, nullable=False),
    Column("goals", JSONB, nullable=False, server_default="[]"),
    Column("note", Text, nullable=True),
    Column("source", JSONB, nullable=True),
    PrimaryKeyConstraint("event_id", "occurred_at"),
    Index(None, "client_id", "occurred_at"),
    postgresql_partition_by="RANGE (occurred_at)",
)

scores = Table(
    "scores",
    metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("occurred_at", TS, nullable=False),
    Column("instrument", String(16), nullable=False),
    Column("client_id", UUID(as_uuid=True), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("value", Float, nullable=True, comment="null when the questionnaire is incomplete"),
    Column("items_answered", Integer, nullable=False),
    Column("detail", JSONB, nullable=False, server_default="{}"),
    PrimaryKeyConstraint("event_id", "occurred_at", "instrument"),
    Index(None, "client_id", "instrument", "occurred_at"),
    postgresql_partition_by="RANGE (occurred_at)",
)

signals = Table(
    "signals",
    metadata,
    Column("signal_id", UUID(as_uuid=True), primary_key=True),
    Column("client_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(48), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("observed_at", TS, nullable=False),
    Column("detected_at", TS, nullable=False),
    Column("trigger_event_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("evidence", JSONB, nullable=False, server_default="{}"),
    Column("summary", Text, nullable=False),
    Column("stored_at", TS, nullable=False, server_default=func.now()),
    Index(None, "client_id", "observed_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", UUID(as_uuid=True), primary_key=True),
    Column("signal_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("client_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(48), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("state", String(16), nullable=False, server_default="open"),
    Column("delivery", String(16), nullable=False, server_default="push", comment="push, digest or suppressed"),
    Column("observed_at", TS, nullable=False),
    _created(),
    Column("acknowledged_at", TS, nullable=True),
    Column("acknowledged_by", UUID(as_uuid=True), nullable=True),
    Column("resolved_at", TS, nullable=True),
    Column("resolved_by", UUID(as_uuid=True), nullable=True),
    Column("resolution_note", Text, nullable=True),
    Column("escalate_at", TS, nullable=True, comment="durable escalation timer; null when none is due"),
    Column("escalated_at", TS, nullable=True),
    CheckConstraint("state in ('open', 'acknowledged', 'resolved')", name="state"),
    Index(None, "client_id", "created_at"),
    Index("ix_alerts_escalation_due", "escalate_at", postgresql_where="escalate_at is not null and escalated_at is null"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("alert_id", UUID(as_uuid=True), ForeignKey("alerts.alert_id", ondelete="CASCADE"), nullable=False),
    Column("client_id", UUID(as_uuid=True), nullable=False),
    Column("transition", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("recipients", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("occurred_at", TS, nullable=False),
    Index(None, "alert_id", "occurred_at"),
    Index(None, "client_id", "occurred_at"),
)

access_audit = Table(
    "access_audit",
    metadata,
    Column("audit_id", BigInteger, primary_key=True, autoincrement=True),
    Column("therapist_id", UUID(as_uuid=True), nullable=False),
    Column("client_id", UUID(as_uuid=True), nullable=True),
    Column("action", String(48), nullable=False, comment="e.g. timeline.read, alert.acknowledge"),
    Column("resource", String(200), nullable=True),
    Column("at", TS, nullable=False, server_default=func.now()),
    Column("detail", JSONB, nullable=False, server_default="{}"),
    Index(None, "client_id", "at"),
    Index(None, "therapist_id", "at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", UUID(as_uuid=True), primary_key=True, comment="uuid5 of (alert event id, url)"),
    Column("event_id", UUID(as_uuid=True), ForeignKey("alert_events.event_id", ondelete="CASCADE"), nullable=False),
    Column("alert_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("payload", JSONB, nullable=False, comment="the AlertEvent as sent; signed at send time"),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TS, nullable=False, server_default=func.now(), comment="also the lease of an attempt in flight"),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    _created(),
    Column("delivered_at", TS, nullable=True),
    CheckConstraint("status in ('pending', 'delivered', 'failed', 'cancelled')", name="status"),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
    Index(None, "alert_id"),
)
