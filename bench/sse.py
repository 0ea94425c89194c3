"""A minimal Server-Sent Events reader: records when each `alert` for a client first arrives."""

import json
import time

import httpx


class AlertArrivals:
    """Reads an open SSE stream and notes the monotonic time of the first `alert` frame per client_id."""

    def __init__(self, url: str, headers: dict[str, str]):
        self.url, self.headers = url, headers
        self.first_alert_at: dict[str, float] = {}
        self.connected = False

    def on_frame(self, event: str, data: str) -> None:
        if event != "alert" or not data:
            return
        payload = json.loads(data)
        client = str(payload.get("client_id", ""))
        self.first_alert_at.setdefault(client, time.monotonic())

    async def read(self) -> None:
        """Read frames until cancelled."""
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client:
            async with client.stream("GET", self.url, headers=self.headers) as response:
                response.raise_for_status()
                event, data = "message", []
                async for line in response.aiter_lines():
                    self.connected = True
                    if line == "":
                        self.on_frame(event, "\n".join(data))
                        event, data = "message", []
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
