"""The action server's pooled HTTP client: one per event loop, so a call made on a new loop (the
outbox's retries, a test's asyncio.run) never gets a client tied to a loop that has ended."""

from __future__ import annotations

import asyncio

import httpx

from bot.actions.http_client import shared_client


def test_one_client_per_loop_and_a_new_one_for_a_new_loop() -> None:
    async def twice() -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
        return shared_client(), shared_client()

    first, again = asyncio.run(twice())
    assert first is again  # one pool per loop: no client (and SSL context) per call
    second, _ = asyncio.run(twice())
    assert second is not first


def test_a_call_on_a_second_loop_goes_through() -> None:
    """A real request on each of two loops, against a local server that answers 204."""
    import http.server
    import threading

    class NoContent(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoContent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"

    async def status() -> int:
        return (await shared_client().get(url, timeout=5)).status_code

    try:
        assert [asyncio.run(status()) for _ in range(2)] == [204, 204]
    finally:
        server.shutdown()
