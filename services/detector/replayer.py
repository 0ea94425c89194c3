"""The replay clock: feeds check-ins to the core in arrival order and fires missed-check-in deadlines in event time."""

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from schemas.checkin import CheckinSubmitted
from schemas.signal import SignalDetected
from services.detector.core import ClientState, DetectorConfig, advance_clock, missed_deadline, update

DAY = 86400.0


@dataclass
class Replayer:
    """The event-time clock (`watermark`, epoch seconds) is the latest occurred_at seen; a missed-check-in
    deadline fires when the clock passes it. Offline there is no processing time: `detected_at` is the observed_at.
    """

    config: DetectorConfig
    emit: Callable[[SignalDetected], None]
    states: dict[str, ClientState] = field(default_factory=dict)
    watermark: float = float("-inf")  # kept as a number: comparing aware datetimes asks both for their offsets
    _due: list = field(default_factory=list)  # heap of (earliest possible deadline, client_id, last event_id)

    def feed(self, checkin: CheckinSubmitted) -> bool:
        """Judge one check-in; False when it was a redelivery (nothing changed)."""
        self.advance(checkin.occurred_at)
        client_id = str(checkin.client_id)
        state = self.states.get(client_id)
        if state is None:
            state = self.states[client_id] = ClientState(client_id, checkin.timezone)
        signals = update(state, checkin, None, self.config)  # the replayer owns its states: no copies
        if signals is None:
            return False
        for signal in signals:
            self.emit(signal)
        if state.entries and not state.missed_reported:
            # A cheap lower bound; the exact deadline (median gap, timezone) is computed when it comes due.
            lower_bound = state.entries[-1].t + self.config.for_client(client_id).engagement.min_gap_days * DAY
            heapq.heappush(self._due, (lower_bound, client_id, state.last_event_id))
        return True

    def advance(self, watermark: datetime) -> None:
        """Move the event-time clock forward (never back) and report every deadline it passes."""
        now = watermark.timestamp()
        if now <= self.watermark:
            return
        self.watermark = now
        while self._due and self._due[0][0] <= now:
            _, client_id, last_event_id = heapq.heappop(self._due)
            state = self.states[client_id]
            if state.last_event_id != last_event_id:
                continue  # the client checked in again since: that check-in queued its own deadline
            deadline = missed_deadline(state, self.config.for_client(client_id).engagement)
            if deadline is None:
                continue
            if deadline.timestamp() > now:
                heapq.heappush(self._due, (deadline.timestamp(), client_id, last_event_id))
                continue
            self.states[client_id], signals = advance_clock(state, client_id, watermark, self.config)
            for signal in signals:
                self.emit(signal)
