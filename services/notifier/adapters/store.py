"""The notifier's alert SQL: open one alert per signal (a batch in a few statements) and fire due escalation timers."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, Integer, String, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.alert import AlertEvent, AlertState, AlertTransition
from schemas.signal import SignalDetected
from services.common.alerts import (
    alert_event_id, alert_id_for, care_team, care_teams, event_for, record_event, record_events,
)
from services.common.tables import alert_events, alerts
from services.common.tables import signals as signals_table
from services.notifier.core import AlertPolicy, Decision, Delivery

SYSTEM = "system"
Publish = Callable[[list[AlertEvent]], Awaitable[None]]
Page = tuple[AlertEvent, datetime | None]  # a pushed step and when its page may go out (None: now)
Enqueue = Callable[[AsyncConnection, list[Page]], Awaitable[None]]
Opened = tuple[AlertEvent, Decision | None]  # the `opened` step; no decision when the alert already existed


async def _no_outbox(conn: AsyncConnection, pages: list[Page]) -> None:
    return None


class AlertStore:
    """Idempotent alert writes; `enqueue` adds channel deliveries (the webhook outbox) in the same transaction."""

    def __init__(self, engine: AsyncEngine, enqueue: Enqueue = _no_outbox):
        self.engine = engine
        self.enqueue = enqueue

    def transaction(self):
        """One transaction for a batch of signals: one commit (one WAL flush) instead of one per signal."""
        return self.engine.begin()

    async def open_alerts(self, conn: AsyncConnection, batch: list[SignalDetected], policy: AlertPolicy,
                          now: datetime) -> list[Opened]:
        """Open the alerts of a batch of signals with one statement per table, whatever the batch size.

        The statements are compiled once and sent as executemany or with array parameters: a multi-row
        VALUES statement would be compiled anew for each batch, which costs more than the round trips it saves.

        Returns one `Opened` per distinct signal id, in batch order. Decisions are taken in batch order and
        see the pushes decided earlier in the same batch, exactly as if the signals came one by one. A
        signal PostgreSQL refuses (SQLSTATE class 22) fails the whole statement: the caller rolls back
        and falls back to `open_alert` per signal to find it.
        """
        signals = _first_copies(batch)
        if not signals:
            return []
        await conn.execute(pg_insert(signals_table).on_conflict_do_nothing(index_elements=["signal_id"]),
                           [_signal_row(s) for s in signals])
        stored = await self._opened_events(conn, [alert_id_for(s.signal_id) for s in signals])
        fresh = [s for s in signals if alert_id_for(s.signal_id) not in stored]
        decisions = await self._decide(conn, fresh, policy, now)
        rows = await self._insert_alerts(conn, fresh, decisions, now)
        events = {row.signal_id: event_for(row, AlertTransition.OPENED, AlertState.OPEN, SYSTEM, now,
                                           decisions[row.signal_id].recipients) for row in rows}
        await record_events(conn, list(events.values()))
        await self.enqueue(conn, [(events[s.signal_id], decisions[s.signal_id].hold_until) for s in fresh
                                  if s.signal_id in events and decisions[s.signal_id].delivery is Delivery.PUSH])
        lost = [alert_id_for(s.signal_id) for s in fresh if s.signal_id not in events]  # another instance won the race
        stored |= await self._opened_events(conn, lost) if lost else {}
        return [(events[s.signal_id], decisions[s.signal_id]) if s.signal_id in events
                else (stored[alert_id_for(s.signal_id)], None) for s in signals]

    async def _decide(self, conn: AsyncConnection, signals: list[SignalDetected], policy: AlertPolicy,
                      now: datetime) -> dict[UUID, Decision]:
        if not signals:
            return {}
        teams = await care_teams(conn, [s.client_id for s in signals])
        nearest_stored = await self._nearest_pushes(conn, signals)
        pushed: dict[tuple[UUID, str], list[datetime]] = {}  # pushes decided earlier in this batch
        decisions = {}
        for signal, stored_at in zip(signals, nearest_stored, strict=True):
            key = (signal.client_id, signal.kind.value)
            candidates = [t for t in (stored_at, *pushed.get(key, ())) if t is not None]
            nearest = min(candidates, key=lambda t: abs(t - signal.observed_at), default=None)
            decision = policy.decide(signal, teams[signal.client_id], nearest, now)
            if decision.delivery is Delivery.PUSH:
                pushed.setdefault(key, []).append(signal.observed_at)
            decisions[signal.signal_id] = decision
        return decisions

    async def _nearest_pushes(self, conn: AsyncConnection, signals: list[SignalDetected]) -> list[datetime | None]:
        """Per signal, observed_at of the stored pushed alert of its client and kind nearest in event time."""
        probe = func.unnest(
            bindparam("i", list(range(len(signals))), ARRAY(Integer)),
            bindparam("client_id", [s.client_id for s in signals], ARRAY(PG_UUID(as_uuid=True))),
            bindparam("kind", [s.kind.value for s in signals], ARRAY(String)),
            bindparam("observed_at", [s.observed_at for s in signals], ARRAY(DateTime(timezone=True))),
        ).table_valued("i", "client_id", "kind", "observed_at").render_derived(name="probe")
        nearest = (
            select(alerts.c.observed_at)
            .where(alerts.c.client_id == probe.c.client_id, alerts.c.kind == probe.c.kind,
                   alerts.c.delivery == Delivery.PUSH.value)
            .order_by(func.abs(func.extract("epoch", alerts.c.observed_at - probe.c.observed_at)))
            .limit(1)
            .scalar_subquery()
        )
        found = dict((await conn.execute(select(probe.c.i, nearest))).all())
        return [found.get(i) for i in range(len(signals))]

    async def _insert_alerts(self, conn: AsyncConnection, signals: list[SignalDetected], decisions: dict[UUID, Decision],
                             now: datetime) -> list:
        if not signals:
            return []
        inserted = await conn.execute(
            pg_insert(alerts).on_conflict_do_nothing().returning(*alerts.c),
            [{"alert_id": alert_id_for(s.signal_id), "signal_id": s.signal_id, "client_id": s.client_id,
              "kind": s.kind.value, "severity": s.severity.value, "summary": s.summary, "state": AlertState.OPEN.value,
              "delivery": decisions[s.signal_id].delivery.value, "observed_at": s.observed_at, "created_at": now,
              "escalate_at": decisions[s.signal_id].escalate_at} for s in signals],
        )
        return inserted.all()

    async def open_alert(self, conn: AsyncConnection, signal: SignalDetected, policy: AlertPolicy,
                         now: datetime) -> tuple[AlertEvent, Decision | None]:
        """One signal at a time (the fallback of `open_alerts`): store it with its alert and `opened` step.

        Runs in a savepoint of the caller's transaction, so a signal PostgreSQL refuses can be skipped
        without losing the rest of the batch. On redelivery the stored step comes back without a decision.
        """
        alert_id = alert_id_for(signal.signal_id)
        async with conn.begin_nested():
            await conn.execute(pg_insert(signals_table).values(_signal_row(signal)).on_conflict_do_nothing(index_elements=["signal_id"]))
            if (existing := (await self._opened_events(conn, [alert_id])).get(alert_id)) is not None:
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
                return (await self._opened_events(conn, [alert_id]))[alert_id], None
            event = event_for(row, AlertTransition.OPENED, AlertState.OPEN, SYSTEM, now, decision.recipients)
            await record_event(conn, event)
            if decision.delivery is Delivery.PUSH:
                await self.enqueue(conn, [(event, decision.hold_until)])
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

    async def _opened_events(self, conn: AsyncConnection, alert_ids: list[UUID]) -> dict[UUID, AlertEvent]:
        """The stored `opened` steps of those of these alerts that exist."""
        found = await conn.execute(
            select(alerts, alert_events.c.actor, alert_events.c.recipients, alert_events.c.occurred_at.label("step_at"))
            .join(alert_events, alert_events.c.alert_id == alerts.c.alert_id)
            .where(alerts.c.alert_id == any_(bindparam("alert_ids", alert_ids, ARRAY(PG_UUID(as_uuid=True)))),
                   alert_events.c.transition == AlertTransition.OPENED.value)
        )
        return {row.alert_id: event_for(row, AlertTransition.OPENED, AlertState.OPEN, row.actor, row.step_at,
                                        list(row.recipients)) for row in found}

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
            if not due:
                return []
            await conn.execute(update(alerts).where(alerts.c.alert_id.in_([r.alert_id for r in due])).values(escalated_at=now))
            teams = await care_teams(conn, [r.client_id for r in due])
            events = [event_for(row, AlertTransition.ESCALATED, AlertState.OPEN, SYSTEM, now,
                                teams[row.client_id].escalation_recipients()) for row in due]
            await record_events(conn, events)
            await self.enqueue(conn, [(event, None) for event in events])
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


def _first_copies(batch: list[SignalDetected]) -> list[SignalDetected]:
    """The batch without redelivered copies (same signal id), in the order of their first appearance."""
    first: dict[UUID, SignalDetected] = {}
    for signal in batch:
        first.setdefault(signal.signal_id, signal)
    return list(first.values())


def _signal_row(signal: SignalDetected) -> dict:
    return {
        "signal_id": signal.signal_id, "client_id": signal.client_id, "kind": signal.kind.value,
        "severity": signal.severity.value, "observed_at": signal.observed_at, "detected_at": signal.detected_at,
        "trigger_event_ids": signal.trigger_event_ids, "evidence": signal.model_dump(mode="json")["evidence"],
        "summary": signal.summary,
    }

