"""The idempotency ledger: which event ids were accepted, so a resubmission is answered without a second write.

Bounded (least recently used first out) and per instance: a repeat that reaches another instance, or
arrives after eviction, is published again and absorbed by the idempotent consumers downstream.
Only a digest per id is kept; the answer itself is recomputed from the check-in (it is a pure function of it).
"""

import hashlib
import json
from collections import OrderedDict
from uuid import UUID

from schemas.checkin import CheckinSubmitted


def fingerprint(event: CheckinSubmitted) -> bytes:
    """A digest of the check-in's content, so a reused event_id with different content can be told apart."""
    canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=16).digest()


class EventIdConflict(Exception):
    """The event_id was already accepted for a different check-in."""


class AcceptedLedger:
    """event_id -> content digest of accepted check-ins, at most `capacity` of them (about 250 bytes each)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._accepted: OrderedDict[UUID, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._accepted)

    def accepted(self, event: CheckinSubmitted) -> bool:
        """Whether this very check-in was accepted before; raise EventIdConflict when its id was used otherwise."""
        digest = self._accepted.get(event.event_id)
        if digest is None:
            return False
        if digest != fingerprint(event):
            raise EventIdConflict(f"event_id {event.event_id} was already used for a different check-in")
        self._accepted.move_to_end(event.event_id)
        return True

    def remember(self, event: CheckinSubmitted) -> None:
        """Record an accepted event, forgetting the least recently used beyond capacity."""
        if self.capacity == 0:
            return
        self._accepted[event.event_id] = fingerprint(event)
        self._accepted.move_to_end(event.event_id)
        while len(self._accepted) > self.capacity:
            self._accepted.popitem(last=False)
