"""faust broker options from the shared Kafka settings, acknowledged sends, and the DLQ producer adapter."""

import asyncio
import logging
import ssl

import faust

from services.common.settings import KafkaSettings

log = logging.getLogger(__name__)


def broker_options(settings: KafkaSettings) -> dict:
    """`broker` and `broker_credentials` for faust.App from KAFKA_* settings."""
    options: dict = {"broker": ",".join(f"kafka://{s}" for s in settings.kafka_bootstrap_servers.split(","))}
    context = None
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_sasl_mechanism:
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.kafka_sasl_username, password=settings.kafka_sasl_password,
            mechanism=settings.kafka_sasl_mechanism, ssl_context=context)
    elif context is not None:
        options["broker_credentials"] = faust.SSLCredentials(context)
    return options


class FaustProducer:
    """Lets `common.kafka.send_to_dlq` publish through faust's own producer."""

    def __init__(self, app: faust.App):
        self.app = app

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None, headers=None):
        return await self.app.producer.send_and_wait(topic, key, value, None, None, headers)


async def send_until_acked(topic, key: bytes, value: bytes, max_backoff_s: float = 15.0) -> None:
    """Send and wait for the broker's ack, retrying with backoff: the record is not done until it is out."""
    delay = 0.5
    while True:
        try:
            await (await topic.send(key=key, value=value))
            return
        except Exception as exc:  # noqa: BLE001 - broker hiccups are transient; holding the partition keeps order
            log.warning("send failed, retrying", extra={"topic": topic.get_topic_name(), "error": type(exc).__name__,
                                                        "retry_in_s": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_backoff_s)


async def send_all_until_acked(topic, records: list[tuple[bytes, bytes]]) -> None:
    """Send every (key, value) at once and wait for all the acks; any that failed is sent again until acked.

    One broker round trip for the whole batch instead of one per record. Records on one partition keep
    their order unless one of them failed and is retried after the rest.
    """
    sent = []
    for key, value in records:
        try:
            sent.append(await topic.send(key=key, value=value))
        except Exception:  # noqa: BLE001 - retried below
            sent.append(None)
    results = await asyncio.gather(*(f for f in sent if f is not None), return_exceptions=True)
    outcomes = iter(results)
    for record, future in zip(records, sent):
        if future is None or isinstance(next(outcomes), BaseException):
            await send_until_acked(topic, *record)
