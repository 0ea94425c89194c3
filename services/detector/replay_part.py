"""One replay worker: every line is read, but only the clients hashed to this worker are judged.

The event-time clock is the latest occurred_at read from any line. A line the worker validates (its own
client's) gives the validated time, or, when invalid, a quick RFC 3339 read of its text. Another client's line
gives the quick read; a line that does not read that way is validated and timed only if valid. Both readings
take the same instant from the same text, so every worker reads the same clock from the same lines, any number
of workers fires the same deadlines at the same lines as one worker, and the output is the same. Redelivered
lines never move it (their time was seen before).
"""

import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from pydantic import ValidationError

from schemas.checkin import parse_occurred_at, validate_checkin_json
from schemas.errors import summarize_validation_error
from schemas.signal import SignalDetected
from services.detector.core import load_config
from services.detector.replay_summary import ReplaySummary
from services.detector.replayer import Replayer

CLIENT_ID = re.compile(rb'"client_id"\s*:\s*"([^"\\]*)"')
OCCURRED_AT = re.compile(rb'"occurred_at"\s*:\s*"([^"\\]*)"')
CANONICAL_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
UNKNOWN = -1


@dataclass(frozen=True)
class PartJob:
    input_path: Path
    output_path: Path  # lines "line-number<TAB>sort key<TAB>signal JSON", sorted
    index: int
    workers: int
    config_path: Path | None
    until: str | None
    progress: bool


@dataclass
class PartResult:
    summary: ReplaySummary
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason) of invalid lines


def owner_of(client_id: str, workers: int) -> int:
    return zlib.crc32(client_id.encode()) % workers


def _cheap_owner(line: bytes, workers: int) -> int:
    """The worker owning this line's client, or UNKNOWN when only validation can tell."""
    found = CLIENT_ID.findall(line)
    if len(found) != 1:
        return UNKNOWN
    if CANONICAL_UUID.fullmatch(found[0]):  # already written as str(UUID) writes it
        return zlib.crc32(found[0]) % workers
    try:
        return owner_of(str(UUID(found[0].decode())), workers)
    except ValueError:
        return UNKNOWN


def _cheap_time(line: bytes) -> float | None:
    """The line's occurred_at in epoch seconds when it reads as an RFC 3339 time with an offset, else None."""
    found = OCCURRED_AT.findall(line)
    try:
        return parse_occurred_at(found[0].decode()).timestamp() if len(found) == 1 else None
    except ValueError:
        return None


def sort_key(signal: SignalDetected) -> str:
    """Order of signals found at the same line, the same whichever worker found them."""
    return f"{signal.observed_at.timestamp():020.6f}|{signal.client_id}|{signal.kind.value}"


def replay_part(job: PartJob) -> PartResult:
    """Replay the clients of worker `job.index` of `job.workers`; write their signals to `job.output_path`."""
    result, pending = PartResult(ReplaySummary()), list[SignalDetected]()
    replayer = Replayer(load_config(job.config_path), pending.append)
    total = max(job.input_path.stat().st_size, 1)
    with open(job.input_path, "rb") as source, open(job.output_path, "w", encoding="utf-8") as sink:

        def flush(line_number: int) -> None:
            for key, signal in sorted((sort_key(s), s) for s in pending):
                sink.write(f"{line_number:012d}\t{key}\t{signal.model_dump_json()}\n")
                result.summary.count_signal(signal)
            pending.clear()

        line_number, workers, mine = 0, job.workers, job.index
        for line_number, line in enumerate(source, 1):
            if line.isspace():
                continue
            owner = _cheap_owner(line, workers) if workers > 1 else mine
            if owner != mine and owner != UNKNOWN:  # another worker's client: only the clock moves here
                clock = _cheap_time(line)
                if clock is None:
                    clock = _valid_time(line)
                if clock is not None:
                    replayer.advance_to(clock)
                    if pending:
                        flush(line_number)
                continue
            try:  # a valid line's own occurred_at moves the clock (in `feed`), as the other workers read it
                checkin = validate_checkin_json(line)
            except ValidationError as exc:
                clock = _cheap_time(line)
                if clock is not None:
                    replayer.advance_to(clock)  # an invalid line's readable time still moves the clock
                if owner == mine or mine == 0:
                    result.summary.invalid += 1
                    result.problems.append((line_number, summarize_validation_error(exc)))
                flush(line_number)
                continue
            if owner == UNKNOWN and owner_of(str(checkin.client_id), workers) != mine:
                replayer.advance(checkin.occurred_at)
            elif replayer.feed(checkin):
                result.summary.count_checkin(checkin)
            else:
                result.summary.duplicates += 1
            if pending:
                flush(line_number)
            if job.progress and mine == 0 and line_number % 10000 == 0:
                show_progress(line_number, source.tell() / total)
        if job.progress and job.index == 0:
            show_progress(line_number, 1.0, done=True)
        if job.until:
            replayer.advance(parse_occurred_at(job.until))
            flush(line_number + 1)
    return result


def show_progress(lines: int, share: float, done: bool = False) -> None:
    """A bar redrawn in place on a terminal, one line per step in a log."""
    if sys.stderr.isatty():
        bar = "#" * round(30 * share)
        sys.stderr.write(f"\r[{bar:<30}] {100 * share:3.0f}% {lines:,} lines" + ("\n" if done else ""))
    elif not done:
        sys.stderr.write(f"replayed {lines:,} lines ({100 * share:.0f}% of the input)\n")
    sys.stderr.flush()


def _valid_time(line: bytes) -> float | None:
    """occurred_at (epoch seconds) of a line the quick reading could not time: only a valid check-in has one."""
    try:
        return validate_checkin_json(line).occurred_at.timestamp()
    except ValidationError:
        return None
