"""Per-client detector state: plain data in memory, a compact binary form in the faust Table (`to_bytes`).

Event times are kept to the millisecond, and check-ins are told apart by time plus a 16-bit key of their
event id: a redelivery has the same time and key, and two different check-ins of one client in the same
millisecond with the same key are not a case that occurs. Only the latest check-in's full event id is kept
(the missed-check-in signal names it); emitted signals are remembered by 64 bits of their id.
"""

import struct
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from math import isnan, nan
from typing import Any, NamedTuple
from uuid import UUID

EMITTED_KEPT = 256
FORMAT = 1
_LOW64 = (1 << 64) - 1
_AFTER_EVERY_KEY = 1 << 16  # (t, this) sorts after every entry at time t: event keys are 16 bits


def event_key(event_id: str) -> int:
    """16 bits of an event id: with the time, enough to recognise a redelivered check-in."""
    return zlib.crc32(event_id.encode()) & 0xFFFF


def signal_key(signal_id: UUID) -> int:
    """64 bits of a signal id (name-based, so its low bits are hash bits)."""
    return signal_id.int & _LOW64


def event_time(seconds: float) -> float:
    """An event time as the state keeps it: epoch seconds to the millisecond (so it survives the encoding)."""
    return round(seconds, 3)


class Entry(NamedTuple):
    """One accepted check-in, as the trend rules need it (no answers, no note)."""

    t: float  # occurred_at, epoch seconds to the millisecond
    key: int  # event_key(event_id)
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
    mood_days: dict[int, list[Any]] = field(default_factory=dict)  # local day ordinal -> [sum (float), count (int)]
    mood_excursion: bool = False
    mood_cache: list | None = None  # [day, EWMA before it, baseline sum, squares, days]: mood._chart_before
    improvements: list[float] = field(default_factory=list)  # observed_at of emitted improvement signals
    last_event_id: str | None = None  # full event id of the latest check-in (entries[-1])
    missed_reported: bool = False  # the gap after the latest check-in was already reported
    emitted: list[int] = field(default_factory=list)  # signal_key of the latest emitted signals, newest last

    @property
    def latest(self) -> float | None:
        return self.entries[-1].t if self.entries else None

    def place(self, key: int, t: float) -> int | None:
        """Index at which a check-in at `t` belongs (after equal times: arrival order breaks ties), or None when
        the check-in with this key at `t` is already there (a redelivery)."""
        entries = self.entries
        index = before = bisect_right(entries, (t, _AFTER_EVERY_KEY))
        while before and entries[before - 1].t == t:
            before -= 1
            if entries[before].key == key:
                return None
        return index

    def copy(self) -> "ClientState":
        """A copy the rules may change: entries are tuples and mood days are replaced, so shallow copies suffice."""
        return ClientState(self.client_id, self.timezone, list(self.entries), dict(self.mood_days),
                           self.mood_excursion, self.mood_cache, list(self.improvements), self.last_event_id,
                           self.missed_reported, list(self.emitted))

    def to_bytes(self) -> bytes:
        return encode(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> "ClientState":
        return decode(raw)


# The binary form, little-endian:
#   head: format, flags, counts of entries / mood days / improvements / emitted ids, then the client id
#         (16 bytes, or its UTF-8 text when not a canonical UUID), the time zone and the latest event id;
#   entries as columns: first time in ms, time steps, keys, a flag byte each, BRS values, SRS values;
#   mood days as columns: first day ordinal, day steps, sums, counts; then the mood chart cache;
#   improvement times, emitted signal keys.
# Integer columns carry a width code (B/H/I/Q); number columns store sixtieths when every value is one
# exactly (scores are means and sums of whole or tenth answers), else doubles.
_HEAD = struct.Struct("<BBHHHH")
_CACHE = struct.Struct("<IdddI")  # day ordinal, EWMA before it (NaN: none yet), baseline sum, squares, days
_Q, _I = struct.Struct("<q"), struct.Struct("<I")
_EXCURSION, _CACHED, _UUID_ID, _LAST, _REPORTED = 1, 2, 4, 8, 16
_HAS_BRS, _BRS_DROP, _HAS_SRS, _SRS_RUPTURE = 1, 2, 4, 8


def encode(state: ClientState) -> bytes:
    entries, days = state.entries, sorted(state.mood_days)
    flags = (_EXCURSION * state.mood_excursion | _CACHED * (state.mood_cache is not None)
             | _LAST * (state.last_event_id is not None) | _REPORTED * state.missed_reported)
    client = _uuid_bytes(state.client_id)
    if client is not None:
        flags |= _UUID_ID
    else:
        client = _text(state.client_id)
    parts = [_HEAD.pack(FORMAT, flags, len(entries), len(days), len(state.improvements), len(state.emitted)),
             client, _text(state.timezone)]
    if state.last_event_id is not None:
        parts.append(UUID(state.last_event_id).bytes)
    if entries:
        times = [round(e.t * 1000) for e in entries]
        parts += [struct.pack("<q", times[0]), _uints([b - a for a, b in zip(times, times[1:])]),
                  _uints([e.key for e in entries]),
                  bytes(_HAS_BRS * (e.brs is not None) | _BRS_DROP * e.brs_drop | _HAS_SRS * (e.srs is not None)
                        | _SRS_RUPTURE * e.srs_rupture for e in entries),
                  _numbers([e.brs for e in entries if e.brs is not None]),
                  _numbers([e.srs for e in entries if e.srs is not None])]
    if days:
        parts += [struct.pack("<I", days[0]), _uints([b - a for a, b in zip(days, days[1:])]),
                  _numbers([state.mood_days[d][0] for d in days]), _uints([state.mood_days[d][1] for d in days])]
    if state.mood_cache is not None:
        key, level, sums, squares, count = state.mood_cache
        parts.append(_CACHE.pack(key, nan if level is None else level, sums,
                                 squares, count))
    n = len(state.improvements)
    parts += [struct.pack(f"<{n}d", *state.improvements), struct.pack(f"<{len(state.emitted)}Q", *state.emitted)]
    return b"".join(parts)


def decode(raw: bytes) -> ClientState:
    reader = _Reader(raw)
    version, flags, n_entries, n_days, n_improvements, n_emitted = reader.struct(_HEAD)
    if version != FORMAT:
        raise ValueError(f"unknown detector state format {version}")
    client_id = str(UUID(bytes=reader.take(16))) if flags & _UUID_ID else reader.text()
    state = ClientState(client_id, reader.text(), mood_excursion=bool(flags & _EXCURSION),
                        missed_reported=bool(flags & _REPORTED))
    if flags & _LAST:
        state.last_event_id = str(UUID(bytes=reader.take(16)))
    if n_entries:
        time, = reader.struct(_Q)
        times = [time]
        for step in reader.uints(n_entries - 1):
            time += step
            times.append(time)
        keys, entry_flags = reader.uints(n_entries), reader.take(n_entries)
        brs = iter(reader.numbers(sum(1 for f in entry_flags if f & _HAS_BRS)))
        srs = iter(reader.numbers(sum(1 for f in entry_flags if f & _HAS_SRS)))
        state.entries = [Entry(ms / 1000, key, next(brs) if f & _HAS_BRS else None, bool(f & _BRS_DROP),
                               next(srs) if f & _HAS_SRS else None, bool(f & _SRS_RUPTURE))
                         for ms, key, f in zip(times, keys, entry_flags)]
    if n_days:
        ordinal, = reader.struct(_I)
        ordinals = [ordinal]
        for step in reader.uints(n_days - 1):
            ordinal += step
            ordinals.append(ordinal)
        sums, counts = reader.numbers(n_days), reader.uints(n_days)
        state.mood_days = {o: [s, c] for o, s, c in zip(ordinals, sums, counts)}
    if flags & _CACHED:
        day, level, baseline_sum, squares, count = reader.struct(_CACHE)
        state.mood_cache = [day, None if isnan(level) else level, baseline_sum, squares, count]
    state.improvements = list(reader.unpack(f"<{n_improvements}d"))
    state.emitted = list(reader.unpack(f"<{n_emitted}Q"))
    if reader.pos != len(raw):
        raise ValueError("detector state has trailing bytes")
    return state



def _uuid_bytes(text: str) -> bytes | None:
    try:
        value = UUID(text)
    except ValueError:
        return None
    return value.bytes if str(value) == text else None


def _text(value: str) -> bytes:
    data = value.encode()
    return bytes([len(data)]) + data if len(data) < 255 else b"\xff" + struct.pack("<I", len(data)) + data


def _uints(values: list[int]) -> bytes:
    top = max(values, default=0)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "I" if top < 1 << 32 else "Q"
    return code.encode() + struct.pack(f"<{len(values)}{code}", *values)


def _numbers(values: list[float]) -> bytes:
    sixtieths = [round(v * 60) for v in values]
    if all(0 <= k < 1 << 16 and k / 60 == v for k, v in zip(sixtieths, values)):
        return b"S" + struct.pack(f"<{len(values)}H", *sixtieths)
    return b"D" + struct.pack(f"<{len(values)}d", *values)


class _Reader:
    def __init__(self, raw: bytes):
        self.raw, self.pos = raw, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.raw):
            raise ValueError("detector state is truncated")
        chunk = self.raw[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return self.struct(struct.Struct(fmt))

    def struct(self, shape: struct.Struct) -> tuple:
        values = shape.unpack_from(self.raw, self.pos)
        self.pos += shape.size
        return values

    def text(self) -> str:
        n = self.take(1)[0]
        if n == 0xFF:
            n, = self.struct(_I)
        return self.take(n).decode()

    def uints(self, n: int) -> tuple:
        code = self.take(1).decode()
        return self.unpack(f"<{n}{code}")

    def numbers(self, n: int) -> list[float]:
        code = self.take(1)
        if code == b"S":
            return [k / 60 for k in self.unpack(f"<{n}H")]
        return list(self.unpack(f"<{n}d"))


def from_legacy_json(data: dict) -> ClientState:
    """A state from the JSON form of earlier versions (full event and signal ids, times to the microsecond)."""
    entries = [(event_time(t), event_id, *rest) for t, event_id, *rest in data.get("entries", [])]
    last = entries[-1][1] if entries else None
    cache = data.get("mood_cache")
    return ClientState(
        data["client_id"], data.get("timezone", "UTC"),
        [Entry(t, event_key(event_id), *rest) for t, event_id, *rest in entries],
        {_ordinal(day): value for day, value in data.get("mood_days", {}).items()}, data.get("mood_excursion", False),
        [_ordinal(cache[0]), *cache[1:]] if cache else None,
        data.get("improvements", []), last, last is not None and data.get("missed_after") == last,
        [signal_key(UUID(s)) for s in data.get("emitted", [])],
    )


def _ordinal(iso_day: str) -> int:
    return date.fromisoformat(iso_day).toordinal()
