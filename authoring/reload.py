"""`make reload`: put a retrained model and a rebuilt KB index into the running stack without
restarting anything, so no conversation is dropped.

1. `make train` (trains only when the data or config changed);
2. `PUT /model` on Rasa's HTTP API (Rasa 3.6, started with `--enable-api`, token RASA_API_TOKEN) with
   the model file; Rasa loads it next to the old one and then switches. Conversations live in the SQL
   tracker store and Rasa hands its lock store to the new model, so a conversation continues
   where it was, slots and active form included;
3. waits until `GET /status` reports the new model (file name and model id);
4. `make index`: the action server notices the new index on its next query (kb_index swaps the
   `current` link atomically), so nothing needs to be told;
5. the flows (bot/flows/, or BOT_FLOWS_DIR) must load: the action server re-reads a changed flow
   file by itself (new answers from the review inbox included), so a reload only checks them.

    .venvs/app/bin/python -m authoring.reload [--model models/nimbus.tar.gz] [--no-train] [--no-index]

Rasa's URL comes from RASA_URL, else RASA_HOST/RASA_PORT; the token from RASA_API_TOKEN
(`make setup` writes one into .env; `make reload` reads .env).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.actions.flow_content import FlowError, flows_dir, load_flows

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models/nimbus.tar.gz"
# Loading our model takes seconds (ONNX sessions, the dialogue policies); a slow, busy machine
# gets a generous bound before the reload is called failed.
LOAD_TIMEOUT_SECONDS = 600.0


class ReloadError(Exception):
    """Something a content writer can fix; the message says what and how."""


def model_id(model: Path) -> str:
    """The id Rasa gave the model when it was trained (metadata.json inside the archive); Rasa's
    /status reports the same id for the model it runs."""
    try:
        with tarfile.open(model, "r:gz") as archive:
            for member in archive:
                if member.name.lstrip("./") == "metadata.json":
                    handle = archive.extractfile(member)
                    if handle is not None:
                        return str(json.load(handle)["model_id"])
    except (OSError, tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise ReloadError(f"{model} is not a Rasa model: {exc}") from exc
    raise ReloadError(f"{model} is not a Rasa model (no metadata.json inside)")


def default_url() -> str:
    if os.environ.get("RASA_URL"):
        return os.environ["RASA_URL"].rstrip("/")
    host = os.environ.get("RASA_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # bound to every interface: reachable on loopback
        host = "127.0.0.1"
    return f"http://{host}:{os.environ.get('RASA_PORT') or 5005}"


@dataclass
class RasaAPI:
    """The two calls of Rasa's HTTP API a reload needs, with errors that say what to do."""

    url: str
    token: str
    timeout: float = 10.0

    def _request(self, method: str, path: str, timeout: float | None = None, **kwargs: Any) -> httpx.Response:
        try:
            response = httpx.request(
                method,
                f"{self.url}{path}",
                params={"token": self.token},
                timeout=timeout or self.timeout,
                **kwargs,
            )
        except httpx.ConnectError as exc:
            raise ReloadError(f"Rasa is not running at {self.url} (start the stack with `make run`)") from exc
        except httpx.TimeoutException as exc:
            raise ReloadError(f"Rasa at {self.url} did not answer {method} {path} in time") from exc
        if response.status_code in (401, 403):
            raise ReloadError(
                f"Rasa at {self.url} refused the API token: RASA_API_TOKEN is not the one Rasa was started with "
                "(after changing .env, restart `make run`)"
            )
        if response.status_code in (404, 405):
            raise ReloadError(
                f"{self.url} has no Rasa HTTP API ({method} {path}: {response.status_code}): is that Rasa, and was it "
                "started with --enable-api? (`make run` does both)"
            )
        return response

    def status(self) -> dict[str, Any]:
        """Rasa's /status; {} while it has no model loaded (409)."""
        response = self._request("GET", "/status")
        if response.status_code == 409:
            return {}
        if response.status_code != 200:
            raise ReloadError(f"Rasa's /status answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def replace_model(self, model: Path) -> None:
        """PUT /model: Rasa answers once the new model is loaded and in use."""
        response = self._request("PUT", "/model", timeout=LOAD_TIMEOUT_SECONDS, json={"model_file": str(model)})
        if response.status_code != 204:
            try:
                detail = response.json().get("message", response.text)
            except ValueError:
                detail = response.text
            raise ReloadError(f"Rasa could not load {model} ({response.status_code}): {detail[:500]}")


def runs(status: dict[str, Any], model: Path, expected_id: str) -> bool:
    return status.get("model_id") == expected_id and status.get("model_file") == model.name


def reload_model(api: RasaAPI, model: Path, timeout: float = 60.0) -> dict[str, Any]:
    """Make the running Rasa use `model`; returns what ran before and after. Does nothing when it
    runs that model already."""
    model = model.resolve()  # Rasa resolves a relative path from its own working folder
    if not model.is_file():
        raise ReloadError(f"no model at {model} (train one with `make train`)")
    expected = model_id(model)
    before = api.status()
    if runs(before, model, expected):
        return {"changed": False, "before": before, "after": before, "seconds": 0.0}
    started = time.perf_counter()
    api.replace_model(model)
    deadline = time.monotonic() + timeout
    while True:
        after = api.status()
        if runs(after, model, expected):
            break
        if time.monotonic() > deadline:
            raise ReloadError(f"Rasa accepted {model.name} but /status still reports {after} after {timeout:.0f} s")
        time.sleep(0.5)
    return {"changed": True, "before": before, "after": after, "seconds": round(time.perf_counter() - started, 1)}


def check_flows() -> None:
    """The flows the action server runs must load: it re-reads changed files by itself, and keeps
    the last good ones (and logs) when an edit broke them, which a reload must say, not hide."""
    try:
        load_flows(flows_dir())
    except FlowError as exc:
        raise ReloadError(f"{exc}; the action server keeps running the previous flows until it is fixed") from exc


def _make(target: str) -> None:
    """A Makefile target, with its output (it says when it trains or rebuilds, and nothing else)."""
    result = subprocess.run(["make", "--no-print-directory", "-s", target], cwd=ROOT)
    if result.returncode != 0:
        raise ReloadError(f"`make {target}` failed (see above); the running stack was not changed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authoring.reload", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--rasa-url", default=None, help="default: RASA_URL, else http://RASA_HOST:RASA_PORT")
    parser.add_argument("--no-train", action="store_true", help="reload the model file as it is")
    parser.add_argument("--no-index", action="store_true", help="leave the KB index alone")
    args = parser.parse_args(argv)
    token = os.environ.get("RASA_API_TOKEN", "")
    api = RasaAPI(args.rasa_url or default_url(), token)
    try:
        if not token:
            raise ReloadError("RASA_API_TOKEN is not set: `make setup` writes one into .env; then restart `make run`")
        api.status()  # before minutes of training: is there a stack to reload?
        check_flows()
        if not args.no_train:
            _make("train")
        result = reload_model(api, args.model)
        if result["changed"]:
            print(
                f"==> Rasa at {api.url} now runs {result['after']['model_file']} "
                f"(model {result['after']['model_id'][:12]}, was {str(result['before'].get('model_id'))[:12]}; "
                f"{result['seconds']:.1f} s)"
            )
        else:
            print(f"==> Rasa at {api.url} already runs {args.model.name} (model {result['after']['model_id'][:12]})")
        if not args.no_index:
            _make("index")
            print("==> KB index up to date; the action server uses it from its next question on")
        print(f"==> Flows in {flows_dir()} load; the action server re-reads a changed flow file on its next turn")
    except ReloadError as exc:
        print(f"reload: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
