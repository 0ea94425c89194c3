"""Composition root of the live detector: a faust agent over check-ins, client state in a Table, a clock timer."""

import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import faust

from schemas.topics import CHECKINS, SIGNALS
from services.common.kafka import send_to_dlq
from services.common.version import VERSION
from services.detector.codec import UnusableRecord, decode_checkin, decode_state, encode_state
from services.detector.config import DetectorSettings
from services.detector.core import DetectorConfig, advance_clock, evaluate, load_config
from services.detector.fetch import ShortFetchApp
from services.detector.metrics import clock_runs_total, events_total, observe_lag, signals_total
from services.detector.transport import FaustProducer, broker_options, send_until_acked

log = logging.getLogger(__name__)
SERVICE = "detector"
STATE_TABLE = "client-state"


def build_app(settings: DetectorSettings, config: DetectorConfig | None = None) -> faust.App:
    """Wire the faust app: topics, the state table, the agent, the clock and the web endpoints."""
    config = config or load_config(settings.config_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = ShortFetchApp(
        settings.app_id, **broker_options(settings), fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms, store="memory://", autodiscover=False,
        topic_partitions=settings.kafka_partitions, table_standby_replicas=0, datadir=str(settings.data_dir),
        web_enabled=True, web_bind=settings.web_host, web_host=settings.web_host, web_port=settings.web_port,
        broker_session_timeout=settings.kafka_session_timeout_ms / 1000, producer_acks=-1,
        recovery_consistency_check=settings.recovery_consistency_check,
    )
    checkins = app.topic(CHECKINS, key_serializer="raw", value_serializer="raw")
    signals_topic = app.topic(SIGNALS, key_serializer="raw", value_serializer="raw")
    states = app.Table(STATE_TABLE, default=None, key_type=bytes, value_type=bytes,
                       partitions=settings.kafka_partitions)
    dlq_producer = FaustProducer(app)

    async def publish(signals) -> None:
        for signal in signals:
            key, value = signal.to_kafka()
            await send_until_acked(signals_topic, key, value)
            signals_total.inc(kind=signal.kind.value)
            log.info("signal", extra={"client_id": str(signal.client_id), "kind": signal.kind.value,
                                      "signal_id": str(signal.signal_id), "severity": signal.severity.value})

    @app.agent(checkins, name="detect")
    async def detect(stream):
        async for event in stream.events():
            message = event.message
            try:
                checkin = decode_checkin(event.value)
            except UnusableRecord as exc:
                record = SimpleNamespace(topic=message.topic, partition=message.partition, offset=message.offset,
                                         key=event.key, value=event.value)
                await send_to_dlq(dlq_producer, record, str(exc), SERVICE)
                continue
            key = str(checkin.client_id).encode()
            stored = states.get(key)
            state = decode_state(stored)[1] if stored is not None else None
            try:
                new_state, signals = evaluate(state, checkin, datetime.now(UTC), config)
            except Exception as exc:  # noqa: BLE001 - a bug must not stall the partition; the record is kept
                log.error("check-in could not be judged", extra={"event_id": str(checkin.event_id),
                                                                 "error": type(exc).__name__})
                record = SimpleNamespace(topic=message.topic, partition=message.partition, offset=message.offset,
                                         key=event.key, value=event.value)
                await send_to_dlq(dlq_producer, record, f"detector failed on this check-in: {type(exc).__name__}",
                                  SERVICE)
                continue
            await publish(signals)
            if new_state is not state:
                states[key] = encode_state(message.partition, new_state)
            events_total.inc()

    @app.timer(interval=settings.clock_interval_s)
    async def missed_checkins_clock():
        """Advance the clock to now for the clients of the partitions this worker owns."""
        now = datetime.now(UTC)
        owned = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == CHECKINS}
        for key, stored in list(states.items()):
            partition, state = decode_state(stored)
            if partition not in owned:
                continue
            new_state, signals = advance_clock(state, state.client_id, now, config, now)
            if signals:
                await publish(signals)
                value = encode_state(partition, new_state)
                states.data[key] = value  # outside an event: write the store and its changelog ourselves
                states.send_changelog(partition, key, value)
        clock_runs_total.inc()
        observe_lag(app, CHECKINS)

    @app.page("/healthz")
    async def healthz(web, request):
        return web.json({"status": "ok", "service": SERVICE, "version": VERSION})

    @app.page("/metrics")
    async def metrics(web, request):
        from services.common.metrics import REGISTRY

        observe_lag(app, CHECKINS)
        return web.text(REGISTRY.render(), content_type="text/plain; version=0.0.4")

    return app
