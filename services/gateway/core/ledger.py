"""The idempotency ledger: accepted event ids and the answer given, so a resubmission gets the same answer.

Bounded (least recently used first out) and per instance: a repeat that reaches another instance, or
arrives after eviction, is published again and absorbed by the idempotent consumers downstream.
"""

import hashlib
import json
from collections import OrderedDict
from uuid import UUID

from schemas.checkin import CheckinSubmitted


def fingerprint(event: CheckinSubmitted) -> str:
    """A digest of the check-in's content, so a reused event_id with different content can be told apart."""
    canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class EventIdConflict(Exception):
    """The event_id was already accepted for a different check-in."""


class AcceptedLedger:
    """event_id -> (fingerprint, response body) of accepted check-ins, at most `capacity` of them."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._accepted: OrderedDict[UUID, tuple[str, dict]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._accepted)

    def answer_for(self, event: CheckinSubmitted) -> dict | None:
        """The answer already given for this event, None when it is new; raise on a reused id."""
        entry = self._accepted.get(event.event_id)
        if entry is None:
            return None
        digest, answer = entry
        if digest != fingerprint(event):
            raise EventIdConflict(f"event_id {event.event_id} was already used for a different check-in")
        self._accepted.move_to_end(event.event_id)
        return answer

    def remember(self, event: CheckinSubmitted, answer: dict) -> None:
        """Record an accepted event and its answer, forgetting the least recently used beyond capacity."""
        if self.capacity == 0:
            return
        self._accepted[event.event_id] = (fingerprint(event), answer)
        self._accepted.move_to_end(event.event_id)
        while len(self._accepted) > self.capacity:
            self._accepted.popitem(last=False)
