"""The timeline writer on the real broker and PostgreSQL: exactly N rows, poison to the DLQ, crashes and outages."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from sqlalchemy import func, insert, make_url, select

from schemas.topics import ALERTS, CHECKINS, DLQ, SIGNALS
from services.common.db import make_engine
from services.common.kafka import make_producer
from services.common.settings import DatabaseSettings
from services.common.stack import free_port
from services.common.tables import alert_events, alerts, checkins, scores, signals
from services.timeline.store import plain_dsn
from tests.helpers import ServiceProcess, TopicRecorder, migrated_database, wait_until

pytestmark = pytest.mark.integration

BRS = [{"instrument": "brs", "item": i, "value": 1 + i % 5} for i in range(1, 7)]


def checkin(client_id: uuid.UUID, n: int, **extra) -> dict:
    """A check-in with mood + BRS (two score rows), spread one hour apart."""
    return {
        "event_id": str(uuid.uuid4()), "client_id": str(client_id), "timezone": "America/New_York",
        "occurred_at": (datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=n)).isoformat(),
        "answers": [{"instrument": "mood", "item": 1, "value": n % 11}, *BRS], "note": "private words",
    } | extra


def signal(client_id: uuid.UUID, trigger: str) -> dict:
    now = datetime.now(UTC).isoformat()
    return {"signal_id": str(uuid.uuid4()), "client_id": str(client_id), "kind": "risk.acute", "severity": "critical",
            "observed_at": now, "detected_at": now, "trigger_event_ids": [trigger], "evidence": {"item9": 2},
            "summary": "PHQ-9 item 9 answered 2."}


def alert_step(client_id: uuid.UUID, alert_id: uuid.UUID, signal_id: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "alert_id": str(alert_id), "signal_id": signal_id,
            "client_id": str(client_id), "kind": "risk.acute", "severity": "critical", "transition": "opened",
            "state": "open", "actor": "system", "occurred_at": datetime.now(UTC).isoformat(),
            "recipients": [str(uuid.uuid4())]}


@pytest.fixture(scope="module")
def timeline_database_url(stack):
    """A database of these tests' own: a writer started by another test (the e2e system) never writes here."""
    with migrated_database(stack.postgres.url, "rapport_timeline") as url:
        yield url


@pytest.fixture
async def engine(timeline_database_url):
    engine = make_engine(DatabaseSettings(database_url=timeline_database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def writer_env(service_env, timeline_database_url, port):
    """Each test gets its own consumer group, so tests (and the e2e system) do not rebalance each other."""
    return service_env | {"DATABASE_URL": timeline_database_url, "RAPPORT_TIMELINE_PORT": str(port),
                          "RAPPORT_TIMELINE_GROUP_ID": f"timeline-{uuid.uuid4().hex[:8]}",
                          "RAPPORT_TIMELINE_RETRY_MAX_S": "1", "RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "200"}


def start_writer(env, tmp_path, port) -> ServiceProcess:
    return ServiceProcess(["timeline"], env, tmp_path, f"http://127.0.0.1:{port}/healthz").start()


async def publish(kafka_settings, topic: str, values: list, client_id: uuid.UUID) -> None:
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        sends = [await producer.send(topic, v if isinstance(v, bytes) else json.dumps(v).encode(),
                                     key=str(client_id).encode()) for v in values]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def count(engine, table, client_id) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table).where(table.c.client_id == client_id))


async def count_ids(engine, id_column, ids: list[str]) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).where(id_column.in_([uuid.UUID(i) for i in ids])))


async def counts_reach(engine, client_id, expected: dict) -> dict | None:
    found = {t.name: await count(engine, t, client_id) for t in expected}
    return found if found == {t.name: n for t, n in expected.items()} else None


async def test_n_events_make_exactly_n_rows(kafka_settings, engine, writer_env, tmp_path, port):
    client_id, alert_id = uuid.uuid4(), uuid.uuid4()
    events = [checkin(client_id, n) for n in range(300)]
    sigs = [signal(client_id, events[n]["event_id"]) for n in range(0, 300, 30)]
    async with engine.begin() as conn:  # the notifier's alert row; a step of an unknown alert is skipped
        await conn.execute(insert(alerts).values(alert_id=alert_id, signal_id=sigs[0]["signal_id"], client_id=client_id,
                                                 kind="risk.acute", severity="critical", summary="s",
                                                 observed_at=datetime.now(UTC)))
    steps = [alert_step(client_id, alert_id, sigs[0]["signal_id"]), alert_step(client_id, uuid.uuid4(), sigs[1]["signal_id"])]
    writer = start_writer(writer_env, tmp_path, port)
    try:
        await writer.wait_healthy()
        await publish(kafka_settings, CHECKINS, events + events[:50], client_id)  # 50 redeliveries
        await publish(kafka_settings, SIGNALS, sigs + sigs, client_id)
        await publish(kafka_settings, ALERTS, steps, client_id)
        expected = {checkins: 300, scores: 600}
        await wait_until(lambda: counts_reach(engine, client_id, expected), timeout=60, reason=f"rows {expected}")
        # a detector running elsewhere in the session may add signals for this client: count ours by id
        await wait_until(lambda: _equals(count_ids(engine, signals.c.signal_id, [s["signal_id"] for s in sigs]), 10),
                         timeout=30, reason="the 10 signals once each")
        # The alerts topic is fetched on its own, so its step may land after the signals: wait for it too.
        step_ids = [s["event_id"] for s in steps]
        await wait_until(lambda: _equals(count_ids(engine, alert_events.c.event_id, step_ids), 1),
                         timeout=30, reason="the known alert's step (the unknown alert's step is skipped)")
        async with engine.connect() as conn:
            brs = (await conn.execute(select(scores.c.value, scores.c.local_date, scores.c.occurred_at)
                                      .where(scores.c.client_id == client_id, scores.c.instrument == "brs")
                                      .order_by(scores.c.occurred_at).limit(1))).one()
        assert brs.value == pytest.approx(sum(6 - v if i in (2, 4, 6) else v
                                              for i, v in ((a["item"], a["value"]) for a in BRS)) / 6, abs=1e-4)
        assert str(brs.local_date) == "2026-09-30", "local_date is the day in the client's own timezone"
    finally:
        writer.stop()
    assert "private words" not in writer.log_path.read_text(), "a note must never be logged"


async def test_a_redelivery_in_the_batch_written_beside_its_original_is_stored_once(kafka_settings, engine, writer_env,
                                                                                   tmp_path, port):
    """Two batches are in flight at once: each block of check-ins is published twice in a row, so a copy often lands
    in the batch written beside its original (its COPY waits on the original's key, then that batch is redone with
    ON CONFLICT inserts, or PostgreSQL ends one of two crossing batches and the loop retries it)."""
    client_id = uuid.uuid4()
    events = [checkin(client_id, n) for n in range(300)]
    twice = [e for start in range(0, 300, 50) for e in events[start:start + 50] * 2]
    env = writer_env | {"RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "50", "RAPPORT_TIMELINE_CHUNK_RECORDS": "10",
                        "RAPPORT_TIMELINE_BATCHES_IN_FLIGHT": "2"}
    writer = start_writer(env, tmp_path, port)
    try:
        await writer.wait_healthy()
        await publish(kafka_settings, CHECKINS, twice, client_id)
        expected = {checkins: 300, scores: 600}
        await wait_until(lambda: counts_reach(engine, client_id, expected), timeout=90, reason=f"rows {expected}")
        async with httpx.AsyncClient() as http:
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
        assert metric(metrics, 'rapport_timeline_rows_offered_total{table="checkins"}') > \
            metric(metrics, 'rapport_timeline_rows_inserted_total{table="checkins"}'), "no copy reached another batch"
        await asyncio.sleep(1)
        assert await counts_reach(engine, client_id, expected), "a copy was stored twice"
    finally:
        writer.stop()


def metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def test_poison_records_go_to_the_dlq_and_the_rest_is_written(kafka_settings, engine, writer_env, tmp_path, port):
    client_id = uuid.uuid4()
    good = [checkin(client_id, n) for n in range(40)]
    nul_note = checkin(client_id, 99, note="a NUL \x00 PostgreSQL text cannot hold")  # valid JSON and contract
    bad_contract = checkin(client_id, 98, timezone="Mars/Olympus")
    writer = start_writer(writer_env, tmp_path, port)
    try:
        await writer.wait_healthy()
        async with TopicRecorder(kafka_settings, DLQ) as dlq:
            await publish(kafka_settings, CHECKINS, good[:20] + [nul_note, b"{not json", bad_contract] + good[20:], client_id)
            cid = str(client_id)
            # The detector (and the e2e system's services) dead-letter the same poison: read the timeline's own.
            kinds = ("database refused", "timezone", "Invalid JSON")
            headers = await dlq.expect_headers(
                lambda v: v.get("client_id") == cid or v.get("_raw") == b"{not json",
                lambda found: all(any(k in h["rapport.dlq.reason"] for h in found
                                      if h.get("rapport.dlq.service") == "timeline") for k in kinds),
                timeout=60, reason="the timeline's three poison records on the DLQ")
        await wait_until(lambda: counts_reach(engine, client_id, {checkins: 40, scores: 80}), timeout=30,
                         reason="the 40 good check-ins")
        reasons = {h["rapport.dlq.reason"] for h in headers if h.get("rapport.dlq.service") == "timeline"}
        assert len(reasons) == 3, reasons
        assert all(h["rapport.dlq.topic"] == CHECKINS for h in dlq.headers_of(lambda v: True)
                   if h.get("rapport.dlq.service") == "timeline")
    finally:
        writer.stop()
    assert "NUL" not in writer.log_path.read_text()


async def test_sigkill_mid_stream_then_restart_still_exactly_n(kafka_settings, engine, writer_env, tmp_path, port):
    client_id, n = uuid.uuid4(), 3000
    events = [checkin(client_id, i) for i in range(n)]
    writer = start_writer(writer_env | {"RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "50"}, tmp_path, port)
    await writer.wait_healthy()
    await publish(kafka_settings, CHECKINS, events, client_id)
    await wait_until(lambda: _at_least(count(engine, checkins, client_id), 200), timeout=60, reason="some rows")
    writer.kill()
    landed = await count(engine, checkins, client_id)
    assert landed < n, "killed mid-stream, not after the end"
    writer = start_writer(writer_env, tmp_path, port)
    try:
        await wait_until(lambda: counts_reach(engine, client_id, {checkins: n, scores: 2 * n}), timeout=90,
                         reason=f"all {n} check-ins after the restart (had {landed} at the kill)")
    finally:
        writer.stop()


@pytest.fixture
async def writer_role(timeline_database_url):
    """A login role of the writer's own, so an outage can be made for it alone (superusers ignore CONNECT rights)."""
    role = f"timeline_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(plain_dsn(timeline_database_url))
    await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'outage'")
    await admin.execute(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role}")
    url = make_url(timeline_database_url).set(username=role, password="outage").render_as_string(hide_password=False)
    yield SimpleNamespace(name=role, url=url, admin=admin)
    await admin.execute(f"ALTER ROLE {role} LOGIN")
    await admin.close()


async def database_outage(role, seconds: float) -> int:
    """Refuse the writer's logins and cut its open connections for `seconds`; return how many were cut."""
    await role.admin.execute(f"ALTER ROLE {role.name} NOLOGIN")
    killed, loop = 0, asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        killed += await role.admin.fetchval(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = $1", role.name)
        await asyncio.sleep(0.05)  # the outage's own pacing, not a wait for a result
    return killed


async def test_database_outage_mid_stream_loses_nothing(kafka_settings, engine, writer_env, writer_role, tmp_path,
                                                        port):
    client_id, n = uuid.uuid4(), 1500
    events = [checkin(client_id, i) for i in range(n)]
    env = writer_env | {"RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "50", "DATABASE_URL": writer_role.url}
    writer = start_writer(env, tmp_path, port)
    try:
        await writer.wait_healthy()
        await publish(kafka_settings, CHECKINS, events[:100], client_id)
        await wait_until(lambda: _at_least(count(engine, checkins, client_id), 1), timeout=60, reason="first rows")
        outage = asyncio.create_task(database_outage(writer_role, seconds=5))
        await publish(kafka_settings, CHECKINS, events[100:], client_id)
        killed = await outage
        during = await count(engine, checkins, client_id)
        await writer_role.admin.execute(f"ALTER ROLE {writer_role.name} LOGIN")
        await wait_until(lambda: counts_reach(engine, client_id, {checkins: n, scores: 2 * n}), timeout=90,
                         reason=f"all {n} check-ins after the outage (had {during} when it ended)")
        assert killed >= 1 and during < n, "the outage must actually have cut the writer off mid-stream"
        assert "batch failed, retrying" in writer.log_tail(400)
    finally:
        writer.stop()


async def test_sigterm_during_an_outage_exits_promptly_and_loses_nothing(kafka_settings, engine, writer_env,
                                                                         writer_role, tmp_path, port):
    client_id = uuid.uuid4()
    events = [checkin(client_id, i) for i in range(60)]
    env = writer_env | {"DATABASE_URL": writer_role.url}
    writer = start_writer(env, tmp_path / "before", port)
    await writer.wait_healthy()
    await publish(kafka_settings, CHECKINS, events[:30], client_id)
    await wait_until(lambda: _equals(count(engine, checkins, client_id), 30), timeout=60, reason="the first 30 rows")
    await database_outage(writer_role, seconds=0.5)
    await publish(kafka_settings, CHECKINS, events[30:], client_id)
    await wait_until(lambda: _async("batch failed, retrying" in writer.log_tail(200)), timeout=30,
                     reason="the writer retrying against the refused database")
    started = asyncio.get_running_loop().time()
    assert writer.stop(timeout=10) == 0, writer.log_tail()
    assert asyncio.get_running_loop().time() - started < 10
    await writer_role.admin.execute(f"ALTER ROLE {writer_role.name} LOGIN")
    writer = start_writer(env, tmp_path / "after", port)
    try:
        await wait_until(lambda: counts_reach(engine, client_id, {checkins: 60, scores: 120}), timeout=60,
                         reason="the batch left uncommitted at SIGTERM, written after the restart")
    finally:
        writer.stop()


async def _equals(awaitable, n) -> bool:
    return await awaitable == n


async def _async(value):
    return value


async def _at_least(awaitable, n) -> bool:
    return await awaitable >= n


async def test_sigterm_finishes_the_batch_and_a_second_writer_shares_the_work(kafka_settings, engine, writer_env,
                                                                               tmp_path, port):
    """SIGTERM mid-stream exits cleanly; a second member joining (a rebalance) neither loses nor doubles rows."""
    client_id, n = uuid.uuid4(), 3000
    events = [checkin(client_id, i) for i in range(n)]
    env = writer_env | {"RAPPORT_TIMELINE_BATCH_MAX_RECORDS": "50"}
    first = start_writer(env, tmp_path / "first", port)
    await first.wait_healthy()
    await publish(kafka_settings, CHECKINS, events, client_id)
    await wait_until(lambda: _at_least(count(engine, checkins, client_id), 100), timeout=60, reason="some rows")
    second_port = free_port()
    second = start_writer(env | {"RAPPORT_TIMELINE_PORT": str(second_port)}, tmp_path / "second", second_port)
    try:
        await second.wait_healthy()
        await wait_until(lambda: _at_least(count(engine, checkins, client_id), 1500), timeout=60, reason="more rows")
        assert first.stop() == 0, first.log_tail()  # SIGTERM: finish the batch in flight, commit, exit 0
        assert "timeline writer stopped" in first.log_tail(200)
        await wait_until(lambda: counts_reach(engine, client_id, {checkins: n, scores: 2 * n}), timeout=90,
                         reason=f"all {n} check-ins with the second writer alone")
    finally:
        first.stop()
        second.stop()
