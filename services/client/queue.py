"""The offline queue: check-ins live in a local SQLite file until the gateway answered 202 for them."""

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
create table if not exists pending (
    event_id text primary key, body text not null, enqueued_at real not null,
    attempts integer not null default 0, next_attempt_at real not null default 0);
create table if not exists rejected (
    event_id text primary key, body text not null, code integer not null, reason text not null,
    rejected_at real not null);
"""


@dataclass(frozen=True)
class PendingCheckin:
    event_id: str
    body: dict
    attempts: int


class OfflineQueue:
    """Durable FIFO of check-ins; every row is committed before the call returns, so a crash loses nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def put(self, checkin: dict, now: float | None = None) -> str:
        """Store a check-in, giving it an event_id first so that every retry is the same event."""
        body = dict(checkin)
        body["event_id"] = str(body.get("event_id") or uuid.uuid4())
        self._db.execute("insert or ignore into pending (event_id, body, enqueued_at) values (?, ?, ?)",
                         (body["event_id"], json.dumps(body), now if now is not None else time.time()))
        return body["event_id"]

    def due(self, now: float, limit: int = 500) -> list[PendingCheckin]:
        """Check-ins whose next attempt is due, oldest first."""
        rows = self._db.execute(
            "select event_id, body, attempts from pending where next_attempt_at <= ?"
            " order by enqueued_at, rowid limit ?",
            (now, limit)).fetchall()
        return [PendingCheckin(event_id, json.loads(body), attempts) for event_id, body, attempts in rows]

    def accepted(self, event_ids: list[str]) -> None:
        """Forget check-ins the gateway acknowledged with 202."""
        self._db.executemany("delete from pending where event_id = ?", [(e,) for e in event_ids])

    def postpone(self, event_id: str, until: float) -> None:
        """Count a failed attempt and wait until `until` before the next one."""
        self._db.execute("update pending set attempts = attempts + 1, next_attempt_at = ? where event_id = ?",
                         (until, event_id))

    def reject(self, event_id: str, code: int, reason: str, now: float) -> None:
        """Move a check-in the gateway can never accept (4xx) aside, kept for the user to see, not retried."""
        with self._db:
            self._db.execute("begin")
            self._db.execute(
                "insert or replace into rejected select event_id, body, ?, ?, ? from pending where event_id = ?",
                (code, reason[:1000], now, event_id))
            self._db.execute("delete from pending where event_id = ?", (event_id,))

    def pending_count(self) -> int:
        return self._db.execute("select count(*) from pending").fetchone()[0]

    def next_due_at(self) -> float | None:
        return self._db.execute("select min(next_attempt_at) from pending").fetchone()[0]

    def rejected(self) -> list[dict]:
        rows = self._db.execute("select event_id, code, reason from rejected order by rejected_at").fetchall()
        return [{"event_id": e, "code": c, "reason": r} for e, c, r in rows]
