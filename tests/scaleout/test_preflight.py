"""`python -m scaleout` names the service that is missing before it starts anything, and writes a
HAProxy configuration HAProxy accepts for any number of replicas."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.scaled_stack import HAPROXY
from harness.stack import APP_PY, ROOT, base_env, free_port
from scaleout.haproxy import render
from scaleout.settings import ScaledSettings
from tests.services import service_unreachable


def check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(APP_PY), "-m", "scaleout", "check"],
        cwd=ROOT,
        env=base_env() | {"HAPROXY_BIN": HAPROXY} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("setting", "url", "named"),
    [
        ("REDIS_URL", "redis://127.0.0.1:{port}/0", "Redis is not reachable at redis://127.0.0.1:{port}/0"),
        ("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:{port}/%2F", "RabbitMQ is not reachable at amqp://guest:***@"),
        (
            "SCALED_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:{port}/test",
            "PostgreSQL (tickets) is not reachable at postgresql+psycopg://postgres@127.0.0.1:{port}/test",
        ),
    ],
)
def test_a_missing_service_is_named_with_its_setting_and_nothing_starts(setting: str, url: str, named: str) -> None:
    port = free_port()  # nothing listens there
    result = check(**{setting: url.format(port=port)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert named.format(port=port) in result.stdout and f"(set {setting} in .env)" in result.stdout
    assert result.stdout.count("not reachable") == 1  # the other services are there


def test_every_service_there_is_said_so() -> None:
    result = check()
    if result.returncode:
        service_unreachable(result.stdout.strip())
    assert "all there" in result.stdout


@pytest.mark.parametrize(("rasa", "actions"), [(1, 1), (2, 2), (4, 3)])
def test_haproxy_accepts_the_configuration(tmp_path: Path, rasa: int, actions: int) -> None:
    if not Path(HAPROXY).exists():
        service_unreachable(f"HAProxy is not installed at {HAPROXY} (make test installs Debian's haproxy)")
    config = tmp_path / "haproxy.cfg"
    text = render(ScaledSettings(rasa_replicas=rasa, action_replicas=actions, _env_file=None))
    config.write_text(text)
    result = subprocess.run([HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert text.count("server rasa-") == 3 * rasa and text.count("server actions-") == actions
