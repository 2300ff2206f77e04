"""Start the real processes (Rasa, action server, handoff API) on free ports, for tests and benchmarks."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
RASA_BIN = ROOT / ".venvs/rasa/bin/rasa"
RASA_PY = ROOT / ".venvs/rasa/bin/python"
APP_PY = ROOT / ".venvs/app/bin/python"
MODEL_CACHE = ROOT / ".cache/test-models"
INDEX_CACHE = ROOT / ".cache/test-kb-index"
# Fewer epochs keep training for tests short; the production config stays untouched.
TEST_EPOCHS = {"DIETClassifier": 30, "TEDPolicy": 20}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _training_files() -> list[Path]:
    # bot/nlu holds custom NLU components (config.yml names them): their code is a training input too.
    return [
        ROOT / "config.yml",
        ROOT / "domain.yml",
        *sorted((ROOT / "bot/data").rglob("*.yml")),
        *sorted((ROOT / "bot/nlu").glob("*.py")),
        *sorted((ROOT / "bot/nlu").glob("*.yml")),
    ]


def test_config() -> dict:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for part in config["pipeline"] + config["policies"]:
        if part["name"] in TEST_EPOCHS:
            part["epochs"] = TEST_EPOCHS[part["name"]]
    return config


def model_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _training_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(repr(TEST_EPOCHS).encode())
    return digest.hexdigest()[:16]


def trained_test_model() -> Path:
    """A model trained on the current data with test epochs, cached by fingerprint."""
    fingerprint = model_fingerprint()
    model = MODEL_CACHE / f"{fingerprint}.tar.gz"
    if model.exists():
        return model
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(yaml.safe_dump(test_config(), sort_keys=False))
        subprocess.run(
            [
                str(RASA_BIN),
                "train",
                "--config",
                str(config),
                "--domain",
                str(ROOT / "domain.yml"),
                "--data",
                str(ROOT / "bot/data"),
                "--out",
                str(MODEL_CACHE),
                "--fixed-model-name",
                fingerprint,
                "--quiet",
            ],
            cwd=ROOT,
            check=True,
            env=base_env(),
        )
    for old in MODEL_CACHE.glob("*.tar.gz"):  # keep the cache small
        if old != model and time.time() - old.stat().st_mtime > 3600:
            old.unlink()
    return model


def built_test_index(model: str | None = None) -> Path:
    """The KB index of the current articles (incremental rebuild keeps this fast); `model`
    overrides the embedding model (one cached index per model)."""
    out = INDEX_CACHE if model is None else INDEX_CACHE.with_name(f"{INDEX_CACHE.name}-{model}")
    env = base_env() | ({"KB_EMBEDDING_MODEL": model} if model else {})
    subprocess.run(
        [str(APP_PY), "-m", "kb_index", "build", "--quiet", "--out", str(out)],
        cwd=ROOT,
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return out


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KB_", "HANDOFF_", "RASA_", "ACTION_", "ACCOUNT", "MAIL_", "SMTP_", "OTP_"))
    }
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Stack:
    workdir: Path
    rasa_url: str
    action_url: str
    handoff_url: str
    bot_token: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    _limiter: Any = None

    def post_message(self, sender: str, text: str, timeout: float = 30) -> httpx.Response:
        """One message to Rasa's REST channel, the answer as it came. The body is encoded by
        json.dumps, which keeps a lone surrogate as the valid JSON escape \\ud800 (httpx's own
        encoder refuses it)."""
        return httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            content=json.dumps({"sender": sender, "message": text}),
            headers={"Content-Type": "application/json"},
            timeout=timeout,
        )

    def say(self, sender: str, text: str, timeout: float = 30) -> list[dict]:
        r = self.post_message(sender, text, timeout)
        r.raise_for_status()
        return r.json()

    @property
    def outbox(self) -> Path:
        """Where the demo account backend "sends" mail (one .eml file per message)."""
        return self.workdir / "outbox"

    def reset_limits(self) -> None:
        """Forget the rate-limit counts (codes, tickets, messages) of earlier conversations."""
        from common.rate_limits import RateLimiter

        if self._limiter is None:  # one limiter (one SQLite engine) for the whole session
            self._limiter = RateLimiter.from_url(self.env["RATE_LIMIT_URL"])
        self._limiter.reset()

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, name: str) -> None:
        proc = self.processes.pop(name, None)
        if proc:
            stop_process(proc)


def conversation_tracker(stack: Any, conversation_id: str) -> dict:
    """The conversation's tracker from Rasa's HTTP API (any stack with `rasa_url` and `env`)."""
    r = httpx.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.env["RASA_API_TOKEN"]},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate, and kill what does not stop within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


READY_PATHS = {"handoff": ("/readyz", 60), "actions": ("/health", 120), "rasa": ("/", 240)}


def spawn(stack: Stack, name: str) -> None:
    # Owner-only, like every file the services write (the logs quote customers).
    fd = os.open(stack.workdir / f"{name}.log", os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    log = os.fdopen(fd, "ab")  # noqa: SIM115 - closed with the process
    # cwd is the work folder so that no process reads the developer's .env by accident.
    stack.processes[name] = subprocess.Popen(
        stack.commands[name], cwd=stack.workdir, env=stack.env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_started(stack: Stack, name: str) -> None:
    base = {"handoff": stack.handoff_url, "actions": stack.action_url, "rasa": stack.rasa_url}[name]
    path, timeout = READY_PATHS[name]
    wait_ready(stack, name, base + path, timeout)


def start_process(stack: Stack, name: str) -> None:
    """(Re)start one process of the stack with its command and environment, and wait until ready."""
    spawn(stack, name)
    wait_started(stack, name)


def wait_ready(stack: Stack, name: str, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    proc = stack.processes[name]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{stack.log(name)[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} not ready after {timeout:.0f}s:\n{stack.log(name)[-4000:]}")


def stack_env(workdir: Path, ports: dict[str, int], token: str, kb_index: Path) -> dict[str, str]:
    """What the processes of a test stack read: its ports (`rasa`, `actions`, `handoff`,
    `host_site`: the front doors), its databases and folders in `workdir`, fresh secrets."""
    # Browsers may reach Rasa from the help site (the handoff service) and from the tests' own
    # stand-in for a customer's website (tests/e2e/test_widget.py's HostSite on this port).
    origins = [f"http://127.0.0.1:{ports['handoff']}", f"http://127.0.0.1:{ports['host_site']}"]
    return (
        base_env()
        | {
            "RASA_HOST": "127.0.0.1",
            "RASA_PORT": str(ports["rasa"]),
            "ACTION_HOST": "127.0.0.1",
            "ACTION_PORT": str(ports["actions"]),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
            "HANDOFF_API_URL": f"http://127.0.0.1:{ports['handoff']}",
            "HELP_SITE_URL": f"http://127.0.0.1:{ports['handoff']}",
            "RASA_PUBLIC_URL": f"http://127.0.0.1:{ports['rasa']}",
            "RASA_CORS_ORIGINS": " ".join(origins),
            "TIER0_TEST_HOST_SITE_PORT": str(ports["host_site"]),
            "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
            "HANDOFF_BOT_TOKEN": token,
            "DATABASE_URL": f"sqlite:///{workdir}/handoff.db",
            "TRACKER_DB_URL": f"sqlite:///{workdir}/tracker.db",
            "KB_INDEX_DIR": str(kb_index),
            "WIDGET_DIR": str(ROOT / "web/dist"),
            "KB_SOURCE_DIR": str(ROOT / "kb/articles"),
            "ACCOUNTS_DB_PATH": str(workdir / "accounts.db"),
            "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
            "RATE_LIMIT_URL": f"sqlite:///{workdir}/rate_limits.db",
            # Rasa's HTTP API (model replacement, /status, trackers) is on, behind this token.
            "RASA_API_TOKEN": secrets.token_urlsafe(24),
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24),
            "SLOT_SEAL_SECRET": secrets.token_urlsafe(24),
        }
    )


@contextmanager
def running_stack(model: Path, kb_index: Path, extra_env: dict[str, str] | None = None):
    """All three processes on free ports with their own databases in a temporary folder."""
    model, kb_index = model.resolve(), kb_index.resolve()  # the processes run in a temporary folder
    workdir = Path(tempfile.mkdtemp(prefix="tier0-stack-"))
    ports = {name: free_port() for name in ("rasa", "actions", "handoff", "host_site")}
    token = secrets.token_urlsafe(24)
    env = stack_env(workdir, ports, token, kb_index) | (extra_env or {})
    stack = Stack(
        workdir,
        f"http://127.0.0.1:{ports['rasa']}",
        f"http://127.0.0.1:{ports['actions']}",
        f"http://127.0.0.1:{ports['handoff']}",
        token,
        env,
    )
    commands = {
        "handoff": [
            str(APP_PY),
            "-m",
            "uvicorn",
            "--factory",
            "handoff_api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["handoff"]),
            "--no-access-log",
        ],
        "actions": [str(APP_PY), "-m", "bot.actions.server"],
        "rasa": [
            str(RASA_PY),
            "-m",
            "bot.rasa_launcher",
            "run",
            "--model",
            str(model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(ports["rasa"]),
            "--credentials",
            str(ROOT / "credentials.yml"),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--cors",
            *env["RASA_CORS_ORIGINS"].split(),
            # The API token is RASA_API_TOKEN in env: the launcher keeps it off the command line.
            "--enable-api",
        ],
    }
    stack.commands = commands
    try:
        for name in commands:
            spawn(stack, name)
        for name in commands:
            wait_started(stack, name)
        yield stack
    finally:
        for name in list(stack.processes):
            stack.stop(name)
        if os.environ.get("TIER0_KEEP_STACK_LOGS"):
            print(f"stack logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
