"""Batch submissions: every item is validated, authorised and answered on its own."""

from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from schemas.checkin import CheckinSubmission, CheckinSubmitted
from schemas.errors import describe_validation_error
from services.gateway.core.ledger import EventIdConflict
from services.gateway.core.timing import occurred_at_problem
from services.gateway.models import BatchItemResult


class InvalidInput(Exception):
    """Input that fails validation outside the request model; answered as 422 naming `field`."""

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems


def invalid_input(field: str, message: str) -> InvalidInput:
    """A 422 naming one field."""
    return InvalidInput([{"field": field, "message": message}])


def judge_items(
    items: list[dict], subject: UUID | None, now: datetime
) -> tuple[list, list[tuple[int, CheckinSubmitted]]]:
    """Validate and authorise every item on its own: (results so far, the events fit to publish)."""
    results: list = [None] * len(items)
    events = []
    for index, item in enumerate(items):
        try:
            submission = CheckinSubmission.model_validate(item)
        except ValidationError as exc:
            results[index] = _rejected(index, item, 422, describe_validation_error(exc))
            continue
        problem = occurred_at_problem(submission.occurred_at, now)
        if problem:
            results[index] = _rejected(index, item, 422, [{"field": "occurred_at", "message": problem}])
        elif subject is not None and subject != submission.client_id:
            message = "the token's subject is not this check-in's client_id"
            results[index] = _rejected(index, item, 403, [{"field": "client_id", "message": message}])
        else:
            events.append((index, submission.to_event()))
    return results, events


def _rejected(index: int, item: dict, code: int, errors: list[dict]) -> BatchItemResult:
    return BatchItemResult(index=index, status="rejected", code=code, event_id=_event_id_of(item), errors=errors)


def _event_id_of(item: dict) -> str | None:
    value = item.get("event_id")
    return value if isinstance(value, str) and len(value) <= 64 else None


def item_result(index: int, event: CheckinSubmitted, outcome) -> BatchItemResult:
    """The per-item result of an item the intake handled: its answer, a conflict or unavailability."""
    if isinstance(outcome, dict):
        return BatchItemResult(index=index, code=202, **outcome)
    if isinstance(outcome, EventIdConflict):
        return BatchItemResult(index=index, status="rejected", code=409, event_id=str(event.event_id),
                               errors=[{"field": "event_id", "message": str(outcome)}])
    return BatchItemResult(index=index, status="unavailable", code=503, event_id=str(event.event_id))
