"""`rapport notifier webhooks`: what the webhook channel delivered, what failed, and a way to retry it."""

from services.common.db import make_engine
from services.notifier.adapters import webhook_admin
from services.notifier.config import NotifierSettings


async def webhook_report(settings: NotifierSettings, failures: int, retry: bool) -> str:
    """Plain text: counts by status, the latest failures (no payloads), and how many were re-queued."""
    engine = make_engine(settings)
    try:
        requeued = await webhook_admin.retry_failed(engine) if retry else None
        counts = await webhook_admin.status_counts(engine)
        failed = await webhook_admin.latest_failures(engine, failures)
    finally:
        await engine.dispose()
    lines = ["deliveries: " + (", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none")]
    if requeued is not None:
        lines.append(f"re-queued {requeued} failed deliver{'y' if requeued == 1 else 'ies'}")
    for row in failed:
        lines.append(f"failed {row.delivery_id} alert {row.alert_id} after {row.attempts} attempt(s): "
                     f"{row.last_error or '-'} ({row.created_at:%Y-%m-%d %H:%M:%S %Z})")
    return "\n".join(lines) + "\n"
