"""Per-client token buckets: a burst for offline sync, a sustained rate after it; time is a parameter."""

import math
from dataclasses import dataclass
from uuid import UUID


@dataclass
class Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    """Allow `burst` check-ins at once per client, refilled at `per_minute`."""

    def __init__(self, per_minute: float, burst: int, max_clients: int = 100_000):
        self.rate_per_s = per_minute / 60
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: dict[UUID, Bucket] = {}

    def take(self, client_id: UUID, count: int, now: float) -> float:
        """Spend `count` tokens; return 0 when allowed, else the seconds to wait before retrying."""
        count = min(count, self.burst)  # a full batch must always be possible after waiting
        bucket = self._buckets.get(client_id)
        if bucket is None:
            if len(self._buckets) >= self.max_clients:
                self._forget_full_buckets(now)
            bucket = self._buckets[client_id] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated_at) * self.rate_per_s)
        bucket.updated_at = now
        if count <= bucket.tokens:
            bucket.tokens -= count
            return 0.0
        missing = count - bucket.tokens
        return max(1.0, math.ceil(missing / self.rate_per_s))

    def _forget_full_buckets(self, now: float) -> None:
        # A bucket that has refilled completely holds no information, so dropping it changes nothing.
        full = [c for c, b in self._buckets.items() if b.tokens + (now - b.updated_at) * self.rate_per_s >= self.burst]
        for client_id in full:
            del self._buckets[client_id]
