"""The daily digest, pure: low/info alerts grouped per therapist."""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from schemas.signal import Severity


@dataclass(frozen=True)
class DigestItem:
    """One alert that went to the digest, with the therapists it is for."""

    alert_id: UUID
    client_id: UUID
    client_name: str
    kind: str
    severity: str
    summary: str
    observed_at: datetime
    recipients: tuple[UUID, ...]


@dataclass
class TherapistDigest:
    therapist_id: UUID
    therapist_name: str
    items: list[DigestItem] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"therapist_id": str(self.therapist_id), "therapist_name": self.therapist_name,
                "items": [asdict(i) | {"alert_id": str(i.alert_id), "client_id": str(i.client_id),
                                       "observed_at": i.observed_at.isoformat(), "recipients": [str(r) for r in i.recipients]}
                          for i in self.items]}


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of `day` in `timezone`, as aware datetimes."""
    start = datetime.combine(day, time.min, ZoneInfo(timezone))
    return start, datetime.combine(day + timedelta(days=1), time.min, ZoneInfo(timezone))


def build_digests(items: list[DigestItem], therapist_names: dict[UUID, str]) -> list[TherapistDigest]:
    """One digest per therapist, most urgent first, then by event time; therapists sorted by name."""
    by_therapist: dict[UUID, list[DigestItem]] = defaultdict(list)
    for item in items:
        for therapist_id in item.recipients:
            by_therapist[therapist_id].append(item)
    digests = [
        TherapistDigest(t, therapist_names.get(t, str(t)),
                        sorted(found, key=lambda i: (Severity(i.severity).rank, i.observed_at)))
        for t, found in by_therapist.items()
    ]
    return sorted(digests, key=lambda d: (d.therapist_name, str(d.therapist_id)))


def render_text(day: date, timezone: str, digests: list[TherapistDigest]) -> str:
    """Plain text, one block per therapist."""
    if not digests:
        return f"Rapport digest {day.isoformat()} ({timezone}): nothing to report.\n"
    lines = []
    for digest in digests:
        lines.append(f"Rapport digest {day.isoformat()} ({timezone}) for {digest.therapist_name} "
                     f"- {len(digest.items)} item(s)")
        for item in digest.items:
            local = item.observed_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
            lines.append(f"  [{item.severity}] {item.client_name}: {item.summary} ({item.kind}, {local})")
        lines.append("")
    return "\n".join(lines)
