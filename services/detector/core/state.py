"""Per-client detector state: plain data that round-trips through compact JSON (faust Table values)."""

import json
from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

EMITTED_KEPT = 256


class Entry(NamedTuple):
    """One accepted check-in, as the trend rules need it (no answers, no note)."""

    t: float  # occurred_at, epoch seconds
    event_id: str
    brs: float | None = None
    brs_drop: bool = False  # judged a reliable drop when it arrived
    srs: float | None = None
    srs_rupture: bool = False  # judged a rupture when it arrived


@dataclass
class ClientState:
    """Everything the rules remember about one client, ordered by event time."""

    client_id: str
    timezone: str = "UTC"
    entries: list[Entry] = field(default_factory=list)
    mood_days: dict[str, list[float]] = field(default_factory=dict)  # local ISO date -> [sum, count]
    mood_excursion: bool = False
    mood_cache: list | None = None  # [day, EWMA before it, baseline sum, squares, days]: mood._chart_before
    improvements: list[float] = field(default_factory=list)  # observed_at of emitted improvement signals
    missed_after: str | None = None  # event_id of the last check-in whose gap was already reported
    emitted: list[str] = field(default_factory=list)  # latest emitted signal ids, newest last

    @property
    def latest(self) -> float | None:
        return self.entries[-1].t if self.entries else None

    def has_event(self, event_id: str, t: float) -> bool:
        """Whether this event (occurring at `t`) is already in the history: a redelivery."""
        index = bisect_left(self.entries, (t,))
        while index < len(self.entries) and self.entries[index].t == t:
            if self.entries[index].event_id == event_id:
                return True
            index += 1
        return False

    def position(self, t: float) -> int:
        """Index at which a check-in at `t` belongs (after equal times: arrival order breaks ties)."""
        index = bisect_left(self.entries, (t,))
        while index < len(self.entries) and self.entries[index].t <= t:
            index += 1
        return index

    def copy(self) -> "ClientState":
        """A copy the rules may change: entries are tuples and mood days are replaced, so shallow copies suffice."""
        return ClientState(self.client_id, self.timezone, list(self.entries), dict(self.mood_days),
                           self.mood_excursion, self.mood_cache, list(self.improvements), self.missed_after,
                           list(self.emitted))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ClientState":
        return cls(**{**data, "entries": [Entry(*e) for e in data.get("entries", [])]})

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> "ClientState":
        return cls.from_dict(json.loads(raw))
