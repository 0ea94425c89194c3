"""Timeline writer benchmark (not a test): sustained rows/s of the writer beside a naive consumer and raw COPY.

All three write the same check-ins, taken from `rapport.checkins.v1`, into fresh databases of their own:
- writer: the service's own `ConsumerLoop` + `TimelineWriter` (chunked COPY, one transaction per batch), its
  answers cache emptied first like a fresh process's;
- naive: an aiokafka consumer doing one transaction per event, one INSERT per row, offsets committed per fetch;
- COPY: asyncpg `copy_records_to_table` of the same rows, built beforehand as plain tuples and encoded like the
  writer's store encodes them (`services.timeline.store.encode_times`): the database's ceiling from Python;
- COPY consumer: the writer's consumer loop and decoding, each batch written by plain COPY (no idempotency),
  i.e. the fastest non-idempotent sink that pays for Kafka and contract validation like the writer does.
Run alone: `python -m bench.timeline_writer [--events N]` (env URLs, else testcontainers, else embedded stack).
The suite calls `measure(kafka, server_url, events, progress)` and gets the figures as a dict.
"""

import argparse
import asyncio
import gc
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench.workload import day_answers
from migrations.runner import upgrade
from schemas.topics import CHECKINS
from services.common.kafka import BatchLimits, ConsumerLoop, client_options, ensure_topics, make_producer, wait_for_broker
from services.common.runtime import settle_heap
from services.common.settings import KafkaSettings
from services.common.stack import LocalStack, create_database, drop_database
from services.timeline.answers import forget as forget_answers
from services.timeline.config import TimelineSettings
from services.timeline.main import batch_limits, open_store
from services.timeline.service import TimelineWriter
from services.timeline.sql import COPY_COLUMNS, STATEMENTS
from services.timeline.store import copy_rows, encode_times, plain_dsn
from services.timeline.writer import RowBatch, rows_for

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")


def checkins(count: int, seed: int = 11) -> list[dict]:
    """200 clients answering like the bench cohort (`bench.workload.day_answers`: mood daily, BRS and SRS weekly,
    PHQ-9 fortnightly; about one client in ten sliding), a short note on every fifth check-in.

    Plausible answers, not uniform random ones: random PHQ-9 item 9 and BRS answers raise several times the
    signals of a real cohort, and the detector stage drains these check-ins too.
    """
    rng, clients, start = random.Random(seed), [uuid.uuid4() for _ in range(200)], datetime(2026, 1, 1, tzinfo=UTC)
    days = max(1, -(-count // len(clients)))
    levels = [rng.uniform(6.0, 8.5) for _ in clients]
    sliding = [rng.random() < 0.1 for _ in clients]
    events = []
    for n in range(count):
        day, client = divmod(n, len(clients))
        level = levels[client] - (4.0 * day / days if sliding[client] else 0.0)
        events.append({"event_id": str(uuid.uuid4()), "client_id": str(clients[client]), "timezone": ZONES[client % 4],
                       "occurred_at": (start + timedelta(days=day % 300, minutes=rng.randint(0, 900))).isoformat(),
                       "answers": day_answers(rng, day, client, level), "note": "bench" if n % 5 == 0 else None})
    return events


async def produce(kafka: KafkaSettings, events: list[dict]) -> None:
    producer = make_producer(kafka, linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send(CHECKINS, json.dumps(e).encode(), key=e["client_id"].encode()) for e in events]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class Clock:
    """Time from the first record handed to a consumer to the moment `total` records are durable, and the share of
    that time this process spent on a CPU (near 1.0: the contender is bound by its own Python, not by waits)."""

    def __init__(self, total: int):
        self.total, self.done, self.first, self.finished = total, 0, None, asyncio.Event()

    def start(self) -> None:
        if self.first is None:
            self.first, self.first_cpu = time.perf_counter(), time.process_time()

    def add(self, count: int) -> None:
        self.done += count
        if self.done >= self.total and not self.finished.is_set():
            self.seconds = time.perf_counter() - self.first
            self.busy = (time.process_time() - self.first_cpu) / self.seconds
            self.finished.set()


async def run_writer(kafka: KafkaSettings, url: str, total: int, busy: list[float] | None = None) -> float:
    """The writer as `rapport timeline` runs it: its default batch, chunk and in-flight settings."""
    settings = TimelineSettings(**kafka.model_dump(), database_url=url)
    store, clock = await open_store(settings), Clock(total)
    writer = TimelineWriter(store, lambda record, reason: asyncio.sleep(0), settings.chunk_records)

    async def timed(records):
        clock.start()
        await writer.handle(records)
        clock.add(len(records))

    await consume_until_finished("bench-timeline", kafka, timed, clock, batch_limits(settings))
    await store.close()
    if busy is not None:
        busy.append(clock.busy)
    return clock.seconds


async def consume_until_finished(name: str, kafka: KafkaSettings, handler, clock,
                                 limits: BatchLimits = BatchLimits(max_records=1000)) -> None:
    """Run `handler` over the check-ins topic in a new consumer group until `clock` has counted every event."""
    loop = ConsumerLoop(name, kafka, [CHECKINS], f"{name}-{uuid.uuid4().hex[:6]}", handler, limits)
    await loop.start()
    task = asyncio.create_task(loop.run())
    await clock.finished.wait()
    loop.stop()
    await task
    await loop.close()


async def connect(url: str) -> asyncpg.Connection:
    """A connection encoding rows as the writer's store does (`encode_times`): rows carry the timestamptz wire form."""
    conn = await asyncpg.connect(plain_dsn(url))
    await encode_times(conn)
    return conn


async def insert_one_at_a_time(conn: asyncpg.Connection, rows: RowBatch) -> None:
    """The naive consumer's write of one record: the writer's statements, one row each, in one transaction."""
    async with conn.transaction():
        for table in ("checkins", "scores"):
            for row in getattr(rows, table):
                await conn.execute(STATEMENTS[table], *[[value] for value in row])


async def run_naive(kafka: KafkaSettings, url: str, total: int) -> float:
    conn, clock = await connect(url), Clock(total)
    consumer = AIOKafkaConsumer(CHECKINS, **client_options(kafka), group_id=f"bench-naive-{uuid.uuid4().hex[:6]}",
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                session_timeout_ms=kafka.kafka_session_timeout_ms,
                                fetch_max_wait_ms=kafka.kafka_fetch_max_wait_ms)
    await consumer.start()
    try:
        while not clock.finished.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    clock.start()
                    await insert_one_at_a_time(conn, rows_for(record.topic, record.value))
                    clock.add(1)
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await conn.close()
    return clock.seconds


async def run_copy(url: str, rows: dict[str, list[tuple]]) -> float:
    """COPY of rows built beforehand, as plain tuples: asyncpg reads a NamedTuple's items through a Python call."""
    conn = await connect(url)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            for table, records in rows.items():
                await conn.copy_records_to_table(table, records=records, columns=COPY_COLUMNS[table])
        return time.perf_counter() - started
    finally:
        await conn.close()


async def run_copy_consumer(kafka: KafkaSettings, url: str, total: int) -> float:
    """The same records through the same consumer loop and decoding, written by plain COPY (not idempotent)."""
    conn, clock = await connect(url), Clock(total)

    async def copy_batch(records) -> None:
        clock.start()
        batch = RowBatch()
        for record in records:
            batch.add(rows_for(record.topic, record.value))
        async with conn.transaction():
            await copy_rows(conn, "checkins", batch.checkins)
            await copy_rows(conn, "scores", batch.scores)
        clock.add(len(records))

    await consume_until_finished("bench-copy", kafka, copy_batch, clock)
    await conn.close()
    return clock.seconds


async def timed_run(name: str, server_url: str, contender) -> float:
    """Seconds one contender takes on a fresh migrated database of its own, decoding with a cold cache."""
    database = f"rapport_bench_{name}_{uuid.uuid4().hex[:6]}"
    url = await asyncio.to_thread(create_database, server_url, database)
    try:
        await asyncio.to_thread(upgrade, url)
        # Building the COPY rows (and earlier rounds) decoded these very check-ins: a fresh writer would not know them.
        forget_answers()
        return await contender(url)
    finally:
        await asyncio.to_thread(drop_database, server_url, database)


async def measure(kafka: KafkaSettings, server_url: str, events: int, progress=print, rounds: int = 3) -> dict:
    """Produce `events` check-ins, then time the writer, the naive consumer and COPY on them; return figures.

    The writer and both COPY variants alternate for `rounds` rounds and the best round of each counts, so a burst of
    load from elsewhere on the machine does not decide the ratio; the naive consumer (slow) runs once.
    """
    await ensure_topics(kafka)
    data = checkins(events)
    batch = RowBatch()
    for event in data:
        batch.add(rows_for(CHECKINS, json.dumps(event).encode()))
    rows = len(batch)
    progress(f"timeline bench: producing {events} check-ins ({rows} rows)")
    await produce(kafka, data)
    busy: list[float] = []
    plain = {"checkins": [tuple(row) for row in batch.checkins], "scores": [tuple(row) for row in batch.scores]}
    contenders = {"copy": lambda url: run_copy(url, plain), "writer": lambda url: run_writer(kafka, url, events, busy),
                  "copy_consumer": lambda url: run_copy_consumer(kafka, url, events),
                  "naive": lambda url: run_naive(kafka, url, events)}
    seconds: dict[str, list[float]] = {name: [] for name in contenders}
    # The contenders run under the collector settings `rapport timeline` starts with (`settle_heap`). That also sets
    # the bench's own objects aside (the events, the pre-built rows: about 240,000), which no service holds: each
    # full collection during a run would scan them all, 0.15-0.3 s per writer round, measured.
    thresholds = gc.get_threshold()
    settle_heap()
    try:
        for name in ["copy", "writer", "copy_consumer"] * rounds + ["naive"]:
            seconds[name].append(await timed_run(name, server_url, contenders[name]))
            progress(f"timeline bench: {name} {rows / seconds[name][-1]:,.0f} rows/s")
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    figures = {"events": events, "rows": rows, "rounds": rounds,
               "writer_busy": busy[seconds["writer"].index(min(seconds["writer"]))]}
    for name, runs in seconds.items():
        figures[f"{name}_seconds"] = min(runs)
        figures[f"{name}_rows_per_s"] = rows / min(runs)
        figures[f"{name}_all_rows_per_s"] = [round(rows / s) for s in runs]
    figures["writer_vs_naive"] = figures["writer_rows_per_s"] / figures["naive_rows_per_s"]
    figures["writer_vs_copy"] = figures["writer_rows_per_s"] / figures["copy_rows_per_s"]
    figures["writer_vs_copy_consumer"] = figures["writer_rows_per_s"] / figures["copy_consumer_rows_per_s"]
    return figures


def table(figures: dict) -> str:
    lines = [f"{figures['events']:,} check-ins = {figures['rows']:,} rows (check-ins + scores), same data for all three; "
             f"best of {figures['rounds']} alternating rounds for writer and COPY",
             "", "| contender | seconds | rows/s | writer ratio | every round (rows/s) |", "|---|---|---|---|---|"]
    for name, label in (("writer", "timeline writer (batched, COPY + unnest)"), ("naive", "naive (1 tx per event)"),
                        ("copy", "raw asyncpg COPY of pre-built rows"),
                        ("copy_consumer", "COPY consumer (same Kafka loop + decoding, not idempotent)")):
        ratio = figures["writer_rows_per_s"] / figures[f"{name}_rows_per_s"]
        lines.append(f"| {label} | {figures[f'{name}_seconds']:.2f} | {figures[f'{name}_rows_per_s']:,.0f} | "
                     f"{ratio:.2f}x | {', '.join(f'{r:,}' for r in figures[f'{name}_all_rows_per_s'])} |")
    lines += ["", f"writer vs naive: {figures['writer_vs_naive']:.1f}x (target >= 10x); "
                  f"writer vs COPY: {figures['writer_vs_copy']:.0%} (target >= 40%); "
                  f"writer vs COPY consumer: {figures['writer_vs_copy_consumer']:.0%}; "
                  f"the writer's process was on a CPU {figures['writer_busy']:.0%} of its best round"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of writer and COPY; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rapport-timeline-bench-") as root:
        stack = LocalStack(Path(root))
        state = stack.up(progress=lambda m: print(m, file=sys.stderr))
        try:
            kafka = KafkaSettings(kafka_bootstrap_servers=state.kafka.url, kafka_session_timeout_ms=6000)
            asyncio.run(wait_for_broker(kafka))
            figures = asyncio.run(measure(kafka, state.postgres.url, args.events,
                                          lambda m: print(m, file=sys.stderr), args.rounds))
        finally:
            stack.down(progress=lambda m: print(m, file=sys.stderr))
    print(table(figures))


if __name__ == "__main__":
    main()
