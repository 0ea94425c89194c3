"""Accepting check-ins: answer a known event_id the same way, publish new ones, attach safety resources."""

import asyncio
import logging
from uuid import UUID

from schemas.checkin import CheckinSubmitted
from services.common.metrics import REGISTRY
from services.gateway.adapters.publisher import CheckinPublisher, KafkaUnavailable
from services.gateway.core.ledger import AcceptedLedger, EventIdConflict, fingerprint
from services.gateway.core.safety import safety_resources

log = logging.getLogger(__name__)
accepted_total = REGISTRY.counter("rapport_gateway_checkins_accepted_total", "check-ins acknowledged by Kafka")
repeats_total = REGISTRY.counter(
    "rapport_gateway_checkins_repeated_total", "resubmitted event ids answered from memory")
risk_total = REGISTRY.counter("rapport_gateway_risk_checkins_total", "accepted check-ins that carried a risk answer")


class CheckinIntake:
    """The gateway's use case: every accepted check-in was written to Kafka exactly when it says so."""

    def __init__(self, publisher: CheckinPublisher, ledger: AcceptedLedger, crisis_lines: dict[str, list]):
        self.publisher = publisher
        self.ledger = ledger
        self.crisis_lines = crisis_lines
        self._in_flight: dict[UUID, tuple[bytes, asyncio.Future]] = {}

    def answer(self, event: CheckinSubmitted) -> dict:
        """The 202 body for an accepted check-in."""
        body: dict = {"event_id": str(event.event_id), "status": "accepted"}
        resources = safety_resources(event, self.crisis_lines)
        if resources is not None:
            body["safety_resources"] = resources
        return body

    async def submit(self, event: CheckinSubmitted) -> dict:
        """Accept one check-in; raise KafkaUnavailable (nothing accepted) or EventIdConflict."""
        [outcome] = await self.submit_many([event])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def submit_many(self, events: list[CheckinSubmitted]) -> list[dict | Exception]:
        """Accept several check-ins in one Kafka round trip; per event the answer or the reason it failed."""
        outcomes: list[dict | Exception | None] = [None] * len(events)
        fresh: dict[UUID, tuple[CheckinSubmitted, asyncio.Future]] = {}
        waits: list[tuple[int, asyncio.Future]] = []
        for index, event in enumerate(events):
            try:
                known = self.ledger.accepted(event)
            except EventIdConflict as conflict:
                outcomes[index] = conflict
                continue
            if known:
                repeats_total.inc()
                outcomes[index] = self.answer(event)
            elif event.event_id in self._in_flight:
                digest, future = self._in_flight[event.event_id]
                if digest != fingerprint(event):
                    outcomes[index] = EventIdConflict(f"event_id {event.event_id} is in use for a different check-in")
                else:
                    waits.append((index, future))
            else:
                future = asyncio.get_running_loop().create_future()
                self._in_flight[event.event_id] = (fingerprint(event), future)
                fresh[event.event_id] = (event, future)
                waits.append((index, future))
        if fresh:
            await self._publish(list(fresh.values()))
        for index, future in waits:
            try:
                outcomes[index] = await asyncio.shield(future)
            except Exception as failure:  # noqa: BLE001 - reported per event
                outcomes[index] = failure
        return outcomes

    async def _publish(self, batch: list[tuple[CheckinSubmitted, asyncio.Future]]) -> None:
        events = [event for event, _ in batch]
        try:
            written = await self.publisher.publish_many(events)
        except KafkaUnavailable as exc:
            written, failure = [False] * len(events), exc
        except BaseException:
            # Cancelled (e.g. the caller went away): release any duplicate waiting on these writes, then go.
            self._settle(batch, [False] * len(events), KafkaUnavailable("the write was interrupted"))
            raise
        else:
            failure = KafkaUnavailable("Kafka did not acknowledge this check-in in time")
        self._settle(batch, written, failure)

    def _settle(self, batch: list[tuple[CheckinSubmitted, asyncio.Future]], written: list[bool],
                failure: KafkaUnavailable) -> None:
        for (event, future), ok in zip(batch, written):
            self._in_flight.pop(event.event_id, None)
            if ok:
                body = self.answer(event)
                self.ledger.remember(event)
                accepted_total.inc()
                if "safety_resources" in body:
                    risk_total.inc()
                    log.info("risk check-in accepted", extra={"event_id": str(event.event_id),
                                                              "client_id": str(event.client_id)})
                future.set_result(body)
            else:
                future.set_exception(failure)
                future.exception()  # retrieved here so a lone failure is never reported as unhandled
