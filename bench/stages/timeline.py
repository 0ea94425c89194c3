"""Timeline writer rows/s beside a naive one-transaction-per-event consumer and raw asyncpg COPY.

The measurement itself is the timeline engineer's `bench/timeline_writer.py` (`measure`); this stage runs
it on the bench stack and turns its figures into report rows. It publishes its own check-ins and its
consumers read `rapport.checkins.v1` from the start, so it runs before any other stage publishes there.
"""

import importlib.util

from bench import targets
from bench.context import BenchContext
from bench.plan import make_plan
from bench.report import Figure

WRITER = "timeline writer (batched)"


async def run(ctx: BenchContext) -> None:
    if importlib.util.find_spec("bench.timeline_writer") is None:
        why = "bench/timeline_writer.py is not in this checkout yet"
        ctx.report.skip("timeline", f"{WRITER} vs naive", "rows/s", why, targets.TIMELINE_VS_NAIVE)
        ctx.report.skip("timeline", f"{WRITER} vs COPY", "rows/s", why, targets.TIMELINE_VS_COPY)
        return
    from bench.timeline_writer import measure

    # Five rounds: on a shared 2-core box single rounds of either contender move by a third (27 Nov), and the best
    # of three still decided the ratio by which contender met a quiet moment.
    figures = await measure(ctx.kafka, ctx.system.state.postgres.url, ctx.plan.timeline_events,
                            lambda message: ctx.progress(message), rounds=1 if ctx.plan.quick else 5)
    note = (f"{figures['events']:,} check-ins = {figures['rows']:,} rows (check-ins + scores), the same rows for every "
            f"contender, each into a fresh database" + (f"; best of {figures['rounds']} rounds" if "rounds" in figures else ""))
    writer = figures["writer_rows_per_s"]
    ctx.report.add(Figure("timeline", f"{WRITER} vs naive", "rows/s", writer, "naive consumer (1 tx per event)",
                          figures["naive_rows_per_s"], targets.TIMELINE_VS_NAIVE, note=note))
    busy = figures["writer_busy"]
    busy_note = ("COPY writes the pre-built rows as plain tuples with the writer's own time encoding; "
                 f"in its best round the writer's process was on a CPU {busy:.0%} of its wall time (process CPU / wall)"
                 + ("; so it is bound by its own Python work (fetch, validation, rows, COPY encoding), not by waits"
                    if busy >= 0.8 else ""))
    copy_target = targets.TIMELINE_VS_COPY
    if ctx.plan.quick:  # a few thousand rows: COPY's fixed start-up is most of its time, which flatters the writer
        copy_target = None
        busy_note += (f"; not judged against the target in a quick run: {figures['rows']:,} rows are too few for COPY "
                      f"to reach its speed (a full run writes {make_plan(quick=False).timeline_events:,} check-ins)")
    ctx.report.add(Figure("timeline", f"{WRITER} vs COPY", "rows/s", writer, "raw asyncpg COPY",
                          figures["copy_rows_per_s"], copy_target, note=busy_note))
    if "copy_consumer_rows_per_s" in figures:
        ctx.report.add(Figure("timeline", f"{WRITER} vs COPY consumer", "rows/s", writer,
                              "COPY from the same consumer loop and decoding", figures["copy_consumer_rows_per_s"]))
