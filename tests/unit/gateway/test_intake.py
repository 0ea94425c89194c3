"""The intake with a fake publisher: one write per event id, honest failures, shared in-flight writes."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from schemas.checkin import CheckinSubmitted
from services.gateway.adapters.publisher import KafkaUnavailable
from services.gateway.config import GatewaySettings
from services.gateway.core.ledger import AcceptedLedger, EventIdConflict
from services.gateway.intake import CheckinIntake


class FakePublisher:
    """Records writes; `fail` makes chosen events (or all) go unacknowledged; `gate` holds writes back."""

    def __init__(self):
        self.written: list[uuid.UUID] = []
        self.fail: set[uuid.UUID] | bool = set()
        self.gate = asyncio.Event()
        self.gate.set()

    async def publish_many(self, events):
        await self.gate.wait()
        if self.fail is True:
            raise KafkaUnavailable("down")
        ok = [e.event_id not in self.fail for e in events]
        self.written += [e.event_id for e, good in zip(events, ok) if good]
        return ok


def event(**extra) -> CheckinSubmitted:
    return CheckinSubmitted(event_id=uuid.uuid4(), client_id=uuid.uuid4(), occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
                            timezone="Europe/Paris", answers=[{"instrument": "mood", "item": 1, "value": 4}], **extra)


@pytest.fixture
def publisher():
    return FakePublisher()


@pytest.fixture
def intake(publisher):
    return CheckinIntake(publisher, AcceptedLedger(100), GatewaySettings().crisis_lines)


async def test_a_repeat_is_answered_from_memory(intake, publisher):
    e = event(help_requested=True)
    first = await intake.submit(e)
    assert await intake.submit(e) == first and first["safety_resources"]["region"] == "FR"
    assert publisher.written == [e.event_id]


async def test_concurrent_duplicates_share_one_write(intake, publisher):
    e = event()
    publisher.gate.clear()
    pending = [asyncio.create_task(intake.submit(e)) for _ in range(5)]
    await asyncio.sleep(0)
    publisher.gate.set()
    answers = await asyncio.gather(*pending)
    assert len({str(a) for a in answers}) == 1 and publisher.written == [e.event_id]


async def test_unacknowledged_events_are_not_remembered(intake, publisher):
    e = event()
    publisher.fail = True
    with pytest.raises(KafkaUnavailable):
        await intake.submit(e)
    publisher.fail = set()
    assert (await intake.submit(e))["status"] == "accepted" and publisher.written == [e.event_id]


async def test_batch_reports_each_event(intake, publisher):
    good, lost, conflict = event(), event(), event()
    await intake.submit(conflict)
    publisher.fail = {lost.event_id}
    outcomes = await intake.submit_many([good, lost, conflict.model_copy(update={"help_requested": True})])
    assert outcomes[0]["event_id"] == str(good.event_id)
    assert isinstance(outcomes[1], KafkaUnavailable) and isinstance(outcomes[2], EventIdConflict)


async def test_an_interrupted_write_releases_its_duplicates(intake, publisher):
    e = event()
    publisher.gate.clear()
    first = asyncio.create_task(intake.submit(e))
    await asyncio.sleep(0)
    duplicate = asyncio.create_task(intake.submit(e))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(KafkaUnavailable):
        await asyncio.wait_for(duplicate, 1)
    publisher.gate.set()
    assert (await intake.submit(e))["status"] == "accepted" and publisher.written == [e.event_id]
