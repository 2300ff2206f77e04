"""Refuse request bodies over a size with 413 before they are read into memory: by Content-Length
when the client sends one, else by reading the chunks (up to the limit) before the app sees them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def replay(bodies: list[bytes], last: Message | None, then: Receive | None = None) -> Receive:
    """A `receive` that hands the app a body already read (then `last`, then whatever `then` gives)."""
    queue: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if last is not None:
        queue.append(last)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()  # e.g. http.disconnect, for a streaming response
        return {"type": "http.disconnect"}

    return receive


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(send)
            return
        if length is not None:  # the server holds the client to its Content-Length
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read it here, up to the limit, and hand the app the whole of it.
        chunks, received, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                await self._refuse(send)
                return
            more = message.get("more_body", False)
        await self.app(scope, replay([b"".join(chunks)], None, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body over {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
