"""Keep a started Kafka producer, connecting in the background so the gateway can start while Kafka is down."""

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


class ProducerConnection:
    """`producer` is None until Kafka answered; meanwhile the gateway answers 503 and /readyz says not ready."""

    def __init__(self, factory: Callable[[], AIOKafkaProducer], retry_initial_s: float = 0.5, retry_max_s: float = 10):
        self.factory = factory
        self.retry_initial_s, self.retry_max_s = retry_initial_s, retry_max_s
        self.producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task | None = None

    async def start(self, wait_s: float = 5.0) -> None:
        """Begin connecting; wait up to `wait_s` for the first connection, then carry on in the background."""
        self._task = asyncio.create_task(self._connect())
        try:
            await asyncio.wait_for(asyncio.shield(self._task), wait_s)
        except TimeoutError:
            log.warning("Kafka not reachable yet; answering 503 until it is")

    async def _connect(self) -> None:
        delay = self.retry_initial_s
        while True:
            producer = self.factory()
            try:
                await producer.start()
                self.producer = producer
                log.info("connected to Kafka")
                return
            except (KafkaError, OSError) as exc:
                await producer.stop()
                log.warning("Kafka connection failed, retrying",
                            extra={"error": type(exc).__name__, "retry_in_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
