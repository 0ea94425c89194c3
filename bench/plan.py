"""How big each stage of a run is: `--quick` keeps the whole run under two minutes on two cores."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Plan:
    """Sizes and rates of one run; every figure is measured on these amounts, nothing is extrapolated."""

    quick: bool
    events: int  # check-ins for direct produce, the gateway batch endpoint and the detector backlog
    history_days: int  # the detector backlog is `events / history_days` clients x `history_days` days
    timeline_events: int  # check-ins for the timeline writer measurement (also drained by the detector stage)
    single_posts: int  # check-ins sent one request each to POST /v1/checkins
    batch_size: int  # check-ins per POST /v1/checkins:batch
    http_concurrency: int
    alert_seconds: float  # how long the alert-latency stage runs
    background_rate: int  # ordinary check-ins/s during the alert-latency stage
    probes_per_second: float
    replay_clients: int
    replay_days: int
    memory_clients: int  # client states held by the memory probe
    memory_histories: int  # distinct simulated histories those states are built from
    seed: int = 7

    def as_dict(self) -> dict:
        return asdict(self)


def make_plan(quick: bool, events: int | None = None) -> Plan:
    """The default plan for a full or a quick run; `events` overrides the check-in count."""
    if quick:
        plan = Plan(quick=True, events=2_500, history_days=30, timeline_events=1_000, single_posts=400,
                    batch_size=50, http_concurrency=16, alert_seconds=10, background_rate=200, probes_per_second=5,
                    replay_clients=200, replay_days=60, memory_clients=10_000, memory_histories=200)
    else:
        plan = Plan(quick=False, events=30_000, history_days=30, timeline_events=20_000, single_posts=6_000,
                    batch_size=100, http_concurrency=32, alert_seconds=60, background_rate=500, probes_per_second=4,
                    replay_clients=2_000, replay_days=90, memory_clients=100_000, memory_histories=500)
    if events:
        from dataclasses import replace

        plan = replace(plan, events=events, single_posts=max(events // 5, 100))
    return plan
