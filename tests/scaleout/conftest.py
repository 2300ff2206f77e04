"""The scaled setup of harness/scaled_stack.py, once per module, when its services are there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scaled_stack import HAPROXY, ScaledStack, running_scaled_stack
from tests.services import require_postgresql, require_rabbitmq, require_redis, service_unreachable

LOG_TAIL_LINES = 30


@pytest.fixture(scope="module")
def scaled() -> Iterator[ScaledStack]:
    require_postgresql()
    require_redis()
    require_rabbitmq()
    if not Path(HAPROXY).exists():
        service_unreachable(f"HAProxy is not installed at {HAPROXY} (make test installs Debian's haproxy)")
    with running_scaled_stack(2, 2, {"HAPROXY_BIN": HAPROXY}) as stack:
        yield stack


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test shows the end of every process's log (CI keeps only the test output)."""
    outcome = yield
    report = outcome.get_result()
    stack = getattr(item, "funcargs", {}).get("scaled")
    if report.failed and isinstance(stack, ScaledStack):
        for log in sorted((stack.workdir / "run/logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            report.sections.append((f"scaled stack: {log.name}", "\n".join(lines)))
