"""Fan-out of live events to open streams: only the client's care team, and a stream that falls behind is ended."""

from datetime import UTC, datetime
from uuid import uuid4

from services.dashboard.core.events import StreamEvent
from services.dashboard.fanout import Fanout


class FixedCareTeams:
    def __init__(self, teams: dict):
        self.teams = teams

    async def client_ids(self, therapist_id):
        return frozenset(self.teams.get(therapist_id, ()))


def event_about(client_id) -> StreamEvent:
    return StreamEvent("checkin", client_id, uuid4(), datetime(2026, 11, 26, tzinfo=UTC), {"client_id": str(client_id)})


async def test_events_reach_only_the_care_teams_streams():
    a, b, shared, foreign = uuid4(), uuid4(), uuid4(), uuid4()
    live = Fanout(FixedCareTeams({a: {shared}, b: {shared, foreign}}))
    stream_a, stream_b = live.subscribe(a), live.subscribe(b)

    for client_id in (foreign, shared):
        await live.push(event_about(client_id))

    assert [stream_a.queue.get_nowait().client_id] == [shared] and stream_a.queue.empty()
    assert [stream_b.queue.get_nowait().client_id for _ in range(2)] == [foreign, shared]


async def test_a_stream_that_falls_behind_is_ended_and_unsubscribed():
    therapist, client_id = uuid4(), uuid4()
    live = Fanout(FixedCareTeams({therapist: {client_id}}), queue_size=2)
    stream = live.subscribe(therapist)

    for _ in range(3):
        await live.push(event_about(client_id))

    assert stream not in live.subscriptions
    assert stream.queue.get_nowait() is None, "the stream is told to close; the page resumes from PostgreSQL"


async def test_end_streams_closes_every_open_stream():
    live = Fanout(FixedCareTeams({}))
    streams = [live.subscribe(uuid4()) for _ in range(3)]
    live.end_streams()
    assert all(s.queue.get_nowait() is None for s in streams)
