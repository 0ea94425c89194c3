"""Operator views of the webhook outbox: counts by status, the latest failures, and retrying them."""

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.tables import webhook_deliveries as deliveries


async def status_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status))
        return dict(rows.all())


async def latest_failures(engine: AsyncEngine, limit: int) -> list[Row]:
    """The most recent failed deliveries, without their payloads."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(deliveries.c.delivery_id, deliveries.c.alert_id, deliveries.c.url, deliveries.c.attempts,
                   deliveries.c.last_status_code, deliveries.c.last_error, deliveries.c.created_at)
            .where(deliveries.c.status == "failed").order_by(deliveries.c.created_at.desc()).limit(limit)
        )
        return rows.all()


async def retry_failed(engine: AsyncEngine) -> int:
    """Put every failed delivery back in the queue with a fresh attempt budget; return how many."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(deliveries).where(deliveries.c.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=func.now())
        )
        return result.rowcount
