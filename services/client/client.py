"""An async client for the gateway: queue first, send when possible, forget only after a 202."""

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from services.client.backoff import next_attempt_delay
from services.client.queue import OfflineQueue, PendingCheckin

log = logging.getLogger(__name__)
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class SyncReport:
    """What one sync achieved; `answers` holds the gateway's 202 bodies (with any safety_resources)."""

    answers: dict[str, dict] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    postponed: int = 0
    pending: int = 0
    problem: str | None = None

    @property
    def accepted(self) -> list[str]:
        return list(self.answers)


def _retry_after(response: httpx.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    return float(value) if value and value.replace(".", "", 1).isdigit() else None


class RapportClient:
    """Submit check-ins through the offline queue; a check-in is deleted only once the gateway accepted it."""

    def __init__(self, base_url: str, token: str | Callable[[], str], queue: OfflineQueue, *,
                 http: httpx.AsyncClient | None = None, batch_size: int = 100, timeout_s: float = 15.0,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None):
        self.queue = queue
        self.batch_size = batch_size
        self.clock = clock
        self.rng = rng or random.Random()
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        # A callable is asked before every request, so an app can hand in a renewed token after a 401.
        self.token = token if callable(token) else (lambda: token)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def submit(self, checkin: dict) -> SyncReport:
        """Queue a check-in durably, then try to send everything that is due."""
        self.queue.put(checkin, now=self.clock())
        return await self.sync()

    async def sync(self) -> SyncReport:
        """Send due check-ins until none is due or the gateway cannot take more right now."""
        report = SyncReport()
        while report.problem is None:
            due = self.queue.due(self.clock(), self.batch_size)
            if not due:
                break
            await (self._send_one(due[0], report) if len(due) == 1 else self._send_batch(due, report))
        report.pending = self.queue.pending_count()
        return report

    async def sync_until_empty(self, timeout_s: float = 60.0) -> SyncReport:
        """Keep syncing, waiting out backoffs, until the queue is empty or `timeout_s` passed."""
        deadline, total = self.clock() + timeout_s, SyncReport()
        while True:
            report = await self.sync()
            total.answers.update(report.answers)
            total.rejected.update(report.rejected)
            total.postponed += report.postponed
            total.pending, total.problem = report.pending, report.problem
            next_due = self.queue.next_due_at()
            if next_due is None or next_due > deadline:
                return total
            await asyncio.sleep(max(next_due - self.clock(), 0.05))

    async def plan(self) -> dict:
        """The client's check-in plan (`GET /v1/me/plan`)."""
        response = await self.http.get("/v1/me/plan", headers=self._auth())
        response.raise_for_status()
        return response.json()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    async def _post(self, path: str, body: dict) -> httpx.Response | str:
        try:
            return await self.http.post(path, json=body, headers=self._auth())
        except httpx.TransportError as exc:
            return f"gateway unreachable: {type(exc).__name__}"

    async def _send_one(self, item: PendingCheckin, report: SyncReport) -> None:
        response = await self._post("/v1/checkins", item.body)
        if isinstance(response, str):
            return self._postpone([item], None, response, report)
        if response.status_code == 202:
            self.queue.accepted([item.event_id])
            report.answers[item.event_id] = response.json()
        elif response.status_code in RETRYABLE or response.status_code == 401:
            # 401 is not the check-in's fault: it waits in the queue for a fresh token.
            self._postpone([item], response, f"gateway answered {response.status_code}", report)
        else:
            self._reject(item, response.status_code, response.text, report)

    async def _send_batch(self, items: list[PendingCheckin], report: SyncReport) -> None:
        response = await self._post("/v1/checkins:batch", {"checkins": [i.body for i in items]})
        if isinstance(response, str):
            return self._postpone(items, None, response, report)
        if response.status_code == 413 and len(items) > 1:
            self.batch_size = max(1, len(items) // 2)  # smaller batches next time; nothing is lost
            return
        if response.status_code != 200:
            return self._postpone(items, response, f"gateway answered {response.status_code}", report)
        by_index = {r["index"]: r for r in response.json()["results"]}
        retry = []
        for index, item in enumerate(items):
            result = by_index.get(index, {"status": "unavailable"})
            if result["status"] == "accepted":
                self.queue.accepted([item.event_id])
                report.answers[item.event_id] = {k: v for k, v in result.items() if k in ("event_id", "status",
                                                                                        "safety_resources")}
            elif result["status"] == "rejected":
                self._reject(item, result["code"], str(result.get("errors")), report)
            else:
                retry.append(item)
        if retry:
            self._postpone(retry, response, "Kafka did not acknowledge some check-ins", report)

    def _postpone(self, items: list[PendingCheckin], response, problem: str, report: SyncReport) -> None:
        now = self.clock()
        for item in items:
            delay = next_attempt_delay(item.attempts + 1, _retry_after(response), rng=self.rng)
            self.queue.postpone(item.event_id, now + delay)
        report.postponed += len(items)
        report.problem = problem
        log.info("check-ins kept for a later retry", extra={"count": len(items), "problem": problem})

    def _reject(self, item: PendingCheckin, code: int, reason: str, report: SyncReport) -> None:
        self.queue.reject(item.event_id, code, reason, self.clock())
        report.rejected[item.event_id] = code
        log.warning("gateway refused a check-in", extra={"event_id": item.event_id, "code": code})
