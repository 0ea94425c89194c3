"""The schema compatibility check: it fails on changes old consumers cannot read and passes on additions."""

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.export import render
from services.cli import app
from services.tools.compat import compare_contract, compare_sets

RELEASED = Path(__file__).resolve().parents[2] / "schemas" / "released" / "v1"


def released(name: str = "checkin.submitted.v1.json") -> dict:
    return json.loads((RELEASED / name).read_text())


def breaking(old: dict, new: dict) -> list[str]:
    return [f"{f.path}: {f.problem}" for f in compare_contract("c", old, new) if f.breaking]


def test_released_baseline_covers_every_current_contract():
    assert sorted(p.name for p in RELEASED.glob("*.json")) == sorted(render())


def test_current_export_is_compatible_with_the_released_set():
    current = {name: json.loads(text) for name, text in render().items()}
    findings = compare_sets({p.name: json.loads(p.read_text()) for p in RELEASED.glob("*.json")}, current)
    assert not [str(f) for f in findings if f.breaking]


def test_added_optional_field_passes():
    old = released()
    new = copy.deepcopy(old)
    new["properties"]["mood_context"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    findings = compare_contract("c", old, new)
    assert not [f for f in findings if f.breaking]
    assert [f.problem for f in findings] == ["optional field added"]


def test_removed_required_field_fails():
    new = released()
    del new["properties"]["client_id"]
    new["required"].remove("client_id")
    assert breaking(released(), new) == ["client_id: field removed"]


def test_retyped_required_field_fails():
    new = released()
    new["properties"]["timezone"] = {"type": "integer", "title": "Timezone"}
    assert breaking(released(), new) == ["timezone: type changed from ['string'] to ['integer']"]


def test_new_required_field_fails():
    new = released()
    new["properties"]["therapist_id"] = {"type": "string", "format": "uuid"}
    new["required"].append("therapist_id")
    assert breaking(released(), new) == ["therapist_id: new required field"]


def test_narrowed_enum_and_range_fail_widened_pass():
    old = released("signal.detected.v1.json")
    narrowed = copy.deepcopy(old)
    narrowed["$defs"]["Severity"]["enum"].remove("info")
    narrowed["$defs"]["SignalKind"]["enum"].append("sleep.disrupted")
    assert breaking(old, narrowed) == ["severity: values removed: ['info']"]
    goals = released()
    goals_narrowed = copy.deepcopy(goals)
    goals_narrowed["$defs"]["GoalProgress"]["properties"]["progress"]["maximum"] = 5
    assert breaking(goals, goals_narrowed) == ["goals[].progress: maximum 10 -> 5"]
    goals_widened = copy.deepcopy(goals)
    goals_widened["properties"]["note"]["anyOf"][0]["maxLength"] = 8000
    assert breaking(goals, goals_widened) == []


def test_optional_becoming_required_and_nullable_becoming_strict_fail():
    new = released()
    new["properties"]["note"] = {"type": "string", "maxLength": 4000}
    new["required"].append("note")
    assert sorted(breaking(released(), new)) == ["note: no longer accepts ['null']", "note: optional field became required"]


@pytest.mark.parametrize("change, code", [("none", 0), ("remove", 1)])
def test_cli_exit_code(tmp_path, change, code):
    current = tmp_path / "json"
    current.mkdir()
    for path in RELEASED.glob("*.json"):
        schema = json.loads(path.read_text())
        if change == "remove" and path.name == "checkin.submitted.v1.json":
            del schema["properties"]["occurred_at"]
        (current / path.name).write_text(json.dumps(schema))
    result = CliRunner().invoke(app, ["schemas", "check-compat", "--current", str(current)])
    assert result.exit_code == code, result.output
    assert ("BREAKING checkin.submitted.v1.json occurred_at: field removed" in result.output) == (code == 1)


def test_changed_default_fails():
    new = released()
    new["properties"]["help_requested"]["default"] = True
    assert breaking(released(), new) == ["help_requested: default False -> True"]
    nullable = released()
    nullable["properties"]["note"]["default"] = ""
    assert breaking(released(), nullable) == ["note: default None -> ''"]
