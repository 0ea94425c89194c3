"""Which answers call for crisis resources at once, and which crisis lines fit the client's region."""

from functools import cache
from pathlib import Path

from schemas.checkin import CheckinSubmitted

FALLBACK_REGION = "*"
SAFETY_MESSAGE = (
    "Thank you for telling us. Your care team will see this. If you might act on thoughts of harming yourself, "
    "or you are in danger now, contact one of these services or your local emergency number right away."
)


def risk_reasons(event: CheckinSubmitted) -> list[str]:
    """The answers that make this check-in a risk check-in (empty when there are none)."""
    reasons = []
    item9 = event.answer("phq9", 9)
    if item9 is not None and item9 >= 1:
        reasons.append("phq9.item9")
    if any(a.instrument == "cssrs" and a.value >= 1 for a in event.answers):
        reasons.append("cssrs")
    if event.help_requested:
        reasons.append("help_requested")
    return reasons


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country code, from the `zone.tab` shipped with the tzdata package."""
    import tzdata

    table = Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab"
    countries: dict[str, str] = {}
    for line in table.read_text().splitlines():
        if line and not line.startswith("#"):
            code, _coordinates, zone, *_ = line.split("\t")
            countries[zone] = code
    return countries


def region_for_timezone(timezone: str) -> str:
    """The client's likely country from their IANA zone; the fallback region when the zone has none."""
    return _zone_countries().get(timezone, FALLBACK_REGION)


def safety_resources(event: CheckinSubmitted, crisis_lines: dict[str, list]) -> dict | None:
    """What the app shows at once after a risk check-in, or None for an ordinary one."""
    reasons = risk_reasons(event)
    if not reasons:
        return None
    region = region_for_timezone(event.timezone)
    lines = crisis_lines.get(region) or crisis_lines.get(FALLBACK_REGION, [])
    return {
        "region": region if region in crisis_lines else FALLBACK_REGION,
        "reasons": reasons,
        "message": SAFETY_MESSAGE,
        "lines": [line if isinstance(line, dict) else line.model_dump(exclude_none=True) for line in lines],
    }
