"""Decoding records and encoding table values: the edge between Kafka bytes and the pure core."""

import json

from pydantic import ValidationError

from schemas.checkin import CheckinSubmitted
from schemas.errors import summarize_validation_error
from services.detector.core.state import ClientState


class UnusableRecord(ValueError):
    """A record that can never be judged; the message is the DLQ reason (field names, never values)."""


def decode_checkin(value: bytes | None) -> CheckinSubmitted:
    """Validate a `rapport.checkins.v1` value or raise UnusableRecord naming what is wrong."""
    if not value:
        raise UnusableRecord("empty value")
    try:
        return CheckinSubmitted.model_validate_json(value)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise UnusableRecord("value is not valid JSON") from None
        raise UnusableRecord(summarize_validation_error(exc)) from None


def encode_state(partition: int, state: ClientState) -> bytes:
    """Table value: the client's state plus the partition it lives on (the live clock only ticks owned ones)."""
    return json.dumps({"partition": partition, "state": state.to_dict()}, separators=(",", ":")).encode()


def decode_state(raw: bytes) -> tuple[int, ClientState]:
    data = json.loads(raw)
    return data["partition"], ClientState.from_dict(data["state"])
