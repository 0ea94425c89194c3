"""Pacing and progress for long publishing runs."""

import asyncio
import sys
import time


class Pacer:
    """Hold an average rate of `rate` events per second (None: as fast as possible)."""

    def __init__(self, rate: float | None):
        self.rate = rate
        self.started = time.monotonic()
        self.sent = 0

    async def wait(self, count: int) -> None:
        """Call before sending `count` events."""
        self.sent += count
        if self.rate:
            ahead = self.sent / self.rate - (time.monotonic() - self.started)
            if ahead > 0:
                await asyncio.sleep(ahead)


class Progress:
    """A one-line progress report on stderr, refreshed at most twice a second."""

    def __init__(self, total: int, what: str, stream=sys.stderr):
        self.total, self.what, self.stream = total, what, stream
        self.done = 0
        self.started = self.shown = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.shown >= 0.5 or self.done >= self.total:
            self.shown = now
            self._show(now)

    def _show(self, now: float) -> None:
        share = self.done / self.total if self.total else 1.0
        rate = self.done / max(now - self.started, 1e-6)
        bar = "#" * int(share * 30)
        end = "\n" if self.done >= self.total else ("\r" if self.stream.isatty() else "\n")
        self.stream.write(f"{self.what} [{bar:<30}] {self.done}/{self.total} ({share:.0%}) {rate:,.0f}/s{end}")
        self.stream.flush()
