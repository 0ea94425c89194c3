"""Caseload rows for a therapist: latest scores with a trend, sorted by urgency."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Literal

Trend = Literal["improving", "worsening", "steady"]


@dataclass(frozen=True)
class TrendRule:
    """How far the latest score must move from the mean of the earlier ones to count as a change."""

    min_change: float
    higher_is_better: bool = True


# BRS 0.5 is below its reliable-change 0.73 on purpose: a caseload hint, not a clinical signal.
TREND_RULES = {
    "brs": TrendRule(0.5),
    "mood": TrendRule(1.5),
    "srs": TrendRule(3.0),
    "phq9": TrendRule(3.0, higher_is_better=False),
}
NO_ALERT_RANK = 5


def trend(instrument: str, newest_first: list[float]) -> Trend | None:
    """Latest score against the mean of up to five before it; None with fewer than two scores."""
    if len(newest_first) < 2 or instrument not in TREND_RULES:
        return None
    rule = TREND_RULES[instrument]
    change = newest_first[0] - mean(newest_first[1:6])
    if abs(change) < rule.min_change:
        return "steady"
    return "improving" if (change > 0) == rule.higher_is_better else "worsening"


def latest_scores(score_rows: list[dict]) -> dict:
    """{client_id: {instrument: {value, at, trend}}} from rows ordered newest first per (client, instrument)."""
    grouped: dict = defaultdict(lambda: defaultdict(list))
    for row in score_rows:
        grouped[row["client_id"]][row["instrument"]].append(row)
    return {
        client_id: {
            instrument: {
                "value": rows[0]["value"],
                "at": rows[0]["occurred_at"],
                "trend": trend(instrument, [r["value"] for r in rows]),
            }
            for instrument, rows in by_instrument.items()
        }
        for client_id, by_instrument in grouped.items()
    }


def urgency_key(entry: dict, now: datetime) -> tuple:
    """Most urgent first: worst open alert, more open alerts, more worsening scores, longest silence, name."""
    worst = entry.get("worst_rank")
    worsening = sum(1 for s in entry.get("scores", {}).values() if s.get("trend") == "worsening")
    last = entry.get("last_checkin_at")
    silence_s = (now - last).total_seconds() if last else float("inf")
    return (
        NO_ALERT_RANK if worst is None else worst,
        -entry.get("open_alerts", 0),
        -worsening,
        -silence_s,
        entry.get("display_name") or "",
    )


def build_caseload(client_rows: list[dict], score_rows: list[dict], now: datetime) -> list[dict]:
    """Join clients with their latest scores and sort the caseload by urgency."""
    scores_by_client = latest_scores(score_rows)
    entries = [row | {"scores": scores_by_client.get(row["client_id"], {})} for row in client_rows]
    return sorted(entries, key=lambda entry: urgency_key(entry, now))
