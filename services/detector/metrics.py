"""Detector metrics: events judged, signals by kind, consumer lag (the DLQ count lives in common.kafka)."""

from services.common.metrics import REGISTRY

events_total = REGISTRY.counter("rapport_detector_events_total", "check-ins judged")
batches_total = REGISTRY.counter("rapport_detector_batches_total", "batches of check-ins taken from the stream")
signals_total = REGISTRY.counter("rapport_detector_signals_total", "signals emitted", ["kind"])
flushes_total = REGISTRY.counter("rapport_detector_changelog_flushes_total",
                                 "flushes of saved states to the changelog (and acks of the events behind them)")
changelog_records_total = REGISTRY.counter("rapport_detector_changelog_records_total", "state records sent to the changelog")
clock_runs_total = REGISTRY.counter("rapport_detector_clock_runs_total", "missed-check-in clock runs")
clock_seconds = REGISTRY.gauge("rapport_detector_clock_last_run_seconds", "duration of the last missed-check-in clock run")
lag = REGISTRY.gauge("rapport_consumer_lag", "records behind the end of the assigned partitions", ["service"])


def assigned(app, topic: str) -> list:
    """The partitions of `topic` this worker owns now (as faust TPs)."""
    return [tp for tp in app.assignor.assigned_actives() if tp.topic == topic]


def records_behind(app, topic: str) -> int:
    """Records behind the high-water mark on this worker's partitions of `topic` (best effort: 0 before a fetch)."""
    consumer = getattr(app, "_consumer", None) or None
    if consumer is None:
        return 0
    total = 0
    for tp in assigned(app, topic):
        try:
            highwater = consumer.highwater(tp)
        except Exception:  # noqa: BLE001 - not fetched yet
            continue
        read = consumer._read_offset.get(tp)
        if highwater is not None:
            total += max(highwater - ((read + 1) if read is not None else 0), 0)
    return total


def observe_lag(app, topic: str) -> None:
    lag.set(records_behind(app, topic), service="detector")
