"""The pure cohort generator: deterministic, valid, realistic in shape, and honest in its labels."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from schemas.checkin import CheckinSubmitted
from services.simulator.core.archetypes import Archetype
from services.simulator.core.generator import simulate_cohort

UNTIL = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(clients=120, days=60, seed=11, until=UNTIL)


def test_same_seed_same_cohort_other_seed_other_cohort(cohort):
    again = simulate_cohort(clients=120, days=60, seed=11, until=UNTIL)
    assert again.events() == cohort.events() and again.labels == cohort.labels
    assert simulate_cohort(clients=120, days=60, seed=12, until=UNTIL).events() != cohort.events()


def test_a_client_does_not_depend_on_the_cohort_size(cohort):
    small = simulate_cohort(clients=5, days=60, seed=11, until=UNTIL)
    first = {e["event_id"] for e in small.events()}
    assert first <= {e["event_id"] for e in cohort.events()}


def test_every_event_is_a_valid_v1_checkin(cohort):
    ids = set()
    for event in cohort.events():
        model = CheckinSubmitted.model_validate(event)
        assert model.occurred_at <= UNTIL
        ids.add(model.event_id)
    assert len(ids) == len(cohort.checkins)


def test_arrival_order_with_late_offline_syncs(cohort):
    arrivals = [c.received_at for c in cohort.checkins]
    assert arrivals == sorted(arrivals)
    delays = [c.received_at - datetime.fromisoformat(c.event["occurred_at"]) for c in cohort.checkins]
    late = [d for d in delays if d > timedelta(hours=1)]
    assert late and max(delays) < timedelta(hours=18)
    occurred = [datetime.fromisoformat(c.event["occurred_at"]) for c in cohort.checkins]
    assert any(a > b for a, b in zip(occurred, occurred[1:])), "late events arrive out of order"


def test_clients_live_in_many_timezones_and_cover_every_archetype(cohort):
    labels = cohort.labels["labels"]
    assert len({label["timezone"] for label in labels}) >= 8
    assert {label["archetype"] for label in labels} == {a.value for a in Archetype}
    small = simulate_cohort(clients=len(Archetype), days=45, seed=1, until=UNTIL)
    assert {label["archetype"] for label in small.labels["labels"]} == {a.value for a in Archetype}


def test_only_disengaged_clients_leave_gaps_of_three_days(cohort):
    times = defaultdict(list)
    for event in cohort.events():
        times[event["client_id"]].append(datetime.fromisoformat(event["occurred_at"]))
    for label in cohort.labels["labels"]:
        stamps = sorted(times[label["client_id"]])
        longest = max(b - a for a, b in zip(stamps, stamps[1:]))
        if label["archetype"] != Archetype.DISENGAGEMENT:
            assert longest < timedelta(days=3), label
            assert UNTIL - stamps[-1] < timedelta(days=3)


def test_labels_name_kinds_and_triggers_that_exist(cohort):
    events = {e["event_id"]: e for e in cohort.events()}
    kinds = Counter()
    for label in cohort.labels["labels"]:
        if label["archetype"] == Archetype.STABLE:
            assert label["episodes"] == []
            continue
        [episode] = label["episodes"]
        kinds.update(episode["signal_kinds"])
        for trigger in episode["trigger_event_ids"]:
            assert events[trigger]["client_id"] == label["client_id"]
        assert episode["detectable"], label
    assert set(kinds) == {"mood.sustained_decline", "resilience.reliable_drop", "resilience.low", "alliance.rupture",
                          "risk.language",
                          "engagement.missed_checkins", "resilience.reliable_improvement", "risk.acute"}


def test_risk_answers_only_in_risk_episodes(cohort):
    risky = {label["client_id"]: label for label in cohort.labels["labels"] if label["archetype"] == Archetype.ACUTE_RISK}
    for event in cohort.events():
        model = CheckinSubmitted.model_validate(event)
        item9 = model.answer("phq9", 9)
        if (item9 or 0) >= 1 or model.help_requested or model.answer("cssrs", 1):
            assert event["event_id"] in risky[event["client_id"]]["episodes"][0]["trigger_event_ids"]


def test_episodes_show_in_the_answers(cohort):
    from schemas.scoring import score_answers

    by_client = defaultdict(list)
    for event in cohort.events():
        by_client[event["client_id"]].append(CheckinSubmitted.model_validate(event))
    for label in cohort.labels["labels"]:
        if label["archetype"] not in (Archetype.ALLIANCE_RUPTURE, Archetype.ABRUPT_RESILIENCE_DROP):
            continue
        trigger_id = label["episodes"][0]["trigger_event_ids"][0]
        trigger = next(c for c in by_client[label["client_id"]] if str(c.event_id) == trigger_id)
        scores = score_answers(trigger.answers)
        if label["archetype"] == Archetype.ALLIANCE_RUPTURE:
            assert scores["srs"].value < 36
        else:
            assert scores["brs"].value < 3


def test_short_histories_are_labelled_undetectable_rather_than_promised():
    short = simulate_cohort(clients=7, days=10, seed=3, until=UNTIL)
    drop = next(l for l in short.labels["labels"] if l["archetype"] == Archetype.ABRUPT_RESILIENCE_DROP)
    assert drop["episodes"][0]["detectable"] is False
