"""The detection core: `evaluate` one check-in, `advance_clock` for missed check-ins. Pure: time is passed in."""

from datetime import datetime

from schemas.checkin import CheckinSubmitted
from schemas.scoring import score_answers
from schemas.signal import SignalDetected, SignalKind
from services.detector.core.alliance import judge_srs
from services.detector.core.config import DetectorConfig
from services.detector.core.engagement import check_missed
from services.detector.core.mood import chart_mood
from services.detector.core.resilience import judge_brs
from services.detector.core.risk import acute_risk, crisis_language
from services.detector.core.state import EMITTED_KEPT, ClientState, Entry, event_key, event_time, signal_key
from services.detector.core.zones import local_day_at

DAY = 86400.0
Result = tuple[ClientState, list[SignalDetected]]


def _remember(state: ClientState, signals: list[SignalDetected]) -> list[SignalDetected]:
    """Drop signals emitted before (a late or repeated judgement never re-fires) and remember the new ones."""
    if not signals:
        return signals
    fresh = [s for s in signals if signal_key(s.signal_id) not in state.emitted]
    for signal in fresh:
        state.emitted.append(signal_key(signal.signal_id))
        if signal.kind is SignalKind.RESILIENCE_RELIABLE_IMPROVEMENT:
            state.improvements.append(signal.observed_at.timestamp())
    del state.emitted[:-EMITTED_KEPT]
    return fresh


def advance_clock(state: ClientState | None, client_id: str, watermark: datetime, config: DetectorConfig,
                  now: datetime | None = None) -> Result:
    """Move the event-time clock to `watermark`: report a missed-check-in deadline it passes (once per gap).

    `now` is the processing time for `detected_at`; None (offline) uses the deadline.
    """
    if state is None:
        return ClientState(str(client_id)), []
    state = state.copy()
    signals = check_missed(state, watermark.timestamp(), now, config.for_client(state.client_id).engagement)
    return state, _remember(state, signals)


def evaluate(state: ClientState | None, checkin: CheckinSubmitted, now: datetime | None,
             config: DetectorConfig) -> Result:
    """Judge one check-in against the client's history; a redelivered event_id changes nothing.

    `now` is the processing time for `detected_at`; None (offline) uses each signal's observed_at.
    The input state is never changed: the result is a new state (or the same one for a redelivery).
    """
    if state is None:
        state = ClientState(str(checkin.client_id), checkin.timezone)
        return state, update(state, checkin, now, config) or []  # nothing to redeliver into a new state
    judged = state.copy()  # `update` finds a redelivery in the same search that places a new check-in
    signals = update(judged, checkin, now, config)
    return (state, []) if signals is None else (judged, signals)


def update(state: ClientState, checkin: CheckinSubmitted, now: datetime | None, config: DetectorConfig,
           seconds: float | None = None) -> list[SignalDetected] | None:
    """`evaluate` changing `state` in place (for a caller that owns it, like replay); None for a redelivery.

    `seconds` is occurred_at in epoch seconds when the caller has it already (reading it costs about a microsecond).
    """
    event_id = str(checkin.event_id)
    if seconds is None:
        seconds = checkin.occurred_at.timestamp()
    t, key = event_time(seconds), event_key(event_id)
    index = state.place(key, t)
    if index is None:
        return None
    config = config.for_client(state.client_id)
    # The check-in itself proves the clock reached occurred_at: a gap it ends late is still reported.
    signals = check_missed(state, seconds, now, config.engagement)
    scores = score_answers(checkin.answers)
    signals += acute_risk(checkin, scores, now, config)
    if checkin.note:
        signals += crisis_language(checkin, now, config)
    latest = state.latest
    if latest is None or t >= latest - config.history_days * DAY:  # older check-ins only get the risk rules
        signals += _judge_trends(state, checkin, seconds, t, index, event_id, key, scores, now, config)
    if latest is None or t >= latest:
        state.timezone = checkin.timezone
    return _remember(state, signals)


def _judge_trends(state: ClientState, checkin: CheckinSubmitted, seconds: float, t: float, index: int, event_id: str,
                  key: int, scores, now: datetime | None, config: DetectorConfig) -> list[SignalDetected]:
    """The trend rules for a check-in at `seconds` (`t` as the state keeps it, `event_time`) placed at `index` of
    the history (`ClientState.place`)."""
    signals: list[SignalDetected] = []
    brs = scores["brs"].value if "brs" in scores else None
    srs = scores["srs"].value if "srs" in scores else None
    mood = scores["mood"].value if "mood" in scores else None
    brs_drop = srs_rupture = False
    if brs is not None:
        brs_judged = judge_brs(state, index, checkin, seconds, brs, now, config.resilience)
        brs_drop, signals = brs_judged.drop, signals + brs_judged.signals
    if srs is not None:
        srs_judged = judge_srs(state, index, checkin, srs, now, config.alliance)
        srs_rupture, signals = srs_judged.rupture, signals + srs_judged.signals
    if mood is not None:
        signals += chart_mood(state, checkin, local_day_at(seconds, checkin.timezone), mood, now, config.mood)
    if index == len(state.entries):  # the latest check-in: a new gap starts after it
        state.last_event_id, state.missed_reported = event_id, False
    state.entries.insert(index, Entry(t, key, brs, brs_drop, srs, srs_rupture))
    _trim(state, config)
    return signals


def _trim(state: ClientState, config: DetectorConfig) -> None:
    """Forget check-ins older than the history window, but keep enough for the median gap."""
    horizon = state.entries[-1].t - config.history_days * DAY
    keep_last = config.engagement.gap_window + 1
    drop = 0
    while drop < len(state.entries) - keep_last and state.entries[drop].t < horizon:
        drop += 1
    del state.entries[:drop]
    if state.improvements:
        state.improvements = [w for w in state.improvements if w >= horizon]
