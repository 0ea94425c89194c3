"""The labels are ground truth for the real detection core: every detectable episode fires its kinds."""

from collections import Counter, defaultdict
from datetime import UTC, datetime

from schemas.checkin import CheckinSubmitted
from services.detector.core import DetectorConfig
from services.detector.replay import Replayer
from services.simulator.core.generator import simulate_cohort

UNTIL = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_detector_finds_every_labelled_episode_and_little_else():
    cohort = simulate_cohort(clients=140, days=60, seed=3, until=UNTIL)
    signals = []
    replayer = Replayer(DetectorConfig(), signals.append)
    for checkin in cohort.checkins:  # arrival order, late offline syncs included
        replayer.feed(CheckinSubmitted.model_validate(checkin.event))
    replayer.advance(UNTIL)

    kinds_of, triggers_of = defaultdict(Counter), defaultdict(set)
    for signal in signals:
        kinds_of[str(signal.client_id)][signal.kind.value] += 1
        triggers_of[(str(signal.client_id), signal.kind.value)].update(str(t) for t in signal.trigger_event_ids)
    missed, unexpected = [], Counter()
    for label in cohort.labels["labels"]:
        got = kinds_of[label["client_id"]]
        expected = {k for e in label["episodes"] if e["detectable"] for k in e["signal_kinds"]}
        missed += [(label["archetype"], k) for k in expected if not got[k]]
        if label["archetype"] in ("acute_risk", "alliance_rupture", "crisis_language"):
            [episode] = label["episodes"]
            [kind] = episode["signal_kinds"]
            assert set(episode["trigger_event_ids"]) <= triggers_of[(label["client_id"], kind)]
        unexpected.update(k for k in got if k not in expected and k not in label["allowed_kinds"])
    assert missed == []
    assert sum(unexpected.values()) <= 3, unexpected  # noise in a stable client's answers may cross a threshold
