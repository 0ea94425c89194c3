"""Care-team routing picks recipients by role, and never anyone outside the team, whatever is missing."""

import uuid

from schemas.signal import Severity
from services.common.alerts import CareTeam, alert_event_id, alert_id_for

PRIMARY, MEMBER, ESCALATION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_default_routes():
    team = CareTeam((PRIMARY,), (MEMBER,), (ESCALATION,))
    assert team.recipients(Severity.CRITICAL) == [PRIMARY, MEMBER]
    assert all(team.recipients(s) == [PRIMARY] for s in (Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO))
    assert team.escalation_recipients() == [ESCALATION]
    assert team.everyone == [PRIMARY, MEMBER, ESCALATION]


def test_fallbacks_stay_inside_the_team():
    only_escalation = CareTeam(escalation=(ESCALATION,))
    assert only_escalation.recipients(Severity.CRITICAL) == [ESCALATION], "someone must hear of a crisis"
    assert CareTeam(members=(MEMBER,)).recipients(Severity.HIGH) == [MEMBER]
    assert CareTeam(primary=(PRIMARY,)).escalation_recipients() == [PRIMARY]
    assert CareTeam().recipients(Severity.CRITICAL) == [] and CareTeam().escalation_recipients() == []


def test_a_therapist_in_two_roles_is_told_once():
    team = CareTeam((PRIMARY,), (PRIMARY, MEMBER), ())
    assert team.with_roles(("primary", "member")) == [PRIMARY, MEMBER]


def test_ids_are_deterministic_and_distinct_per_step():
    signal_id = uuid.uuid4()
    assert alert_id_for(signal_id) == alert_id_for(signal_id) != alert_id_for(uuid.uuid4())
    alert_id = alert_id_for(signal_id)
    assert alert_event_id(alert_id, "opened") != alert_event_id(alert_id, "escalated")
