"""Which dead-lettered records `rapport dlq replay` selects (the pure filter)."""

from datetime import UTC, datetime

from services.common.kafka import DLQ_OFFSET, DLQ_PARTITION, DLQ_REASON, DLQ_TOPIC
from services.tools.dlq_filter import ReplayFilter

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
HEADERS = {DLQ_TOPIC: "rapport.checkins.v1", DLQ_PARTITION: "3", DLQ_OFFSET: "41", DLQ_REASON: "timezone: unknown zone"}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_everything_with_an_origin_matches_an_empty_filter():
    origin = ReplayFilter().origin_of(HEADERS, ms(AT))
    assert (origin.topic, origin.partition, origin.offset) == ("rapport.checkins.v1", "3", "41")


def test_records_without_origin_or_from_the_dlq_itself_are_never_replayed():
    assert ReplayFilter().origin_of({DLQ_REASON: "x"}, ms(AT)) is None
    assert ReplayFilter().origin_of({**HEADERS, DLQ_TOPIC: "rapport.dlq.v1"}, ms(AT)) is None


def test_topic_reason_and_time_filters():
    assert ReplayFilter(topic="rapport.signals.v1").origin_of(HEADERS, ms(AT)) is None
    assert ReplayFilter(reason_contains="TIMEZONE").origin_of(HEADERS, ms(AT)) is not None
    assert ReplayFilter(reason_contains="json").origin_of(HEADERS, ms(AT)) is None
    assert ReplayFilter(since=AT).origin_of(HEADERS, ms(AT)) is not None
    assert ReplayFilter(until=AT).origin_of(HEADERS, ms(AT)) is None
    assert ReplayFilter(since=datetime(2026, 3, 2, tzinfo=UTC)).origin_of(HEADERS, ms(AT)) is None
