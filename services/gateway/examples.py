"""Example requests shown in the OpenAPI document (and replayed by the schemathesis test)."""

CLIENT = "3f2b8a4e-5a1d-4c8e-9b7a-2d4e6f8a0b1c"

ORDINARY = {
    "event_id": "0d9f3c1a-8b7e-4f6d-a5c4-3b2a19081726",
    "client_id": CLIENT,
    "occurred_at": "2026-03-02T08:15:00+01:00",
    "timezone": "Europe/Berlin",
    "answers": [{"instrument": "mood", "item": 1, "value": 6},
                *({"instrument": "brs", "item": i, "value": v} for i, v in enumerate([4, 2, 4, 2, 3, 2], start=1))],
    "goals": [{"goal_id": "walk-daily", "progress": 7}],
    "source": {"app": "rapport-ios", "app_version": "1.4.0"},
}

RISK = {
    "client_id": CLIENT,
    "occurred_at": "2026-03-02T22:40:00+01:00",
    "timezone": "Europe/Berlin",
    "answers": [{"instrument": "mood", "item": 1, "value": 2}, {"instrument": "phq9", "item": 9, "value": 1}],
    "help_requested": True,
}

CHECKIN_EXAMPLES = {
    "ordinary": {"summary": "A morning check-in with mood, BRS and a goal", "value": ORDINARY},
    "risk": {"summary": "A risk answer: the 202 carries safety_resources", "value": RISK},
}

BATCH_EXAMPLES = {
    "offline-sync": {"summary": "Two check-ins a phone stored while offline",
                     "value": {"checkins": [ORDINARY, RISK | {"event_id": "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"}]}},
}
