"""Process lifecycle: run a service until SIGTERM/SIGINT, then let it finish its work in flight."""

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable

# Young objects collected every 50,000 allocations (CPython's default: 700), see `settle_heap`.
GC_THRESHOLDS = (50_000, 20, 10)


def settle_heap() -> None:
    """Set what start-up built aside from the garbage collector, and collect young objects less often.

    After its imports a service holds about 110,000 objects that live as long as the process. Without
    `gc.freeze()` every full collection walks them all again: the timeline writer spent about 4 us per
    check-in there (gc callbacks, 60,000 check-ins). A batch keeps its records and rows alive while it is
    written, so with 700 allocations between young collections most of them were traversed and promoted
    several times; with `GC_THRESHOLDS` the writer runs 4% fewer instructions per check-in (callgrind).
    Cycles are still collected; garbage only waits a little longer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop_event)`; SIGTERM or SIGINT sets the event so `main` can shut down cleanly."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    settle_heap()
    asyncio.run(runner())
