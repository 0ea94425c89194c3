"""A faust App whose Kafka consumer waits at most KAFKA_FETCH_MAX_WAIT_MS for new records.

faust passes a fixed `fetch_max_wait_ms=1500` to aiokafka. Tansu answers a fetch only when that
wait runs out, even when records arrive meanwhile, so every idle hop through the detector would
cost up to 1.5 s of alert latency. On Apache Kafka a short wait only adds a few idle fetches.

The app also runs `before_wait_empty` hooks when faust is about to wait for every event it handed out to be
acked (partitions revoked in a rebalance, or a stop): the detector acks a batch only at its next changelog
flush, so it flushes then instead of letting faust wait (a stop would otherwise hang until killed).
"""

from collections.abc import Awaitable, Callable

import faust
from faust.transport.drivers import aiokafka as driver


class ShortFetchConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms  # read by aiokafka when the consumer starts
        return consumer


class ShortFetchConsumer(driver.Consumer):
    def _new_consumer_thread(self) -> ShortFetchConsumerThread:
        return ShortFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_empty(self) -> None:
        for hook in self.app.before_wait_empty:
            await hook()
        await super().wait_empty()


class ShortFetchTransport(driver.Transport):
    Consumer = ShortFetchConsumer


class ShortFetchApp(faust.App):
    """faust.App with `fetch_max_wait_ms` for its consumer (aiokafka transport only)."""

    def __init__(self, *args, fetch_max_wait_ms: int = 50, **kwargs):
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.before_wait_empty: list[Callable[[], Awaitable[None]]] = []
        super().__init__(*args, **kwargs)

    def _new_transport(self):
        return ShortFetchTransport(self.conf.broker_consumer, self)
