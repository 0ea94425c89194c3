"""The targets of issue 7 (2-core machine; the ratios hold on any machine)."""

from bench.report import Target

TIMELINE_VS_NAIVE = Target("ratio", ">=", 10.0, ">= 10x naive")
TIMELINE_VS_COPY = Target("ratio", ">=", 0.40, ">= 40% of COPY")
DETECTOR_VS_BARE = Target("ratio", ">=", 1.0, ">= 1.0x bare agent")
ALERT_P50_MS = Target("value", "<=", 250.0, "p50 < 250 ms")
ALERT_P99_MS = Target("value", "<=", 1000.0, "p99 < 1 s")
REPLAY_RATE = Target("value", ">=", 50_000.0, ">= 50,000/s")
STATE_BYTES_PER_CLIENT = Target("value", "<=", 1024.0, "<= 1 KiB/client")
