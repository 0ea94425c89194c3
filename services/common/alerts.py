"""The alert lifecycle shared by the notifier and the dashboard: ids, care-team routing and transitions.

Lifecycle: `open -> acknowledged -> resolved`, or `open -> resolved`. Every step writes one
`alert_events` row (deterministic event id, so a retried step is idempotent) and returns the
`AlertEvent` the caller publishes to `rapport.alerts.v1` once its transaction has committed.
Therapist actions also append an `access_audit` row. `opened` and `escalated` belong to the notifier.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid5

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from schemas.alert import AlertEvent, AlertState, AlertTransition
from schemas.signal import Severity
from services.common.access import audit
from services.common.tables import alert_events, alerts, care_team_members

ALERT_NAMESPACE = UUID("0b8d3c7e-2f4a-4e61-8c1d-5a9e7f3b2c10")

_THERAPIST_STEPS = {AlertTransition.ACKNOWLEDGED: AlertState.ACKNOWLEDGED, AlertTransition.RESOLVED: AlertState.RESOLVED}
_ALLOWED = {
    (AlertState.OPEN, AlertState.ACKNOWLEDGED),
    (AlertState.OPEN, AlertState.RESOLVED),
    (AlertState.ACKNOWLEDGED, AlertState.RESOLVED),
}


class AlertNotFound(LookupError):
    """No alert has this id."""


class InvalidTransition(ValueError):
    """The step is not allowed from the alert's current state (e.g. acknowledging a resolved alert)."""


def alert_id_for(signal_id: UUID) -> UUID:
    """Exactly one alert per signal: its id is derived from the signal id."""
    return uuid5(ALERT_NAMESPACE, str(signal_id))


def alert_event_id(alert_id: UUID, transition: AlertTransition | str) -> UUID:
    """Each transition happens at most once per alert, so its event id is deterministic."""
    return uuid5(ALERT_NAMESPACE, f"{alert_id}|{AlertTransition(transition).value}")


Role = Literal["primary", "member", "escalation"]
DEFAULT_ROUTES: dict[Severity, tuple[Role, ...]] = {
    Severity.CRITICAL: ("primary", "member"),
    Severity.HIGH: ("primary",),
    Severity.MEDIUM: ("primary",),
    Severity.LOW: ("primary",),
    Severity.INFO: ("primary",),
}


@dataclass(frozen=True)
class CareTeam:
    """A client's care team by role; routing picks recipients from it."""

    primary: tuple[UUID, ...] = ()
    members: tuple[UUID, ...] = ()
    escalation: tuple[UUID, ...] = ()

    @property
    def clinicians(self) -> list[UUID]:
        """Primary therapists and members (everyone treating the client), in that order."""
        return _unique(self.primary + self.members)

    @property
    def everyone(self) -> list[UUID]:
        return _unique(self.primary + self.members + self.escalation)

    def with_roles(self, roles: Iterable[Role]) -> list[UUID]:
        """Therapists holding these roles; when nobody does, every clinician, else the escalation contact."""
        by_role = {"primary": self.primary, "member": self.members, "escalation": self.escalation}
        chosen = _unique(t for role in roles for t in by_role[role])
        return chosen or self.clinicians or list(self.escalation)

    def recipients(self, severity: Severity | str, routes: Mapping[Severity, Iterable[Role]] = DEFAULT_ROUTES) -> list[UUID]:
        """Default routing: critical to every clinician at once; anything else to the primary therapist."""
        return self.with_roles(routes[Severity(severity)])

    def escalation_recipients(self) -> list[UUID]:
        """The escalation contact; a team without one escalates to every clinician."""
        return self.with_roles(("escalation",))


def _unique(ids) -> list[UUID]:
    return list(dict.fromkeys(ids))


async def care_team(conn: AsyncConnection, client_id: UUID) -> CareTeam:
    """Load the client's care team (empty when the client is unknown)."""
    return (await care_teams(conn, [client_id]))[client_id]


async def care_teams(conn: AsyncConnection, client_ids: Iterable[UUID]) -> dict[UUID, CareTeam]:
    """Load the care teams of many clients in one query (an empty team for an unknown client)."""
    wanted = list(dict.fromkeys(client_ids))
    by_client: dict[UUID, dict[str, list[UUID]]] = {c: {"primary": [], "member": [], "escalation": []} for c in wanted}
    if wanted:
        rows = await conn.execute(
            select(care_team_members.c.client_id, care_team_members.c.therapist_id, care_team_members.c.role)
            .where(care_team_members.c.client_id.in_(wanted))
            .order_by(care_team_members.c.client_id, care_team_members.c.therapist_id)
        )
        for client_id, therapist_id, role in rows:
            by_client[client_id].setdefault(role, []).append(therapist_id)
    return {c: CareTeam(tuple(r["primary"]), tuple(r["member"]), tuple(r["escalation"])) for c, r in by_client.items()}


async def recipients_for(conn: AsyncConnection, client_id: UUID, severity: Severity | str) -> list[UUID]:
    """Who is pushed an alert of this severity about this client (see `CareTeam.recipients`)."""
    return (await care_team(conn, client_id)).recipients(severity)


def event_for(alert: Row, transition: AlertTransition, state: AlertState, actor: str, at: datetime,
              recipients: list[UUID], note: str | None = None) -> AlertEvent:
    """The `AlertEvent` for one step of the alert in `alert` (a row of the `alerts` table)."""
    return AlertEvent(
        event_id=alert_event_id(alert.alert_id, transition), alert_id=alert.alert_id, signal_id=alert.signal_id,
        client_id=alert.client_id, kind=alert.kind, severity=alert.severity, transition=transition, state=state,
        actor=actor, occurred_at=at, recipients=recipients, note=note, summary=alert.summary,
    )


async def record_event(conn: AsyncConnection, event: AlertEvent) -> bool:
    """Insert the `alert_events` row for `event`; False when it was already there."""
    return bool(await record_events(conn, [event]))


async def record_events(conn: AsyncConnection, events: list[AlertEvent]) -> set[UUID]:
    """Insert the `alert_events` rows of many steps in one statement; return the event ids that were new."""
    if not events:
        return set()
    inserted = await conn.execute(
        pg_insert(alert_events).on_conflict_do_nothing(index_elements=["event_id"]).returning(alert_events.c.event_id),
        [{"event_id": e.event_id, "alert_id": e.alert_id, "client_id": e.client_id, "transition": e.transition.value,
          "state": e.state.value, "actor": e.actor, "note": e.note, "recipients": e.recipients,
          "occurred_at": e.occurred_at} for e in events],
    )
    return set(inserted.scalars())


async def transition(conn: AsyncConnection, alert_id: UUID, transition: AlertTransition | str, actor: UUID,
                     note: str | None = None, *, at: datetime | None = None) -> AlertEvent:
    """Acknowledge or resolve an alert as therapist `actor`, in the caller's transaction.

    Locks the alert row, checks the step, updates the alert (and stops its escalation timer),
    writes the `alert_events` row and an `access_audit` row, and returns the event to publish
    (recipients: the whole care team, so colleagues see the change). Raises `AlertNotFound`,
    or `InvalidTransition` naming the current state.
    """
    step = AlertTransition(transition)
    if step not in _THERAPIST_STEPS:
        raise InvalidTransition(f"'{step.value}' is done by the notifier, not by a therapist")
    target = _THERAPIST_STEPS[step]
    row = (await conn.execute(select(alerts).where(alerts.c.alert_id == alert_id).with_for_update())).one_or_none()
    if row is None:
        raise AlertNotFound(f"no alert {alert_id}")
    current = AlertState(row.state)
    if (current, target) not in _ALLOWED:
        raise InvalidTransition(f"cannot move an alert from {current.value} to {target.value}")
    at = at or datetime.now(UTC)
    changes: dict = {"state": target.value, "escalate_at": None}
    if target is AlertState.ACKNOWLEDGED:
        changes |= {"acknowledged_at": at, "acknowledged_by": actor}
    else:
        changes |= {"resolved_at": at, "resolved_by": actor, "resolution_note": note}
    await conn.execute(update(alerts).where(alerts.c.alert_id == alert_id).values(**changes))
    team = await care_team(conn, row.client_id)
    event = event_for(row, step, target, str(actor), at, team.everyone, note)
    await record_event(conn, event)
    await audit(conn, actor, f"alert.{step.value}", client_id=row.client_id, resource=f"alert:{alert_id}")
    return event
