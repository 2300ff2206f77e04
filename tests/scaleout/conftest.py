"""The scaled setup of tests/scaled_stack.py, once per module, when its services are there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scaled_stack import HAPROXY, ScaledStack, running_scaled_stack
from tests.services import require_postgresql, require_rabbitmq, require_redis, service_unreachable


@pytest.fixture(scope="module")
def scaled() -> Iterator[ScaledStack]:
    require_postgresql()
    require_redis()
    require_rabbitmq()
    if not Path(HAPROXY).exists():
        service_unreachable(f"HAProxy is not installed at {HAPROXY} (make test installs Debian's haproxy)")
    with running_scaled_stack(2, 2, {"HAPROXY_BIN": HAPROXY}) as stack:
        yield stack
