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
    """Throughput of a consumer from (time, records processed) samples while it drains `total` records.

    The count may be a step function (offset commits, a polled counter): the rate is measured between
    the first step above zero and the step that reaches `total`, which leaves start-up (group join)
    out and is exact at both ends up to the sampling interval.
    """
    steps = [(t, n) for i, (t, n) in enumerate(samples) if i == 0 or n != samples[i - 1][1]]
    steps = [(t, n) for t, n in steps if n > 0]
    done = next(((t, n) for t, n in steps if n >= total), None)
    if not steps or done is None or done[0] <= steps[0][0]:
        return None
    return (done[1] - steps[0][1]) / (done[0] - steps[0][0])


def metric_value(prometheus_text: str, name: str) -> float | None:
    """The value of an unlabelled metric (or the sum over its labels) in Prometheus text format."""
    found = None
    for line in prometheus_text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in (" ", "{"):
            found = (found or 0.0) + float(line.rsplit(" ", 1)[1])
    return found
