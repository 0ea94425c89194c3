"""The notifier's alert SQL: open one alert per signal and fire due escalation timers."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.alert import AlertEvent, AlertState, AlertTransition
from schemas.signal import SignalDetected
from services.common.alerts import alert_event_id, alert_id_for, care_team, event_for, record_event
from services.common.tables import alert_events, alerts, signals
from services.notifier.core import AlertPolicy, Decision, Delivery

SYSTEM = "system"
Publish = Callable[[list[AlertEvent]], Awaitable[None]]
Enqueue = Callable[[AsyncConnection, AlertEvent, datetime | None], Awaitable[None]]


async def _no_outbox(conn: AsyncConnection, event: AlertEvent, not_before: datetime | None) -> None:
    return None


class AlertStore:
    """Idempotent alert writes; `enqueue` adds channel deliveries (the webhook outbox) in the same transaction."""

    def __init__(self, engine: AsyncEngine, enqueue: Enqueue = _no_outbox):
        self.engine = engine
        self.enqueue = enqueue

    def transaction(self):
        """One transaction for a batch of signals: one commit (one WAL flush) instead of one per signal."""
        return self.engine.begin()

    async def open_alert(self, conn: AsyncConnection, signal: SignalDetected, policy: AlertPolicy,
                         now: datetime) -> tuple[AlertEvent, Decision | None]:
        """Store the signal and its one alert with the `opened` step; on redelivery return the stored step.

        Runs in a savepoint of the caller's transaction, so a signal PostgreSQL refuses can be skipped
        without losing the rest of the batch. The decision is None when the alert already existed.
        """
        alert_id = alert_id_for(signal.signal_id)
        async with conn.begin_nested():
            await conn.execute(pg_insert(signals).values(_signal_row(signal)).on_conflict_do_nothing(index_elements=["signal_id"]))
            if (existing := await self._opened_event(conn, alert_id)) is not None:
                return existing, None
            team = await care_team(conn, signal.client_id)
            decision = policy.decide(signal, team, await self._nearest_push(conn, signal), now)
            inserted = await conn.execute(
                pg_insert(alerts)
                .values(alert_id=alert_id, signal_id=signal.signal_id, client_id=signal.client_id, kind=signal.kind.value,
                        severity=signal.severity.value, summary=signal.summary, state=AlertState.OPEN.value,
                        delivery=decision.delivery.value, observed_at=signal.observed_at, created_at=now,
                        escalate_at=decision.escalate_at)
                .on_conflict_do_nothing()
                .returning(*alerts.c)
            )
            row = inserted.first()
            if row is None:  # another instance won the race after a rebalance
                return await self._opened_event(conn, alert_id), None
            event = event_for(row, AlertTransition.OPENED, AlertState.OPEN, SYSTEM, now, decision.recipients)
            await record_event(conn, event)
            if decision.delivery is Delivery.PUSH:
                await self.enqueue(conn, event, decision.hold_until)
            return event, decision

    async def _nearest_push(self, conn: AsyncConnection, signal: SignalDetected) -> datetime | None:
        distance = func.abs(func.extract("epoch", alerts.c.observed_at - signal.observed_at))
        return await conn.scalar(
            select(alerts.c.observed_at)
            .where(alerts.c.client_id == signal.client_id, alerts.c.kind == signal.kind.value,
                   alerts.c.delivery == Delivery.PUSH.value)
            .order_by(distance)
            .limit(1)
        )

    async def _opened_event(self, conn: AsyncConnection, alert_id: UUID) -> AlertEvent | None:
        found = (
            await conn.execute(
                select(alerts, alert_events.c.actor, alert_events.c.recipients, alert_events.c.occurred_at.label("step_at"))
                .join(alert_events, alert_events.c.alert_id == alerts.c.alert_id)
                .where(alerts.c.alert_id == alert_id,
                       alert_events.c.event_id == alert_event_id(alert_id, AlertTransition.OPENED))
            )
        ).first()
        if found is None:
            return None
        return event_for(found, AlertTransition.OPENED, AlertState.OPEN, found.actor, found.step_at, list(found.recipients))

    async def escalate_due(self, now: datetime, publish: Publish, limit: int = 50) -> list[AlertEvent]:
        """Fire due timers of unacknowledged alerts: mark, record the `escalated` step, publish, then commit.

        Publishing before the commit makes this at-least-once: if the commit fails, the timer is still
        due and the same (deterministic) event is published again. SKIP LOCKED lets instances share the work.
        """
        async with self.engine.begin() as conn:
            due = (
                await conn.execute(
                    select(alerts)
                    .where(alerts.c.escalate_at <= now, alerts.c.escalated_at.is_(None),
                           alerts.c.state == AlertState.OPEN.value)
                    .order_by(alerts.c.escalate_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            events = []
            for row in due:
                await conn.execute(update(alerts).where(alerts.c.alert_id == row.alert_id).values(escalated_at=now))
                team = await care_team(conn, row.client_id)
                event = event_for(row, AlertTransition.ESCALATED, AlertState.OPEN, SYSTEM, now, team.escalation_recipients())
                await record_event(conn, event)
                await self.enqueue(conn, event, None)
                events.append(event)
            if events:
                await publish(events)
            return events

    async def escalations_pending(self) -> int:
        """Open alerts whose escalation timer is set and has not fired yet."""
        async with self.engine.connect() as conn:
            return await conn.scalar(
                select(func.count()).select_from(alerts)
                .where(alerts.c.escalate_at.is_not(None), alerts.c.escalated_at.is_(None),
                       alerts.c.state == AlertState.OPEN.value)
            )


def _signal_row(signal: SignalDetected) -> dict:
    return {
        "signal_id": signal.signal_id, "client_id": signal.client_id, "kind": signal.kind.value,
        "severity": signal.severity.value, "observed_at": signal.observed_at, "detected_at": signal.detected_at,
        "trigger_event_ids": signal.trigger_event_ids, "evidence": signal.model_dump(mode="json")["evidence"],
        "summary": signal.summary,
    }

