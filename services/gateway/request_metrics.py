"""Count requests by route and status code for `/metrics` (ASGI middleware)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import REGISTRY

requests_total = REGISTRY.counter("rapport_gateway_requests_total", "HTTP requests answered", ["route", "code"])


class RequestMetrics:
    """Label by the matched route template (never the raw path, which an attacker could vary without end)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                requests_total.inc(route=getattr(route, "path", "unmatched"), code=str(message["status"]))
            await send(message)

        await self.app(scope, receive, counting_send)
