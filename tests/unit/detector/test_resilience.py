"""BRS scoring, reliable change against the personal baseline, the low band and improvement, with worked numbers."""

import uuid

import pytest

from schemas.checkin import Answer
from schemas.scoring import score_answers
from services.detector.core import DetectorConfig
from services.detector.core.resilience import reliable_change
from tests.unit.detector.builders import brs, brs_score, checkin, kinds, run

CONFIG = DetectorConfig()


def test_brs_reverses_items_2_4_6():
    answers = [Answer(instrument="brs", item=i, value=v) for i, v in enumerate([4, 2, 4, 2, 4, 2], start=1)]
    assert score_answers(answers)["brs"].value == 4.0


def test_s_diff_and_the_reliable_change_threshold():
    rules = CONFIG.resilience
    assert rules.s_diff == pytest.approx(0.3725, abs=1e-4)  # sqrt(2) * 0.68 * sqrt(0.15)
    assert rules.rc_threshold * rules.s_diff == pytest.approx(0.73, abs=0.005)


@pytest.mark.parametrize(("score", "reliable"), [(3.2, True), (3.4, False)])
def test_drop_from_a_4_0_baseline(score, reliable):
    rc = reliable_change(score, 4.0, CONFIG.resilience)
    assert rc == pytest.approx((score - 4.0) / 0.3725, abs=0.01)  # -2.15 and -1.61
    assert (rc <= -1.96) is reliable


def test_reliable_drop_fires_once_per_episode_with_the_numbers():
    client = uuid.uuid4()
    history = [checkin(client, d, brs_score(4)) for d in range(3)]
    drop = checkin(client, 3, brs(3, 3, 3, 3, 3, 4))  # 3.1667: RC -2.24
    still_low = checkin(client, 4, brs(3, 3, 3, 3, 3, 4))
    _, signals = run(history + [drop, still_low], CONFIG)
    drops = [s for s in signals if s.kind == "resilience.reliable_drop"]
    assert len(drops) == 1 and drops[0].trigger_event_ids == [drop.event_id]
    evidence = drops[0].evidence
    assert evidence["baseline"] == 4.0 and evidence["baseline_scores"] == 3
    assert evidence["rc"] == pytest.approx(-2.237, abs=0.01) and evidence["threshold"] == 1.96
    assert drops[0].severity == "high" and drops[0].summary.endswith(".")


def test_a_drop_to_3_33_is_not_reliable():
    client = uuid.uuid4()
    _, signals = run([checkin(client, d, brs_score(4)) for d in range(3)] + [checkin(client, 3, brs(3, 3, 3, 3, 4, 4))],
                     CONFIG)
    assert "resilience.reliable_drop" not in kinds(signals)  # RC -1.79


def test_no_baseline_before_three_scores_in_28_days():
    client = uuid.uuid4()
    old = [checkin(client, d, brs_score(4)) for d in range(2)]
    _, signals = run(old + [checkin(client, 40, brs_score(4)), checkin(client, 41, brs_score(2))], CONFIG)
    assert "resilience.reliable_drop" not in kinds(signals)


def test_low_band_entered_from_above_only():
    client = uuid.uuid4()
    _, signals = run([checkin(client, 0, brs_score(2))], CONFIG)
    assert kinds(signals) == []  # a first score below 3 has not *fallen* into the band
    _, signals = run([checkin(client, 0, brs_score(3)), checkin(client, 1, brs(2, 3, 3, 3, 3, 3)),
                      checkin(client, 2, brs_score(2))], CONFIG)
    low = [s for s in signals if s.kind == "resilience.low"]
    assert len(low) == 1 and low[0].evidence == {"score": 2.833, "previous": 3.0, "threshold": 3.0}
    assert low[0].severity == "medium"


def test_improvement_at_most_once_per_28_days():
    client = uuid.uuid4()
    base = [checkin(client, d, brs_score(2)) for d in range(3)]
    ups = [checkin(client, 3, brs_score(3)), checkin(client, 10, brs_score(4))]  # day 10: +5.4 but too soon
    later = [checkin(client, d, brs_score(3)) for d in (30, 31, 32)] + [checkin(client, 41, brs_score(5))]
    _, signals = run(base + ups + later, CONFIG)
    improvements = [s for s in signals if s.kind == "resilience.reliable_improvement"]
    assert [s.trigger_event_ids for s in improvements] == [[ups[0].event_id], [later[-1].event_id]]
    assert improvements[0].severity == "info"


def test_a_late_score_inside_a_reported_low_episode_does_not_refire():
    client = uuid.uuid4()
    above, below = checkin(client, 0, brs_score(4)), checkin(client, 2, brs_score(2))
    late = checkin(client, 1, brs(2, 2, 2, 2, 3, 3))  # 2.33, between the two, arriving last
    _, signals = run([above, below, late], CONFIG)
    assert [s.trigger_event_ids for s in signals if s.kind == "resilience.low"] == [[below.event_id]]
    _, signals = run([above, below, checkin(client, 3, brs_score(4)), checkin(client, 4, brs_score(2)),
                      checkin(client, 3.5, brs_score(2))], CONFIG)
    assert len([s for s in signals if s.kind == "resilience.low"]) == 2  # day 2 and day 4; not the late day 3.5
