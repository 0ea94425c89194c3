"""Composition root of the live detector: a faust agent over check-ins, client state in a Table, a clock timer."""

import asyncio
import logging
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import faust

from schemas.topics import CHECKINS, SIGNALS
from services.common.kafka import send_to_dlq
from services.common.version import VERSION
from services.detector.batch import ClientStates, FlushSchedule, judge_batch
from services.detector.codec import UnusableRecord, decode_checkin
from services.detector.config import DetectorSettings
from services.detector.core import DetectorConfig, advance_clock, load_config
from services.detector.fetch import ShortFetchApp
from services.detector.metrics import (assigned, batches_total, changelog_records_total, clock_runs_total,
                                      clock_seconds, events_total, flushes_total, observe_lag, records_behind,
                                      signals_total)
from services.detector.transport import FaustProducer, broker_options, send_all_until_acked

log = logging.getLogger(__name__)
SERVICE = "detector"
STATE_TABLE = "client-state"
CLOCK_CLIENTS = 256  # clients the clock looks at per hold of the state lock (about 2-3 ms when none has a gap)
CLOCK_REPORTS = 16  # gaps it reports per hold: their signals in one publish, then their states


def build_app(settings: DetectorSettings, config: DetectorConfig | None = None) -> faust.App:
    """Wire the faust app: topics, the state table, the agent, the clock and the web endpoints."""
    config = config or load_config(settings.config_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = ShortFetchApp(
        settings.app_id, **broker_options(settings), fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms, store="memory://", autodiscover=False,
        topic_partitions=settings.kafka_partitions, table_standby_replicas=0, datadir=str(settings.data_dir),
        web_enabled=True, web_bind=settings.web_host, web_host=settings.web_host, web_port=settings.web_port,
        broker_session_timeout=settings.kafka_session_timeout_ms / 1000, producer_acks=-1,
        producer_linger=settings.producer_linger_ms / 1000, producer_max_batch_size=settings.producer_max_batch_bytes,
        recovery_consistency_check=settings.recovery_consistency_check,
    )
    checkins = app.topic(CHECKINS, key_serializer="raw", value_serializer="raw")
    signals_topic = app.topic(SIGNALS, key_serializer="raw", value_serializer="raw")
    states = app.Table(STATE_TABLE, default=None, key_type=bytes, value_type=bytes,
                       partitions=settings.kafka_partitions)
    dlq_producer = FaustProducer(app)
    client_states = ClientStates(states, settings.state_cache_clients)
    state_lock = asyncio.Lock()  # the agent and the clock each read, judge, publish and write a state in one go

    async def publish(signals) -> None:
        await send_all_until_acked(signals_topic, [signal.to_kafka() for signal in signals])
        for signal in signals:
            signals_total.inc(kind=signal.kind.value)
            log.info("signal", extra={"client_id": str(signal.client_id), "kind": signal.kind.value,
                                      "signal_id": str(signal.signal_id), "severity": signal.severity.value})

    async def dead_letter(event, reason: str) -> None:
        message = event.message
        record = SimpleNamespace(topic=message.topic, partition=message.partition, offset=message.offset,
                                 key=event.key, value=event.value)
        await send_to_dlq(dlq_producer, record, reason, SERVICE)

    pending: list = []  # judged events whose states are in the Table but not yet in the changelog: not acked
    streams: list = []  # the agent's stream, which acks them
    flush_s = settings.changelog_flush_ms / 1000
    schedule = FlushSchedule(flush_s, settings.changelog_flush_caught_up_ms / 1000, settings.changelog_flush_events,
                             settings.batch_max_events, time.monotonic())

    async def flush() -> None:
        """Send the changelog of every state saved since the last flush, then ack the events behind them.

        Call under `state_lock`. Acked events let faust commit their offsets, which it does only once the
        producer has the changelog records, so a crash before a flush redelivers the events instead.
        """
        schedule.last = time.monotonic()
        if not pending:
            return
        changelog_records_total.inc(client_states.send_changelog())
        done = pending[:]
        pending.clear()
        for event in done:
            await streams[0].ack(event)
        flushes_total.inc()

    @app.agent(checkins, name="detect")
    async def detect(stream):
        # Events are acked only once their signals are acknowledged and their state is in the changelog, so a
        # crash redelivers them (same signal ids) and the offset never passes an unjudged check-in.
        streams[:] = [stream]
        async for events in stream.noack_take(settings.batch_max_events, within=settings.batch_wait_ms / 1000):
            valid = []
            for index, event in enumerate(events):
                try:
                    valid.append((index, event.message.partition, decode_checkin(event.value)))
                except UnusableRecord as exc:
                    await dead_letter(event, str(exc))
            async with state_lock:
                judged = judge_batch(valid, client_states, config, lambda: datetime.now(UTC))
                await publish(judged.signals)  # durable before the state that remembers them
                client_states.save_all(judged.changed, judged.untrusted)
            for index, error in judged.failed:
                await dead_letter(events[index], f"detector failed on this check-in: {error}")
            events_total.inc(judged.judged)
            batches_total.inc()
            async with state_lock:
                pending.extend(events)
                if schedule.due(len(pending), records_behind(app, CHECKINS), time.monotonic()):
                    await flush()

    async def flush_now() -> None:
        async with state_lock:
            await flush()

    app.before_wait_empty.append(flush_now)  # a rebalance or a stop waits for every event to be acked
    if flush_s > 0:  # a quiet stream still gets its last batch into the changelog and acked within the interval
        app.timer(interval=flush_s, name="changelog_flush")(flush_now)

    async def advance_clients(keys: list[bytes], position: int, owned: set[int], now: datetime) -> tuple[int, int]:
        """From `keys[position]`, advance the clock to `now` for up to `CLOCK_CLIENTS` clients, stopping after
        `CLOCK_REPORTS` of them report a gap; call under `state_lock`. Their signals go out in one publish, durable
        before the states that remember them. Returns (position to go on from, signals sent)."""
        changed, signals = {}, []
        stop = min(position + CLOCK_CLIENTS, len(keys))
        while position < stop and len(changed) < CLOCK_REPORTS:
            key = keys[position]
            position += 1
            loaded = client_states.load(key)  # read under the lock: the agent may have written it meanwhile
            if loaded is None or loaded[0] not in owned:
                continue
            partition, state = loaded
            new_state, found = advance_clock(state, state.client_id, now, config, now)
            if found:
                signals += found
                changed[key] = (partition, new_state)
        if signals:
            await publish(signals)
            client_states.save_all(changed)  # outside an event: store and changelog by hand
            changelog_records_total.inc(client_states.send_changelog())
        return position, len(signals)

    @app.timer(interval=settings.clock_interval_s)
    async def missed_checkins_clock():
        """Advance the clock to now for the clients of the partitions this worker owns.

        A few clients at a time under the state lock, whose gaps go out in one publish: N gaps cost
        N / `CLOCK_REPORTS` broker round trips, not N (`services/detector/README.md` has the figures). Between two
        holds the agent gets the lock, so a check-in waits for one hold at most.
        """
        started, now = time.perf_counter(), datetime.now(UTC)
        owned = {tp.partition for tp in assigned(app, CHECKINS)}
        keys, reported, position = list(states.data.keys()), 0, 0
        while position < len(keys):
            async with state_lock:
                position, sent = await advance_clients(keys, position, owned, now)
            reported += sent
            await asyncio.sleep(0)  # a free lock is taken without yielding: let the agent and the loop run
        seconds = time.perf_counter() - started
        clock_runs_total.inc()
        clock_seconds.set(seconds)
        log.info("clock run", extra={"clients": len(keys), "signals": reported, "ms": round(seconds * 1000, 1)})
        observe_lag(app, CHECKINS)

    @app.page("/healthz")
    async def healthz(web, request):
        return web.json({"status": "ok", "service": SERVICE, "version": VERSION})

    @app.page("/readyz")
    async def readyz(web, request):
        """Ready once the worker has joined its group and recovered the state of what it was given (maybe nothing:
        a group with more workers than partitions leaves some idle); not while a rebalance moves partitions."""
        if app.rebalancing_count == 0 or app.rebalancing:
            status = "joining" if app.rebalancing_count == 0 else "rebalancing"
            return web.json({"status": status, "service": SERVICE}, status=503)
        owned = sorted(tp.partition for tp in assigned(app, CHECKINS))
        return web.json({"status": "ready", "service": SERVICE, "partitions": owned})

    @app.page("/metrics")
    async def metrics(web, request):
        from services.common.metrics import REGISTRY

        observe_lag(app, CHECKINS)
        return web.text(REGISTRY.render(), content_type="text/plain; version=0.0.4")

    return app
