"""The benchmark's synthetic data and parsers: valid v1 check-ins, per-client batches, Prometheus counters."""

import random
from datetime import UTC, datetime

from bench.stages.ingest import batches_per_client
from bench.stats import metric_value
from bench.workload import client_ids, encode, history, ordinary, risk
from schemas.checkin import CheckinSubmitted

END = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_history_is_valid_v1_checkins_in_day_order_and_deterministic_per_seed():
    clients = client_ids(4, seed=3)
    events = list(history(clients, days=15, seed=3, end=END))
    assert len(events) == 60
    parsed = [CheckinSubmitted.model_validate(e) for e in events]
    assert {p.client_id for p in parsed} == set(clients)
    assert any(a.instrument == "brs" for p in parsed for a in p.answers)
    days = [p.occurred_at.date() for p in parsed[::4]]
    assert days == sorted(days)
    assert client_ids(4, seed=3) == clients and client_ids(4, seed=4) != clients


def test_probe_and_background_checkins_are_valid_and_keyed_by_client():
    client = client_ids(1, seed=1)[0]
    alarming = CheckinSubmitted.model_validate(risk(client, END))
    assert alarming.help_requested and alarming.answer("phq9", 9) == 2
    routine = ordinary(client, END, random.Random(1))
    assert not CheckinSubmitted.model_validate(routine).help_requested
    key, value = encode(routine)
    assert key == str(client).encode() and CheckinSubmitted.model_validate_json(value).event_id


def test_batches_hold_one_clients_events_in_order():
    events = list(history(client_ids(3, seed=2), days=5, seed=2, end=END))
    batches = batches_per_client(events, size=2)
    assert sum(len(b) for b in batches) == 15
    assert all(len({e["client_id"] for e in b}) == 1 and len(b) <= 2 for b in batches)
    first = [e for e in events if e["client_id"] == batches[0][0]["client_id"]]
    assert batches[0] == first[:2]


def test_metric_value_reads_plain_and_labelled_counters():
    text = "# HELP x\nrapport_detector_events_total 1234\nrapport_detector_events_total_other 9\n" \
           'rapport_detector_signals_total{kind="risk.acute"} 2\nrapport_detector_signals_total{kind="mood"} 3\n'
    assert metric_value(text, "rapport_detector_events_total") == 1234
    assert metric_value(text, "rapport_detector_signals_total") == 5
    assert metric_value(text, "missing_total") is None


def test_alert_arrivals_keep_the_first_alert_frame_per_client_only():
    from bench.sse import AlertArrivals

    stream = AlertArrivals("http://unused", {})
    stream.on_frame("checkin", '{"client_id": "a"}')
    assert stream.first_alert_at == {}
    stream.on_frame("alert", '{"client_id": "a", "transition": "opened"}')
    first = stream.first_alert_at["a"]
    stream.on_frame("alert", '{"client_id": "a", "transition": "escalated"}')
    stream.on_frame("message", "")
    assert stream.first_alert_at == {"a": first}


def test_segment_summary_times_each_leg_of_the_alert_path():
    from bench.diagnostics import segment_summary

    accepted = {"a": 0.0, "b": 1.0, "lost": 2.0}
    signal, alert_event, sse = {"a": 0.5, "b": 1.3}, {"a": 0.55, "b": 1.35}, {"a": 0.54, "b": 1.4}
    text = segment_summary(accepted, signal, alert_event, sse)
    assert "202->signal (detector) p50 400 / p99 498 ms" in text
    assert "alert event->SSE (dashboard) p50 25 /" in text  # the leg a late reader saw as negative counts as 0
    assert segment_summary({"x": 0.0}, {}, {}, {}) == "legs: not observed"
