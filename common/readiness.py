"""Wait until services answer: each URL polled until it returns 200 (the launchers of `make run`
and `make run-scaled`). Standard library only, like the rest of this package."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own http:// URLs
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until_answering(
    urls: dict[str, str], check: Callable[[dict[str, str]], None] | None = None, poll_seconds: float = 0.5
) -> float:
    """Seconds until every URL of `urls` (name -> URL) answered 200. `check(pending)` runs before
    each round and may raise to give up (a process died, a deadline passed)."""
    started, pending = time.monotonic(), dict(urls)
    while pending:
        if check is not None:
            check(pending)
        for name, url in list(pending.items()):
            if answers(url):
                del pending[name]
        if pending:
            time.sleep(poll_seconds)
    return time.monotonic() - started
