"""`rapport notifier digest`: read the day's digest alerts, group them per therapist, print or send them."""

import json
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from services.common.db import make_engine
from services.notifier.adapters.digest import digest_items
from services.notifier.config import NotifierSettings
from services.notifier.core.digest import build_digests, day_bounds, render_text
from services.notifier.core.webhook import signed_headers


def parse_day(day: str | None, timezone: str) -> date:
    """`YYYY-MM-DD`, or yesterday in `timezone` when not given; ValueError naming the problem."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"unknown timezone: {timezone}") from exc
    if day is None:
        return datetime.now(zone).date() - timedelta(days=1)
    try:
        return date.fromisoformat(day)
    except ValueError as exc:
        raise ValueError(f"--date must be YYYY-MM-DD, got {day!r}") from exc


async def run_digest(settings: NotifierSettings, day: str | None, timezone: str, as_json: bool,
                     send: bool) -> tuple[str, int]:
    """The rendered digest and how many therapists' digests failed to send."""
    the_day = parse_day(day, timezone)
    engine = make_engine(settings)
    try:
        items, names = await digest_items(engine, *day_bounds(the_day, timezone), settings.policy().routes)
    finally:
        await engine.dispose()
    digests = build_digests(items, names)
    payloads = [{"type": "alert.digest", "date": the_day.isoformat(), "timezone": timezone} | d.to_json() for d in digests]
    output = json.dumps(payloads, indent=2) + "\n" if as_json else render_text(the_day, timezone, digests)
    failed = await _send(settings, payloads) if send else 0
    return output, failed


async def _send(settings: NotifierSettings, payloads: list[dict]) -> int:
    failed = 0
    async with httpx.AsyncClient(timeout=settings.webhook_timeout_s) as client:
        for payload in payloads:
            body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
            delivery = f"digest-{payload['date']}-{payload['therapist_id']}"
            headers = signed_headers(settings.webhook_secret, int(time.time()), body, delivery)
            try:
                failed += not (await client.post(settings.webhook_url, content=body, headers=headers)).is_success
            except httpx.HTTPError:
                failed += 1
    return failed
