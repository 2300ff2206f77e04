"""One pooled HTTP client per event loop for the action server's calls to Rasa's HTTP API and the
handoff API. Making an `httpx.AsyncClient` costs about 25 ms of CPU (it builds an SSL context;
`make bench-profile` found it on every handoff turn), and a kept pool saves the connection set-up
of each call. Per event loop, because a client belongs to the loop it was first used on."""

from __future__ import annotations

import asyncio
import weakref

import httpx

# Below uvicorn's and Sanic's keep-alive timeout (5 s): a pooled connection is dropped here before
# the server can close it under a request.
KEEPALIVE_EXPIRY_SECONDS = 2.0

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def shared_client() -> httpx.AsyncClient:
    """The running loop's client; pass each request's `timeout`."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS))
        _clients[loop] = client
    return client
