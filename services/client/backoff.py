"""When to try a pending check-in again: exponential backoff with jitter, honouring Retry-After."""

import random


def next_attempt_delay(attempts: int, retry_after_s: float | None = None, base_s: float = 1.0, cap_s: float = 300.0,
                       rng: random.Random | None = None) -> float:
    """Seconds to wait after `attempts` failed tries; never sooner than the server's Retry-After."""
    ceiling = min(cap_s, base_s * 2 ** max(attempts - 1, 0))
    # "Full jitter" keeps many phones coming back online at once from retrying in lockstep.
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    return max(delay, retry_after_s or 0.0)
