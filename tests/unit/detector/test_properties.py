"""Properties under real delivery: redelivery, interleaving of clients, late arrival (hypothesis)."""

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.checkin import Answer
from schemas.signal import SignalKind
from services.detector.core import DetectorConfig, advance_clock, evaluate
from services.detector.core.state import event_time
from services.detector.replay import Replayer
from tests.unit.detector.builders import brs, checkin, mood, srs

CONFIG = DetectorConfig()
NOTES = (None, "I want to kill myself", "I would never hurt myself", "a calm week")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

one_checkin = st.tuples(
    st.floats(0, 45, allow_nan=False),  # day offset
    st.integers(0, 10),  # mood
    st.none() | st.lists(st.integers(1, 5), min_size=6, max_size=6),  # BRS items after reversal
    st.none() | st.sampled_from([24.0, 30.0, 34.0, 36.0, 38.0, 40.0]),  # SRS total
    st.none() | st.integers(0, 3),  # PHQ-9 item 9
    st.sampled_from(range(len(NOTES))),
)


def build(client_id, spec, zone="Europe/Berlin", event_id=None):
    day, mood_value, brs_items, srs_total, item9, note = spec
    answers = mood(mood_value) + (brs(*brs_items) if brs_items else []) + (srs(srs_total) if srs_total else [])
    if item9 is not None:
        answers.append({"instrument": "phq9", "item": 9, "value": item9})
    return checkin(client_id, day, answers, zone, event_id=event_id, note=NOTES[note])


@st.composite
def client_stream(draw, min_size=1, max_size=25):
    """One client's check-ins in event-time order."""
    client_id = draw(st.uuids(version=4))
    specs = sorted(draw(st.lists(one_checkin, min_size=min_size, max_size=max_size)), key=lambda s: s[0])
    zone = draw(st.sampled_from(["Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"]))
    return [build(client_id, s, zone, event_id=draw(st.uuids(version=4))) for s in specs]


def signal_ids(arrivals, skip=()):
    """Feed arrivals through the replay clock and core; every emitted id, in order."""
    emitted = []
    replayer = Replayer(CONFIG, emitted.append)
    for c in arrivals:
        replayer.feed(c)
    return [s.signal_id for s in emitted if s.kind not in skip]


@SETTINGS
@given(streams=st.lists(client_stream(), min_size=1, max_size=3), data=st.data())
def test_redelivery_never_changes_the_set_of_signal_ids(streams, data):
    arrivals = data.draw(st.permutations([c for s in streams for c in s]))  # any arrival order, late ones included
    with_duplicates = list(arrivals)
    for _ in range(data.draw(st.integers(1, 10))):
        original = data.draw(st.integers(0, len(arrivals) - 1))
        position = data.draw(st.integers(with_duplicates.index(arrivals[original]) + 1, len(with_duplicates)))
        with_duplicates.insert(position, arrivals[original])
    once = signal_ids(arrivals)
    assert len(once) == len(set(once))
    assert signal_ids(with_duplicates) == once


@SETTINGS
@given(streams=st.lists(client_stream(), min_size=2, max_size=4), data=st.data())
def test_interleaving_clients_does_not_change_the_signals(streams, data):
    def interleave():
        queues, merged = [list(s) for s in streams], []
        while any(queues):
            queue = data.draw(st.sampled_from([q for q in queues if q]))
            merged.append(queue.pop(0))
        return merged

    # The shared watermark decides when a missed-check-in deadline fires, so those are left out here.
    skip = {SignalKind.ENGAGEMENT_MISSED_CHECKINS}
    assert set(signal_ids(interleave(), skip)) == set(signal_ids(interleave(), skip))


def asking_every_client(arrivals):
    """The replay clock without its deadline queue: each time the clock moves, every client's gap is checked.

    Returns (arrival index, signal id, observed_at) of every signal: which check-in's arrival let it out.
    """
    states, emitted, clock = {}, [], None
    for i, c in enumerate(arrivals):
        signals = []
        if clock is None or c.occurred_at > clock:
            clock = c.occurred_at
            for client_id, state in states.items():
                states[client_id], missed = advance_clock(state, client_id, clock, CONFIG)
                signals += missed
        states[str(c.client_id)], own = evaluate(states.get(str(c.client_id)), c, None, CONFIG)
        emitted += [(i, s.signal_id, s.observed_at) for s in signals + own]
    return sorted(emitted)


def replayed(arrivals):
    """Like `asking_every_client`, through the Replayer; also every signal by id."""
    emitted, by_id = [], {}

    def emit(signal):
        emitted.append((i, signal.signal_id, signal.observed_at))
        by_id[signal.signal_id] = signal

    replayer = Replayer(CONFIG, emit)
    for i, c in enumerate(arrivals):
        replayer.feed(c)
    return sorted(emitted), by_id


@SETTINGS
@given(streams=st.lists(client_stream(), min_size=1, max_size=4), data=st.data())
def test_the_deadline_queue_fires_what_asking_every_client_fires_at_the_same_arrival(streams, data):
    # Mostly in event order, so that gaps come due on the clock rather than at the client's next check-in, with
    # some late arrivals: they change a client's median gap without ending its gap.
    arrivals = sorted((c for s in streams for c in s), key=lambda c: c.occurred_at)
    for _ in range(data.draw(st.integers(0, 3))):
        late = arrivals.pop(data.draw(st.integers(0, len(arrivals) - 1)))
        arrivals.insert(data.draw(st.integers(0, len(arrivals))), late)
    assert replayed(arrivals)[0] == asking_every_client(arrivals)


def test_a_tightened_rhythm_brings_the_queued_deadline_forward():
    # A's gaps of 6 and 1 days allow 10.5 days after day 7. B's day 10.5 moves the clock past A's first look
    # (3 days after day 7), so A waits with that deadline. A's day 8 then arrives late: with a median gap of
    # 1 day, A's deadline is 3 days after day 8, long before the one A waited with, and B's day 12.5 passes it.
    a, b = uuid.uuid4(), uuid.uuid4()
    order = [(a, 0), (b, 1), (b, 2), (a, 6), (a, 7), (b, 10.5), (a, 8), (b, 12.5), (b, 20)]
    arrivals = [checkin(client, day, mood(5)) for client, day in order]
    emitted, by_id = replayed(arrivals)
    assert emitted == asking_every_client(arrivals)
    missed_a = [i for i, signal_id, _ in emitted
                if (by_id[signal_id].kind, by_id[signal_id].client_id) == (SignalKind.ENGAGEMENT_MISSED_CHECKINS, a)]
    assert missed_a == [order.index((b, 12.5))]


def with_risk(c):
    """The same check-in with PHQ-9 item 9 answered 2 when it had no item 9."""
    if c.answer("phq9", 9) is not None:
        return c
    return c.model_copy(update={"answers": [*c.answers, Answer(instrument="phq9", item=9, value=2)]})


def next_after(state, t, field):
    return next((e for e in state.entries if e.t > t and getattr(e, field) is not None), None)


@SETTINGS
@given(stream=client_stream(min_size=2), data=st.data())
def test_a_late_checkin_raises_its_own_risk_and_never_refires(stream, data):
    late_index = data.draw(st.integers(0, len(stream) - 2))
    late = with_risk(stream[late_index])
    arrivals = stream[:late_index] + stream[late_index + 1:] + [late]  # it arrives after every later one
    state, emitted = None, []
    for c in arrivals:
        state, signals = evaluate(state, c, c.occurred_at, CONFIG)
        emitted.append(signals)
    ids = [s.signal_id for batch in emitted for s in batch]
    assert len(ids) == len(set(ids)), "a signal id was emitted twice"
    own = {s.kind for s in emitted[-1]}
    if late.answer("phq9", 9) >= 1:
        assert SignalKind.RISK_ACUTE in own
    if late.note == NOTES[1]:
        assert SignalKind.RISK_LANGUAGE in own
    # An episode already reported by a later check-in is never reported again by the late one.
    t = event_time(late.occurred_at.timestamp())  # as the state keeps it: to the millisecond
    brs_next, srs_next = next_after(state, t, "brs"), next_after(state, t, "srs")
    if SignalKind.RESILIENCE_LOW in own:
        assert brs_next is None or brs_next.brs >= CONFIG.resilience.low_cutoff
    if SignalKind.RESILIENCE_RELIABLE_DROP in own:
        assert brs_next is None or not brs_next.brs_drop
    if SignalKind.ALLIANCE_RUPTURE in own:
        assert srs_next is None or not srs_next.srs_rupture
