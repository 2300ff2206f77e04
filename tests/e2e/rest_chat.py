"""A customer talking to the real stack over Rasa's REST channel, as the e2e tests drive it."""

from __future__ import annotations

import re
import uuid

import httpx

from accounts.mail import read_outbox


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies: list[dict]) -> list[dict]:
    return [b for r in replies for b in r.get("buttons") or []]


class Chat:
    """One conversation: `say` a message, `tap` a button of the last answer, read the mailed code
    and the ticket an answer names."""

    def __init__(self, stack, prefix: str = "flow", conversation_id: str | None = None) -> None:
        self.stack = stack
        self.conversation_id = conversation_id or f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.last: list[dict] = []
        self.sent = 0  # customer messages; "/session_start" is Rasa's control message, not one

    def say(self, text: str) -> str:
        self.last = self.stack.say(self.conversation_id, text)
        self.sent += text != "/session_start"
        # printed for a failing test's report
        offered = [b["title"] for b in buttons(self.last)]
        print(f"[{self.conversation_id}] >> {text}\n{texts(self.last)}\n   buttons: {offered}")
        return texts(self.last)

    def tap(self, title_part: str) -> str:
        """Tap the button whose title contains `title_part`, as the widget would."""
        button = next(b for b in buttons(self.last) if title_part.lower() in b["title"].lower())
        return self.say(button["payload"])

    def reach_first_step(self, problem: str) -> str:
        """Describe a problem and take the first answer to each diagnostic question; the reply
        that holds Step 1."""
        self.say(problem)
        for _ in range(8):
            if "Step 1" in texts(self.last):
                break
            titles = [b["title"] for b in self.last[-1].get("buttons") or []]
            self.tap(titles[0]) if titles else self.say("nothing")
        reply = texts(self.last)
        assert "Step 1" in reply, reply
        return reply

    def code(self, email: str) -> str:
        body = read_outbox(self.stack.outbox, to=email)[-1].get_body().get_content()
        return re.search(r"\b(\d{6})\b", body).group(1)

    def ticket(self, reply: str) -> dict:
        ticket_id = re.search(r"NIM-\d{6}", reply).group(0)
        r = httpx.get(
            f"{self.stack.handoff_url}/api/tickets/{ticket_id}",
            headers={"Authorization": f"Bearer {self.stack.bot_token}"},
        )
        r.raise_for_status()
        return r.json()
