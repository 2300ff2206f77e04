"""A test whose service is down skips with the reason on a laptop and fails in CI."""

from __future__ import annotations

import pytest

from tests.services import service_unreachable


def test_skips_with_the_reason_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL at x is unreachable"):
        service_unreachable("PostgreSQL at x is unreachable")


def test_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        service_unreachable("PostgreSQL at x is unreachable")
