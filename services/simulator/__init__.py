"""The cohort simulator: realistic check-in histories with ground-truth labels, for demos, tests and benchmarks."""

from datetime import UTC, datetime

from services.simulator.core.generator import Cohort, SimulatedCheckin, simulate_cohort


def generate_cohort(clients: int, days: int, seed: int = 7, until: datetime | None = None) -> Cohort:
    """A cohort of `clients` over the `days` days up to `until` (default: now); same seed, same cohort."""
    return simulate_cohort(clients, days, seed, until or datetime.now(UTC).replace(microsecond=0))


__all__ = ["Cohort", "SimulatedCheckin", "generate_cohort"]
