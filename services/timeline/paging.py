"""Pure helpers of the read API: the opaque keyset cursor and the `kinds` filter."""

import base64
import json
from datetime import datetime
from uuid import UUID


class BadQuery(ValueError):
    """A query parameter that cannot be used; `field` names it for the 4xx answer."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def encode_cursor(at: datetime, item_id: UUID) -> str:
    """The position after which the next page starts: (time, id) of the last item shown."""
    raw = json.dumps([at.isoformat(), str(item_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, id_text = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None:
            raise ValueError("naive time")
        return at, UUID(id_text)
    except (ValueError, TypeError) as exc:
        raise BadQuery("cursor", "not a cursor this API returned (take next_cursor from the previous page)") from exc


def parse_kinds(text: str | None, known: tuple[str, ...]) -> list[str]:
    """`checkin,signal` -> ["checkin", "signal"]; all kinds when empty; BadQuery naming `kinds` otherwise."""
    if not text or not text.strip():
        return list(known)
    kinds = list(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in known]
    if unknown or not kinds:
        raise BadQuery("kinds", f"expected a comma-separated subset of {', '.join(known)}, got {text!r}")
    return kinds


def check_window(from_at: datetime | None, to_at: datetime | None) -> None:
    """Both ends must carry an offset and `from` must come before `to`."""
    for name, value in (("from", from_at), ("to", to_at)):
        if value is not None and value.tzinfo is None:
            raise BadQuery(name, "give a UTC offset, e.g. 2026-05-01T00:00:00Z")
    if from_at and to_at and from_at >= to_at:
        raise BadQuery("from", "must be earlier than to")
