"""The v1 contracts accept what ARCHITECTURE.md allows and name the field of anything else."""

import json
import uuid

import pytest
from pydantic import ValidationError

from schemas import CheckinSubmission, CheckinSubmitted, SignalKind, describe_validation_error, signal_id_for
from schemas.export import JSON_DIR, render


def checkin(**overrides) -> dict:
    base = {
        "event_id": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "occurred_at": "2026-03-01T21:15:00+01:00",
        "timezone": "Europe/Berlin",
        "answers": [{"instrument": "mood", "item": 1, "value": 6}],
    }
    return base | overrides


def fields_of(exc: ValidationError) -> list[str]:
    return [p["field"] for p in describe_validation_error(exc)]


def test_minimal_checkin_is_valid_and_keyed_by_client():
    event = CheckinSubmitted.model_validate(checkin())
    key, value = event.to_kafka()
    assert key == str(event.client_id).encode()
    assert json.loads(value)["type"] == "checkin.submitted"
    assert event.help_requested is False and event.goals == []


@pytest.mark.parametrize(
    "override, field",
    [
        ({"occurred_at": "2026-03-01T21:15:00"}, "occurred_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"answers": []}, "answers"),
        ({"answers": [{"instrument": "brs", "item": 7, "value": 3}]}, "answers.0"),
        ({"answers": [{"instrument": "phq9", "item": 9, "value": 4}]}, "answers.0"),
        ({"answers": [{"instrument": "srs", "item": 1, "value": 7.25}]}, "answers.0"),
        ({"answers": [{"instrument": "mood", "item": 1, "value": 5.5}]}, "answers.0"),
        ({"answers": [{"instrument": "tarot", "item": 1, "value": 1}]}, "answers.0"),
        ({"answers": [{"instrument": "mood", "item": 1, "value": 3}] * 2}, "answers"),
        ({"goals": [{"goal_id": "Walk Daily", "progress": 3}]}, "goals.0.goal_id"),
        ({"goals": [{"goal_id": "walk", "progress": 11}]}, "goals.0.progress"),
        ({"note": "x" * 4001}, "note"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"version": 2}, "version"),
    ],
)
def test_invalid_checkins_name_the_field(override, field):
    with pytest.raises(ValidationError) as info:
        CheckinSubmitted.model_validate(checkin(**override))
    assert field in fields_of(info.value)


def test_every_answer_range_of_the_registry_is_enforced():
    ok = [
        {"instrument": "brs", "item": 6, "value": 5},
        {"instrument": "cssrs", "item": 6, "value": 1},
        {"instrument": "srs", "item": 4, "value": 9.5},
        {"instrument": "ors", "item": 1, "value": 0},
        {"instrument": "gad7", "item": 7, "value": 3},
        {"instrument": "sleep", "item": 1, "value": 7.5},
    ]
    assert len(CheckinSubmitted.model_validate(checkin(answers=ok)).answers) == 6
    with pytest.raises(ValidationError):
        CheckinSubmitted.model_validate(checkin(answers=[{"instrument": "cssrs", "item": 1, "value": 2}]))


def test_submission_gets_an_event_id_but_keeps_a_given_one():
    data = checkin()
    given = data.pop("event_id")
    assert CheckinSubmission.model_validate(data).to_event().event_id is not None
    assert str(CheckinSubmission.model_validate(data | {"event_id": given}).to_event().event_id) == given


def test_note_and_answers_never_appear_in_repr():
    event = CheckinSubmitted.model_validate(checkin(note="I feel hopeless"))
    assert "hopeless" not in repr(event) and "mood" not in repr(event)


def test_signal_ids_are_deterministic_and_order_free():
    client, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert signal_id_for(client, SignalKind.RISK_ACUTE, [a, b]) == signal_id_for(client, "risk.acute", [b, a])
    assert signal_id_for(client, SignalKind.RISK_ACUTE, [a]) != signal_id_for(client, SignalKind.RISK_LANGUAGE, [a])


def test_committed_json_schemas_match_the_models():
    """Regenerate with `python -m schemas.export` when this fails."""
    rendered = render()
    committed = {p.name: p.read_text() for p in JSON_DIR.glob("*.json")}
    assert committed == rendered, "schemas/json is stale: run `python -m schemas.export` and commit the result"
