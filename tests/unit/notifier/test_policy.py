"""The alert policy decides delivery, recipients and escalation from plain data (no I/O, time a parameter)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from schemas.signal import Severity, SignalDetected, SignalKind
from services.common.alerts import CareTeam
from services.notifier.core import AlertPolicy, Delivery, PolicyConfig, QuietHours

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PRIMARY, MEMBER, ESCALATION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
TEAM = CareTeam(primary=(PRIMARY,), members=(MEMBER,), escalation=(ESCALATION,))


def signal(severity: Severity, kind: SignalKind = SignalKind.RESILIENCE_LOW, observed_at: datetime = NOW) -> SignalDetected:
    return SignalDetected(signal_id=uuid.uuid4(), client_id=uuid.uuid4(), kind=kind, severity=severity,
                          observed_at=observed_at, detected_at=NOW, summary="s")


def test_critical_goes_to_every_clinician_and_sets_the_escalation_timer():
    decision = AlertPolicy().decide(signal(Severity.CRITICAL, SignalKind.RISK_ACUTE), TEAM, None, NOW)
    assert decision.delivery is Delivery.PUSH
    assert decision.recipients == [PRIMARY, MEMBER]
    assert decision.escalate_at == NOW + timedelta(minutes=15)


def test_critical_ignores_cooldown_and_quiet_hours():
    policy = AlertPolicy(PolicyConfig(quiet_hours=QuietHours.parse("00:00-23:59")))
    decision = policy.decide(signal(Severity.CRITICAL, SignalKind.RISK_ACUTE), TEAM, NOW - timedelta(minutes=1), NOW)
    assert decision.delivery is Delivery.PUSH and decision.escalate_at is not None


@pytest.mark.parametrize("severity, window", [(Severity.HIGH, timedelta(hours=24)), (Severity.MEDIUM, timedelta(hours=72))])
def test_repeat_inside_the_cooldown_is_suppressed_and_outside_pushed(severity, window):
    policy = AlertPolicy()
    inside = policy.decide(signal(severity), TEAM, NOW - window + timedelta(minutes=1), NOW)
    outside = policy.decide(signal(severity), TEAM, NOW - window - timedelta(minutes=1), NOW)
    assert inside.delivery is Delivery.SUPPRESSED and inside.recipients == []
    assert outside.delivery is Delivery.PUSH and outside.recipients == [PRIMARY]
    assert outside.escalate_at is None


def test_a_late_signal_before_an_earlier_push_is_also_a_repeat():
    decision = AlertPolicy().decide(signal(Severity.MEDIUM, observed_at=NOW - timedelta(days=1)), TEAM, NOW, NOW)
    assert decision.delivery is Delivery.SUPPRESSED


@pytest.mark.parametrize("severity", [Severity.LOW, Severity.INFO])
def test_low_and_info_go_to_the_digest(severity):
    decision = AlertPolicy().decide(signal(severity), TEAM, None, NOW)
    assert decision.delivery is Delivery.DIGEST and decision.recipients == [] and decision.escalate_at is None


def test_quiet_hours_hold_the_page_of_non_critical_pushes_until_they_end():
    policy = AlertPolicy(PolicyConfig(quiet_hours=QuietHours.parse("22:00-07:00", "Europe/Berlin")))
    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    morning = datetime(2026, 11, 27, 6, 30, tzinfo=UTC)  # 07:30 in Berlin
    held = policy.decide(signal(Severity.HIGH), TEAM, None, night)
    assert held.delivery is Delivery.PUSH and held.recipients == [PRIMARY]
    assert held.hold_until == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert policy.decide(signal(Severity.HIGH), TEAM, None, morning).hold_until is None
    assert policy.decide(signal(Severity.CRITICAL, SignalKind.RISK_ACUTE), TEAM, None, night).hold_until is None


def test_the_end_of_quiet_hours_is_the_next_one():
    same_day = QuietHours.parse("01:00-06:00")
    assert same_day.next_end(datetime(2026, 11, 26, 2, tzinfo=UTC)) == datetime(2026, 11, 26, 6, tzinfo=UTC)
    assert same_day.next_end(datetime(2026, 11, 26, 7, tzinfo=UTC)) == datetime(2026, 11, 27, 6, tzinfo=UTC)
    assert not same_day.contains(datetime(2026, 11, 26, 6, tzinfo=UTC))


def test_routing_falls_back_when_a_role_is_missing():
    members_only = CareTeam(members=(MEMBER,))
    assert AlertPolicy().decide(signal(Severity.HIGH), members_only, None, NOW).recipients == [MEMBER]
    assert members_only.escalation_recipients() == [MEMBER]
    assert TEAM.escalation_recipients() == [ESCALATION]
    assert AlertPolicy().decide(signal(Severity.HIGH), CareTeam(), None, NOW).recipients == []


def test_empty_quiet_hours_mean_none():
    assert QuietHours.parse("") is None
    with pytest.raises(ValueError):
        QuietHours.parse("22:00-07:00", "Mars/Olympus")


def test_routes_are_configuration():
    policy = AlertPolicy(PolicyConfig(routes={**PolicyConfig().routes, Severity.HIGH: ("primary", "member")}))
    assert policy.decide(signal(Severity.HIGH), TEAM, None, NOW).recipients == [PRIMARY, MEMBER]
    assert policy.decide(signal(Severity.MEDIUM), TEAM, None, NOW).recipients == [PRIMARY]


def test_settings_override_single_routes_and_reject_unknown_roles(monkeypatch):
    from pydantic import ValidationError

    from services.notifier.config import NotifierSettings

    monkeypatch.setenv("RAPPORT_NOTIFIER_ROUTES", '{"medium": ["member"]}')
    routes = NotifierSettings().policy().routes
    assert routes[Severity.MEDIUM] == ("member",) and routes[Severity.CRITICAL] == ("primary", "member")
    monkeypatch.setenv("RAPPORT_NOTIFIER_ROUTES", '{"medium": ["boss"]}')
    with pytest.raises(ValidationError, match="routes"):
        NotifierSettings()
