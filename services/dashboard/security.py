"""Response headers for a clinical web page: same-origin scripts only, no framing, no referrer, no caching of data."""

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "content-security-policy": PAGE_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # a sign-in link carries its token in the URL
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    """Plain ASGI middleware (it leaves streaming responses, such as the SSE stream, untouched).

    API answers carry client data, so they are also marked `Cache-Control: no-store` unless they say otherwise.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        is_api = scope["path"].startswith("/api/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = dict(HEADERS) | ({"cache-control": "no-store"} if is_api else {})
                message["headers"] = list(message.get("headers", [])) + [
                    (name.encode(), value.encode()) for name, value in extra.items() if name.encode() not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
