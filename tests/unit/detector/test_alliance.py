"""alliance.rupture: the SRS cutoff, the personal-mean rule and a care-plan cutoff."""

import uuid

import pytest

from services.detector.core import DetectorConfig
from tests.unit.detector.builders import checkin, run, srs

CONFIG = DetectorConfig()


def ruptures(signals):
    return [s for s in signals if s.kind == "alliance.rupture"]


def test_first_srs_below_36_is_a_rupture():
    _, signals = run([checkin(uuid.uuid4(), 0, srs(34))], CONFIG)
    assert len(ruptures(signals)) == 1 and ruptures(signals)[0].evidence == {"score": 34.0, "cutoff": 36.0}


def test_fall_below_the_cutoff_once_per_episode():
    client = uuid.uuid4()
    sessions = [checkin(client, d * 7, srs(t)) for d, t in enumerate([38, 35, 34, 38, 32])]
    _, signals = run(sessions, CONFIG)
    assert [s.trigger_event_ids[0] for s in ruptures(signals)] == [sessions[1].event_id, sessions[4].event_id]


def test_fall_below_the_personal_mean_above_the_cutoff():
    client = uuid.uuid4()
    history = [checkin(client, d * 7, srs(t)) for d, t in enumerate([40, 39.2, 40, 39.6])]
    dip = checkin(client, 28, srs(36.4))  # mean 39.7, SD 0.38 -> needs max(0.77, 3) = 3 points: 3.3 below
    _, signals = run(history + [dip], CONFIG)
    found = ruptures(signals)
    assert len(found) == 1 and found[0].trigger_event_ids == [dip.event_id]
    assert found[0].evidence["drop"] == pytest.approx(3.3, abs=0.01)
    assert found[0].evidence["drop_needed"] == 3.0
    _, signals = run(history + [checkin(client, 28, srs(37.2))], CONFIG)  # 2.5 below: not enough
    assert not ruptures(signals)


def test_a_care_plan_cutoff_overrides_the_deployment_default():
    client = uuid.uuid4()
    config = DetectorConfig.model_validate({"clients": {str(client): {"alliance": {"cutoff": 30}}}})
    _, signals = run([checkin(client, 0, srs(34))], config)
    assert not ruptures(signals)
    _, signals = run([checkin(client, 0, srs(28))], config)
    assert ruptures(signals)[0].evidence["cutoff"] == 30.0
    _, signals = run([checkin(uuid.uuid4(), 0, srs(34))], config)  # everyone else keeps 36
    assert ruptures(signals)
