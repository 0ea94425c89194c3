"""The caseload core: trends per instrument and the urgency order."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.dashboard.core.caseload import build_caseload, trend

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_trend_compares_the_latest_score_with_the_earlier_mean():
    assert trend("brs", [2.8, 3.9, 3.8, 4.0]) == "worsening"
    assert trend("brs", [3.7, 3.9, 3.8]) == "steady"
    assert trend("mood", [8, 5, 5]) == "improving"
    assert trend("brs", [3.0]) is None
    assert trend("sleep", [3, 8]) is None


def test_phq9_rising_is_worsening():
    assert trend("phq9", [15, 8, 9]) == "worsening"
    assert trend("phq9", [4, 12, 11]) == "improving"


def client(name, worst_rank=None, open_alerts=0, last_days_ago=1, **scores):
    return {"client_id": uuid4(), "display_name": name, "worst_rank": worst_rank, "open_alerts": open_alerts,
            "last_checkin_at": NOW - timedelta(days=last_days_ago) if last_days_ago is not None else None}


def score_rows(client_row, instrument, values):
    return [{"client_id": client_row["client_id"], "instrument": instrument, "value": v,
             "occurred_at": NOW - timedelta(days=i)} for i, v in enumerate(values)]


def test_caseload_puts_the_worst_open_alert_first_then_worsening_then_silence():
    calm = client("Calm")
    silent = client("Silent", last_days_ago=20)
    never = client("Never checked in", last_days_ago=None)
    sliding = client("Sliding")
    critical = client("Critical", worst_rank=0, open_alerts=1)
    two_high = client("Two high", worst_rank=1, open_alerts=2)
    one_high = client("One high", worst_rank=1, open_alerts=1)
    rows = score_rows(sliding, "brs", [2.5, 3.9, 4.0]) + score_rows(calm, "mood", [7, 7])

    ordered = build_caseload([calm, silent, never, sliding, critical, two_high, one_high], rows, NOW)

    assert [c["display_name"] for c in ordered] == [
        "Critical", "Two high", "One high", "Sliding", "Never checked in", "Silent", "Calm"]
    assert ordered[3]["scores"]["brs"] == {"value": 2.5, "at": NOW, "trend": "worsening"}
    assert ordered[-1]["scores"]["mood"]["trend"] == "steady"
