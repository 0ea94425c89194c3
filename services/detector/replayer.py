"""The replay clock: feeds check-ins to the core in arrival order and fires missed-check-in deadlines in event time."""

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.checkin import CheckinSubmitted
from schemas.signal import SignalDetected
from services.detector.core import ClientState, DetectorConfig, advance_clock, missed_deadline, update

DAY = 86400.0


@dataclass
class Replayer:
    """The event-time clock (`watermark`, epoch seconds) is the latest occurred_at seen; a missed-check-in
    deadline fires when the clock passes it. Offline there is no processing time: `detected_at` is the observed_at.

    Deadlines wait in a heap, one entry per client with a gap open. An entry's time is never later than that
    client's deadline: a check-in moves the deadline later (a new gap starts) unless the client's rhythm
    tightens it, and only then is an earlier entry pushed. When an entry comes due, the client's deadline is
    worked out for the gap open now.
    """

    config: DetectorConfig
    emit: Callable[[SignalDetected], None]
    states: dict[int, ClientState] = field(default_factory=dict)  # by client_id.int: no UUID text per check-in
    watermark: float = float("-inf")  # kept as a number: comparing aware datetimes asks both for their offsets
    _due: list[tuple[float, int]] = field(default_factory=list)  # heap of (time to look again, client key)
    _queued: dict[int, float] = field(default_factory=dict)  # client key -> its live heap entry's time

    def feed(self, checkin: CheckinSubmitted) -> bool:
        """Judge one check-in; False when it was a redelivery (nothing changed)."""
        seconds = checkin.occurred_at.timestamp()  # read once: the clock and the core both need it
        self.advance_to(seconds)
        client = checkin.client_id.int
        state = self.states.get(client)
        if state is None:
            state = self.states[client] = ClientState(str(checkin.client_id), checkin.timezone)
        signals = update(state, checkin, None, self.config, seconds)  # the replayer owns its states: no copies
        if signals is None:
            return False
        for signal in signals:
            self.emit(signal)
        if state.entries and not state.missed_reported:
            # A cheap lower bound; the exact deadline (median gap, timezone) is computed when it comes due.
            earliest = state.entries[-1].t + self.config.for_client(state.client_id).engagement.min_gap_days * DAY
            if earliest < self._queued.get(client, float("inf")):
                self._queued[client] = earliest
                heapq.heappush(self._due, (earliest, client))
        return True

    def advance(self, watermark: datetime) -> None:
        """Move the event-time clock forward (never back) and report every deadline it passes."""
        self.advance_to(watermark.timestamp())

    def advance_to(self, now: float) -> None:
        """`advance` to `now`, epoch seconds."""
        if now <= self.watermark:
            return
        self.watermark = now
        due, queued = self._due, self._queued
        while due and due[0][0] <= now:
            when, client = heapq.heappop(due)
            if queued.get(client) != when:
                continue  # superseded by an earlier entry for the same client
            del queued[client]
            state = self.states[client]
            if state.missed_reported or not state.entries:
                continue  # a check-in after the report queues the next gap
            rules = self.config.for_client(state.client_id).engagement
            again = state.entries[-1].t + rules.min_gap_days * DAY  # later than `when` if they checked in since
            if again <= now:
                deadline = missed_deadline(state, rules)
                if deadline is None:
                    continue  # too little history yet: the next check-in queues the client again
                again = deadline.timestamp()
            if again > now:
                queued[client] = again
                heapq.heappush(due, (again, client))
                continue
            self.states[client], signals = advance_clock(state, state.client_id, datetime.fromtimestamp(now, UTC),
                                                         self.config)
            for signal in signals:
                self.emit(signal)
