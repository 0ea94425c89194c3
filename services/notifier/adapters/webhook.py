"""The webhook channel: a durable outbox row per pushed alert step, and a sender that signs and retries.

The outbox row is written in the same transaction as the alert step, so a crash can delay a page
but never lose it. The sender claims due rows with SKIP LOCKED and leases them (`next_attempt_at`
moves past the request timeout), so an attempt cut short by a crash is retried by whoever runs next.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid5

import httpx
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from schemas.alert import AlertEvent, AlertState
from services.common.metrics import REGISTRY
from services.common.tables import alerts
from services.common.tables import webhook_deliveries as deliveries
from services.notifier.core.webhook import is_permanent_failure, retry_delay, signed_headers

DELIVERY_NAMESPACE = UUID("5e0f7a0c-3d2b-4b8e-9f61-2c4d8a7b1e93")
log = logging.getLogger(__name__)
outcomes = REGISTRY.counter("rapport_notifier_webhook_deliveries_total", "webhook attempts by outcome", ["outcome"])
failures = REGISTRY.counter("rapport_notifier_webhook_failures_total", "webhook attempts that did not succeed")
pending_gauge = REGISTRY.gauge("rapport_notifier_webhook_pending", "webhook deliveries waiting for an attempt")


class WebhookOutbox:
    """`AlertStore.enqueue`: one delivery row per (alert step, url); a redelivered step adds nothing."""

    def __init__(self, url: str):
        self.url = url

    async def enqueue(self, conn: AsyncConnection, pages: list[tuple[AlertEvent, datetime | None]]) -> None:
        """Add one delivery per (step, not_before) in one statement; `not_before` (end of quiet hours) delays
        the first attempt, None means now."""
        if not pages:
            return
        await conn.execute(
            pg_insert(deliveries)
            .values(next_attempt_at=func.coalesce(bindparam("not_before", type_=deliveries.c.next_attempt_at.type), func.now()))
            .on_conflict_do_nothing(index_elements=["delivery_id"]),
            [{"delivery_id": uuid5(DELIVERY_NAMESPACE, f"{event.event_id}|{self.url}"), "event_id": event.event_id,
              "alert_id": event.alert_id, "url": self.url, "payload": event.model_dump(mode="json"),
              "not_before": not_before} for event, not_before in pages],
        )


class WebhookSender:
    """Send due deliveries: 2xx delivered; 4xx (not 408/429) failed at once; else retried with back-off.

    Deliveries of alerts no longer open (acknowledged or resolved meanwhile) are cancelled, not sent.
    """

    def __init__(self, engine: AsyncEngine, client: httpx.AsyncClient, secret: str, *, max_attempts: int,
                 backoff_initial_s: float, backoff_max_s: float, timeout_s: float, poll_s: float,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.engine, self.client, self.secret, self.clock = engine, client, secret, clock
        self.max_attempts, self.timeout_s, self.poll_s = max_attempts, timeout_s, poll_s
        self.backoff = (backoff_initial_s, backoff_max_s)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - database down: the rows wait
                log.warning("webhook round failed", extra={"error": type(exc).__name__, "detail": str(exc)[:300]})
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_s)

    async def run_once(self, limit: int = 20) -> int:
        """Attempt every due delivery once (concurrently); return how many were attempted."""
        claimed = await self._claim(limit)
        await asyncio.gather(*(self._attempt(row) for row in claimed))
        async with self.engine.connect() as conn:
            pending_gauge.set(await conn.scalar(select(func.count()).select_from(deliveries).where(deliveries.c.status == "pending")))
        return len(claimed)

    async def _claim(self, limit: int) -> list[Row]:
        now = self.clock()
        async with self.engine.begin() as conn:
            await self._cancel_settled(conn)
            due = (
                select(deliveries.c.delivery_id)
                .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
                .order_by(deliveries.c.next_attempt_at).limit(limit).with_for_update(skip_locked=True)
            ).scalar_subquery()
            lease = now + timedelta(seconds=self.timeout_s * 2 + 1)
            claimed = await conn.execute(
                update(deliveries).where(deliveries.c.delivery_id.in_(due))
                .values(attempts=deliveries.c.attempts + 1, next_attempt_at=lease)
                .returning(deliveries.c.delivery_id, deliveries.c.url, deliveries.c.payload, deliveries.c.attempts)
            )
            return claimed.all()

    async def _cancel_settled(self, conn: AsyncConnection) -> None:
        """A page about an alert someone already acknowledged or resolved would only be noise: drop it."""
        cancelled = await conn.execute(
            update(deliveries)
            .where(deliveries.c.status == "pending", deliveries.c.alert_id == alerts.c.alert_id,
                   alerts.c.state != AlertState.OPEN.value)
            .values(status="cancelled", last_error="alert " + alerts.c.state + " before delivery")
            .returning(deliveries.c.delivery_id)
        )
        for _ in cancelled:
            outcomes.inc(outcome="cancelled")

    async def _attempt(self, row: Row) -> None:
        body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode()
        headers = signed_headers(self.secret, int(self.clock().timestamp()), body, str(row.delivery_id))
        status_code, error = None, None
        try:
            response = await self.client.post(row.url, content=body, headers=headers, timeout=self.timeout_s)
            status_code = response.status_code
            if not response.is_success:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        await self._record(row, status_code, error)

    async def _record(self, row: Row, status_code: int | None, error: str | None) -> None:
        now = self.clock()
        if error is None:
            outcome, values = "delivered", {"status": "delivered", "delivered_at": now}
        elif (status_code and is_permanent_failure(status_code)) or row.attempts >= self.max_attempts:
            outcome, values = "failed", {"status": "failed"}
        else:
            outcome, values = "retry", {"next_attempt_at": now + retry_delay(row.attempts, *self.backoff)}
        async with self.engine.begin() as conn:
            await conn.execute(update(deliveries).where(deliveries.c.delivery_id == row.delivery_id)
                               .values(last_status_code=status_code, last_error=error, **values))
        outcomes.inc(outcome=outcome)
        if error is not None:
            failures.inc()
            log.warning("webhook attempt failed", extra={"delivery_id": str(row.delivery_id), "attempt": row.attempts,
                                                         "outcome": outcome, "error": error[:200]})
