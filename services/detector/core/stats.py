"""Small statistics helpers; the standard library's exact Fractions are too slow for replay volumes."""

from math import sqrt


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n - 1); SD 0 for a single value."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
