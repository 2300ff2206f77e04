"""`make reload` against the real stack: a conversation stopped in the middle of the Wi-Fi
diagnosis, other customers chatting all the while, the model replaced through Rasa's HTTP API by
authoring.reload; no request fails, /status names the new model, and the first conversation goes
on from the question it was at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from authoring.reload import RasaAPI, ReloadError, model_id, reload_model
from harness.stack import ROOT, conversation_tracker

pytestmark = pytest.mark.e2e

BACKGROUND = ("hello", "how do I share a file with a colleague", "thanks")


class Chatter:
    """Customers who keep talking, one request at a time each, and what happened to each request."""

    def __init__(self, stack, customers: int = 2) -> None:
        self.stack = stack
        self.stop = threading.Event()
        self.done: list[tuple[float, float, str | None]] = []  # (sent, answered, error)
        self.threads = [threading.Thread(target=self.talk, args=(i,), daemon=True) for i in range(customers)]

    def talk(self, customer: int) -> None:
        sender = f"reload-bg-{customer}-{uuid.uuid4().hex[:6]}"
        n = 0
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                replies = self.stack.say(sender, BACKGROUND[n % len(BACKGROUND)], timeout=180)
                error = None if replies else "no reply"
            except Exception as exc:  # any failure is what the test is looking for
                error = repr(exc)
            self.done.append((sent, time.monotonic(), error))
            n += 1

    def __enter__(self) -> Chatter:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=200)

    def wait_for(self, count: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.done) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.done) >= count, f"background customers got only {len(self.done)} answers"


def test_a_new_model_is_taken_up_without_dropping_conversations(stack, tmp_path: Path) -> None:
    token = stack.env["RASA_API_TOKEN"]
    api = RasaAPI(stack.rasa_url, token)
    command = stack.commands["rasa"]
    running = Path(command[command.index("--model") + 1])  # the model the stack started with
    assert api.status()["model_file"] == running.name
    # The "retrained" model: the cached one under a new file name (training a second one would
    # add minutes and prove nothing more about the swap).
    retrained = tmp_path / "nimbus-retrained.tar.gz"
    shutil.copy(running, retrained)

    # A customer in the middle of the Wi-Fi diagnosis, at a question with buttons.
    customer = f"reload-{uuid.uuid4().hex[:8]}"
    replies = stack.say(customer, "my wifi keeps dropping every evening on my laptop, windows 11")
    question = replies[-1]
    assert question.get("buttons"), replies
    before = conversation_tracker(stack, customer)
    assert before["active_loop"]["name"] == "diagnosis_form"
    asked = before["slots"]["requested_slot"]
    assert asked and before["slots"]["device"] and before["slots"]["os"]

    try:
        with Chatter(stack) as chatter:
            chatter.wait_for(4)  # traffic is flowing before the swap
            swap_started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "authoring.reload", "--no-train", "--no-index", "--model", str(retrained)],
                cwd=ROOT,
                env=dict(os.environ, RASA_URL=stack.rasa_url, RASA_API_TOKEN=token),
                capture_output=True,
                text=True,
                timeout=600,
            )
            swap_ended = time.monotonic()
            answered = len(chatter.done)
            chatter.wait_for(answered + 4)  # and after it
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"now runs {retrained.name}" in result.stdout

        failed = [d for d in chatter.done if d[2]]
        assert failed == [], failed
        during = [d for d in chatter.done if d[0] < swap_ended and d[1] > swap_started]
        assert during, "no background request was in flight while the model was replaced"
        slowest = max(d[1] - d[0] for d in during)
        print(f"swap {swap_ended - swap_started:.1f} s; {len(chatter.done)} requests, none failed; "
              f"slowest one in flight during the swap {slowest:.1f} s")  # fmt: skip

        status = api.status()
        assert status["model_file"] == retrained.name and status["model_id"] == model_id(retrained)

        # The first customer is still at the same question, with what they said kept...
        after = conversation_tracker(stack, customer)
        assert after["active_loop"]["name"] == "diagnosis_form"
        assert after["slots"] == before["slots"] and after["slots"]["requested_slot"] == asked
        # ...and answering it moves the diagnosis on, served by the new model.
        replies = stack.say(customer, question["buttons"][0]["payload"])
        assert replies, "no answer after the reload"
        moved = conversation_tracker(stack, customer)
        assert moved["slots"][asked] is not None and moved["slots"]["requested_slot"] != asked
    finally:
        reload_model(api, running)  # the session's other tests expect the model they started with
    assert api.status()["model_file"] == running.name


def test_reload_says_what_is_wrong_with_the_token_or_the_address(stack) -> None:
    with pytest.raises(ReloadError, match="refused the API token"):
        RasaAPI(stack.rasa_url, "not-the-token").status()
    with pytest.raises(ReloadError, match="no Rasa HTTP API"):
        RasaAPI(stack.handoff_url, stack.env["RASA_API_TOKEN"]).status()  # a server, but not Rasa
    result = subprocess.run(
        [sys.executable, "-m", "authoring.reload", "--no-train", "--no-index"],
        cwd=ROOT,
        env=dict(os.environ, RASA_URL=stack.rasa_url, RASA_API_TOKEN="wrong"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "refused the API token" in result.stderr
