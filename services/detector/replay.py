"""`rapport replay`: the live detection core over a JSONL file, with an event-time clock instead of timers."""

import heapq
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from schemas.checkin import CheckinSubmitted, parse_occurred_at
from schemas.errors import summarize_validation_error
from schemas.signal import SignalDetected
from services.detector.core import ClientState, DetectorConfig, advance_clock, evaluate, load_config, missed_deadline
from services.detector.replay_summary import ReplaySummary

DAY = 86400.0


@dataclass
class Replayer:
    """Feeds check-ins in arrival order; the watermark is the latest occurred_at seen, across all clients."""

    config: DetectorConfig
    emit: Callable[[SignalDetected], None]
    states: dict[str, ClientState] = field(default_factory=dict)
    watermark: datetime | None = None
    _due: list = field(default_factory=list)  # heap of (earliest possible deadline, client_id, last event_id)

    def feed(self, checkin: CheckinSubmitted) -> bool:
        """Judge one check-in; False when it was a redelivery (nothing changed)."""
        if self.watermark is None or checkin.occurred_at > self.watermark:
            self.advance(checkin.occurred_at)
        client_id = str(checkin.client_id)
        before = self.states.get(client_id)
        state, signals = evaluate(before, checkin, self.watermark, self.config)
        self.states[client_id] = state
        self._emit_all(signals)
        if state is not before and state.entries and state.missed_after != state.entries[-1].event_id:
            last = state.entries[-1]
            # A cheap lower bound; the exact deadline (median gap, timezone) is computed when it comes due.
            lower_bound = last.t + self.config.for_client(client_id).engagement.min_gap_days * DAY
            heapq.heappush(self._due, (lower_bound, client_id, last.event_id))
        return state is not before

    def advance(self, watermark: datetime) -> None:
        """Move the event-time clock forward and report every missed-check-in deadline it passes."""
        self.watermark = watermark if self.watermark is None else max(self.watermark, watermark)
        now = self.watermark.timestamp()
        while self._due and self._due[0][0] <= now:
            _, client_id, last_event_id = heapq.heappop(self._due)
            state = self.states[client_id]
            if not state.entries or state.entries[-1].event_id != last_event_id:
                continue  # the client checked in again since: that check-in queued its own deadline
            deadline = missed_deadline(state, self.config.for_client(client_id).engagement)
            if deadline is None:
                continue
            if deadline.timestamp() > now:
                heapq.heappush(self._due, (deadline.timestamp(), client_id, last_event_id))
                continue
            self.states[client_id], signals = advance_clock(state, client_id, self.watermark, self.config)
            self._emit_all(signals)

    def _emit_all(self, signals: list[SignalDetected]) -> None:
        for signal in signals:
            self.emit(signal)


def run_replay(input_path: Path, output: Path, until: str | None, config_path: Path | None,
               progress: bool = True, stderr: TextIO = sys.stderr) -> int:
    """Replay INPUT into OUTPUT; print invalid lines and the summary to stderr. Returns the exit code."""
    config = load_config(config_path)
    summary = ReplaySummary()
    total_bytes = max(input_path.stat().st_size, 1)
    show_progress = progress and total_bytes > 2_000_000  # "long input": a few thousand check-ins
    started = last_report = time.monotonic()
    with open(input_path, "rb") as source, open(output, "w", encoding="utf-8") as sink:

        def emit(signal: SignalDetected) -> None:
            sink.write(signal.model_dump_json() + "\n")
            summary.count_signal(signal)

        replayer = Replayer(config, emit)
        for line_number, line in enumerate(source, 1):
            if not line.strip():
                continue
            try:
                checkin = CheckinSubmitted.model_validate_json(line)
            except ValidationError as exc:
                summary.invalid += 1
                if summary.invalid <= 20:
                    stderr.write(f"line {line_number}: skipped: {summarize_validation_error(exc)}\n")
                continue
            if replayer.feed(checkin):
                summary.count_checkin(checkin)
            else:
                summary.duplicates += 1
            if show_progress and line_number % 5000 == 0 and time.monotonic() - last_report > 1:
                last_report = time.monotonic()
                stderr.write(f"replayed {line_number:,} lines ({100 * source.tell() / total_bytes:.0f}% of the input)\n")
                stderr.flush()
        if until:
            replayer.advance(parse_occurred_at(until))
    summary.elapsed_s = time.monotonic() - started
    stderr.write(summary.render())
    return 0
