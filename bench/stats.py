"""Small statistics over measured samples: percentiles and throughput from progress samples."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks; None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rate(count: int, seconds: float) -> float | None:
    """Items per second, or None when nothing was timed."""
    return count / seconds if seconds > 0 and count > 0 else None


def drain_rate(samples: Sequence[tuple[float, int]], total: int) -> float | None:
    """Throughput of a consumer from (time, committed count) samples while it drains `total` records.

    A consumer commits every few hundred milliseconds or seconds, so the committed count is a
    step function: the rate is measured between the first step and the step that reaches `total`,
    which leaves start-up (group join) out and is exact at both ends up to the sampling interval.
    """
    steps = [(t, n) for i, (t, n) in enumerate(samples) if i == 0 or n != samples[i - 1][1]]
    steps = [(t, n) for t, n in steps if n > 0]
    done = next(((t, n) for t, n in steps if n >= total), None)
    if not steps or done is None or done[0] <= steps[0][0]:
        return None
    return (done[1] - steps[0][1]) / (done[0] - steps[0][0])
