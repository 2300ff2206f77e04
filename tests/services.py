"""What a test does when a service it needs (PostgreSQL, Redis, RabbitMQ) cannot be reached: skip
with the reason on a developer's machine, fail in CI (CI=true), where every service must run."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def service_unreachable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: every service must be reachable)", pytrace=False)
    pytest.skip(reason)
