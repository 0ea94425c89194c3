"""The escalation loop: durable timers live in `alerts.escalate_at`, so a restart loses none of them."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.common.metrics import REGISTRY
from services.notifier.adapters.store import AlertStore, Publish

log = logging.getLogger(__name__)
escalations_total = REGISTRY.counter("rapport_notifier_escalations_total", "alerts escalated to the escalation contact")
escalations_pending = REGISTRY.gauge("rapport_notifier_escalations_pending", "open alerts whose escalation timer runs")
escalation_errors = REGISTRY.counter("rapport_notifier_escalation_errors_total", "failed rounds of the escalation loop")


class EscalationTimers:
    """Every `poll_s`, fire the due timers (also those that fell due while no notifier was running)."""

    def __init__(self, store: AlertStore, publish: Publish, poll_s: float,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.publish, self.poll_s, self.clock = store, publish, poll_s, clock

    async def run_once(self) -> int:
        """Fire what is due now; return how many alerts escalated."""
        events = await self.store.escalate_due(self.clock(), self.publish)
        for event in events:
            escalations_total.inc()
            log.info("alert escalated", extra={"alert_id": str(event.alert_id), "kind": event.kind.value,
                                               "recipients": len(event.recipients)})
        escalations_pending.set(await self.store.escalations_pending())
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                fired = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - database or broker down: the timers wait in their rows
                escalation_errors.inc()
                log.warning("escalation round failed", extra={"error": type(exc).__name__, "detail": str(exc)[:300]})
                fired = 0
            if fired == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.poll_s)
