"""risk.acute severities and risk.language with negation; the note never leaves the check-in."""

import uuid

import pytest

from services.detector.core import DetectorConfig
from services.detector.core.lexicon import find_crisis_language
from tests.unit.detector.builders import checkin, kinds, mood, run

CONFIG = DetectorConfig()


def phq9_item9(value):
    return [{"instrument": "phq9", "item": 9, "value": value}]


def cssrs(*yes_items):
    return [{"instrument": "cssrs", "item": i, "value": int(i in yes_items)} for i in range(1, 7)]


@pytest.mark.parametrize(("answers", "extra", "severity"), [
    (phq9_item9(1), {}, "high"),
    (phq9_item9(2), {}, "critical"),
    (phq9_item9(3), {}, "critical"),
    (cssrs(1), {}, "high"),
    (cssrs(1, 2), {}, "high"),
    (cssrs(1, 2, 3), {}, "critical"),
    (cssrs(6), {}, "critical"),
    (phq9_item9(1) + cssrs(1), {}, "critical"),
    (mood(5), {"help_requested": True}, "critical"),
    (phq9_item9(1), {"help_requested": True}, "critical"),
])
def test_acute_risk_severity(answers, extra, severity):
    _, signals = run([checkin(uuid.uuid4(), 0, answers, **extra)], CONFIG)
    acute = [s for s in signals if s.kind == "risk.acute"]
    assert len(acute) == 1 and acute[0].severity == severity


@pytest.mark.parametrize("answers", [phq9_item9(0), cssrs(), mood(1)])
def test_no_acute_risk(answers):
    _, signals = run([checkin(uuid.uuid4(), 0, answers)], CONFIG)
    assert "risk.acute" not in kinds(signals)


def test_acute_risk_evidence_and_deterministic_id():
    client, event_id = uuid.uuid4(), uuid.uuid4()
    first = run([checkin(client, 0, phq9_item9(2), event_id=event_id)], CONFIG)[1][0]
    again = run([checkin(client, 0, phq9_item9(2), event_id=event_id)], CONFIG)[1][0]
    assert first.signal_id == again.signal_id and first.trigger_event_ids == [event_id]
    assert first.evidence == {"phq9_item9": 2, "triggers": 1}
    assert first.summary == "Acute risk: PHQ-9 item 9 answered 2 of 3."


@pytest.mark.parametrize(("note", "matches"), [
    ("I want to kill myself", True),
    ("I would never kill myself", False),
    ("I am not suicidal, just tired", False),
    ("no thoughts of suicide this week", False),
    ("I don't want to live anymore", True),
    ("I'm not okay, I keep thinking about ending it all", True),
    ("Not sure why, but I want to die", True),
    ("I stopped self-harming months ago", False),
    ("Everyone would be better off without me", True),
    ("Great week, went hiking", False),
    ("honestly life isn't worth living", True),
    ("life is worth living again", False),
    ("I see no way out of this", True),
    ("I hope I never wake up", True),
    ("I would never jump off a bridge", False),
    ("I'm not going to hurt myself, I promise", False),
])
def test_crisis_language_is_negation_aware(note, matches):
    assert (find_crisis_language(note) is not None) is matches


def test_language_signal_names_the_pattern_never_the_note():
    note = "I want to kill myself, private words"
    _, signals = run([checkin(uuid.uuid4(), 0, mood(3), note=note)], CONFIG)
    assert kinds(signals) == ["risk.language"] and signals[0].severity == "high"
    assert "private" not in signals[0].model_dump_json() and "kill myself" not in signals[0].summary


def test_deployment_phrases_extend_the_lexicon():
    config = DetectorConfig.model_validate({"language": {"extra_phrases": ["unalive"]}})
    _, signals = run([checkin(uuid.uuid4(), 0, mood(3), note="thinking of how to unalive")], config)
    assert kinds(signals) == ["risk.language"]
