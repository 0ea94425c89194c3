"""Configuration from TOML, per-client overrides, the compact state and redelivery."""

import uuid

import pytest
from pydantic import ValidationError

from services.detector.core import ClientState, DetectorConfig, evaluate, load_config
from tests.unit.detector.builders import brs_score, checkin, mood, run, srs

TOML = b"""
history_days = 60
[resilience]
low_cutoff = 2.8
[clients."11111111-1111-4111-8111-111111111111".alliance]
cutoff = 30
"""


def test_toml_overrides_and_defaults(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_bytes(TOML)
    config = load_config(path)
    assert config.history_days == 60 and config.resilience.low_cutoff == 2.8
    assert config.resilience.sd == 0.68 and config.mood.control_l == 2.6  # untouched defaults
    assert config.for_client("11111111-1111-4111-8111-111111111111").alliance.cutoff == 30
    assert config.for_client("11111111-1111-4111-8111-111111111111").resilience.low_cutoff == 2.8
    assert config.for_client(str(uuid.uuid4())).alliance.cutoff == 36


def test_unknown_thresholds_are_rejected():
    with pytest.raises(ValidationError):
        DetectorConfig.model_validate({"resilience": {"low_cuttoff": 2.5}})


def test_state_round_trips_through_its_compact_form():
    client = uuid.uuid4()
    state, _ = run([checkin(client, day, mood(5) + brs_score(4) + srs(38)) for day in range(20)], DetectorConfig())
    raw = state.to_bytes()
    assert ClientState.from_bytes(raw) == state
    assert len(raw) < 450  # 20 check-ins with BRS and SRS each, 20 mood days: about 20 bytes a day


def test_redelivery_changes_nothing():
    client = uuid.uuid4()
    first = checkin(client, 0, [{"instrument": "phq9", "item": 9, "value": 2}])
    state, signals = evaluate(None, first, first.occurred_at, DetectorConfig())
    again, repeated = evaluate(state, first, first.occurred_at, DetectorConfig())
    assert len(signals) == 1 and repeated == [] and again is state


def test_evaluate_does_not_mutate_its_input_state():
    client = uuid.uuid4()
    state, _ = run([checkin(client, 0, mood(5))], DetectorConfig())
    snapshot = state.to_bytes()
    later = checkin(client, 1, mood(2) + brs_score(3))
    evaluate(state, later, later.occurred_at, DetectorConfig())
    assert state.to_bytes() == snapshot


def test_the_example_rules_file_lists_every_default():
    from pathlib import Path

    import services.detector

    example = Path(services.detector.__file__).parent / "rules.example.toml"
    assert load_config(example) == DetectorConfig()
    text = example.read_text()
    for section, rules in DetectorConfig().model_dump(exclude={"clients", "history_days"}).items():
        assert f"[{section}]" in text
        for key in rules:
            assert f"\n{key} = " in text, f"{section}.{key} is missing from the example"
