"""Decoding records and encoding table values: the edge between Kafka bytes and the pure core."""

import json
import struct

from pydantic import ValidationError

from schemas.checkin import CheckinSubmitted, validate_checkin_json
from schemas.errors import summarize_validation_error
from services.detector.core.state import ClientState, from_legacy_json

VALUE_FORMAT = 1
_HEAD = struct.Struct("<BH")  # value format, partition


class UnusableRecord(ValueError):
    """A record that can never be judged; the message is the DLQ reason (field names, never values)."""


def decode_checkin(value: bytes | None) -> CheckinSubmitted:
    """Validate a `rapport.checkins.v1` value or raise UnusableRecord naming what is wrong."""
    if not value:
        raise UnusableRecord("empty value")
    try:
        return validate_checkin_json(value)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise UnusableRecord("value is not valid JSON") from None
        raise UnusableRecord(summarize_validation_error(exc)) from None


def encode_state(partition: int, state: ClientState) -> bytes:
    """Table value: the partition the client lives on (the live clock only ticks owned ones), then its state."""
    return _HEAD.pack(VALUE_FORMAT, partition) + state.to_bytes()


def decode_state(raw: bytes) -> tuple[int, ClientState]:
    """A Table value; the JSON values of earlier versions are still read, so an upgrade keeps every state."""
    if raw[:1] == b"{":
        data = json.loads(raw)
        return data["partition"], from_legacy_json(data["state"])
    version, partition = _HEAD.unpack_from(raw)
    if version != VALUE_FORMAT:
        raise ValueError(f"unknown detector table value format {version}")
    return partition, ClientState.from_bytes(raw[_HEAD.size:])
