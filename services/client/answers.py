"""Build a check-in body from command-line style answers (e.g. `--brs 4,2,4,2,4,2`), validated locally."""

from datetime import UTC, datetime

from pydantic import ValidationError

from schemas.checkin import CheckinSubmission
from schemas.errors import summarize_validation_error


class InvalidCheckin(ValueError):
    """The answers do not form a valid check-in; the message names the fields."""


def parse_values(text: str | None) -> list[float]:
    """'4,2,4' -> [4.0, 2.0, 4.0]; None or '' -> []."""
    return [float(part) for part in text.split(",") if part.strip()] if text else []


def build_checkin(client_id: str, timezone: str, *, instruments: dict[str, str | None], phq9_item9: int | None = None,
                  help_requested: bool = False, note: str | None = None, occurred_at: datetime | None = None) -> dict:
    """A CheckinSubmission body: each instrument's comma-separated values are its items 1..n in order."""
    answers = [{"instrument": name, "item": item, "value": value}
               for name, text in instruments.items() for item, value in enumerate(parse_values(text), start=1)]
    if phq9_item9 is not None and not any(a["instrument"] == "phq9" and a["item"] == 9 for a in answers):
        answers.append({"instrument": "phq9", "item": 9, "value": phq9_item9})
    body = {"client_id": client_id, "timezone": timezone, "answers": answers, "help_requested": help_requested,
            "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
            "source": {"app": "rapport-cli", "app_version": "1"}}
    if note:
        body["note"] = note
    try:
        CheckinSubmission.model_validate(body)
    except ValidationError as exc:
        raise InvalidCheckin(summarize_validation_error(exc)) from exc
    return body
