"""The replay summary: signals per kind and per client-month, invalid lines, throughput."""

from collections import Counter
from dataclasses import dataclass, field

from schemas.checkin import CheckinSubmitted
from schemas.signal import SignalDetected, SignalKind


@dataclass
class ReplaySummary:
    """Counts gathered while replaying; `render` is what clinical teams read when tuning thresholds."""

    checkins: int = 0
    duplicates: int = 0
    invalid: int = 0
    elapsed_s: float = 0.0
    workers: int = 1
    by_kind: Counter = field(default_factory=Counter)
    by_client_month: Counter = field(default_factory=Counter)  # (client_id, year, month) -> signals
    client_months: set = field(default_factory=set)  # (client_id.int, year, month) with at least one check-in

    def count_checkin(self, checkin: CheckinSubmitted) -> None:
        self.checkins += 1
        occurred_at = checkin.occurred_at
        self.client_months.add((checkin.client_id.int, occurred_at.year, occurred_at.month))  # int: hashed in C

    def count_signal(self, signal: SignalDetected) -> None:
        self.by_kind[signal.kind] += 1
        self.by_client_month[(signal.client_id, signal.observed_at.year, signal.observed_at.month)] += 1

    def merge(self, other: "ReplaySummary") -> None:
        """Add another worker's counts (each client is counted by exactly one worker)."""
        self.checkins += other.checkins
        self.duplicates += other.duplicates
        self.invalid += other.invalid
        self.by_kind.update(other.by_kind)
        self.by_client_month.update(other.by_client_month)
        self.client_months |= other.client_months

    def render(self) -> str:
        months = max(len(self.client_months), 1)
        rate = self.checkins / self.elapsed_s if self.elapsed_s else 0.0
        lines = [
            f"replayed {self.checkins:,} check-ins from {len({month[0] for month in self.client_months}):,} clients "
            f"({len(self.client_months):,} client-months) in {self.elapsed_s:.2f} s with {self.workers} worker(s) "
            f"({rate:,.0f} check-ins/s); "
            f"{self.duplicates:,} redelivered and {self.invalid:,} invalid line(s) skipped",
            f"{'kind':34} {'signals':>8} {'per client-month':>17}",
        ]
        for kind in SignalKind:
            count = self.by_kind.get(kind, 0)
            lines.append(f"{kind.value:34} {count:8,} {count / months:17.3f}")
        total = sum(self.by_kind.values())
        lines.append(f"{'all':34} {total:8,} {total / months:17.3f}")
        flagged = len(self.by_client_month)
        busiest = max(self.by_client_month.values(), default=0)
        lines.append(f"(client, month) pairs with a signal: {flagged:,}; most signals in one client-month: {busiest}")
        return "\n".join(lines) + "\n"
