"""Drive scripted customers over Rasa's REST channel against a running stack and judge each
conversation the way a support lead would: solved without a ticket, escalated when it should be,
no success claimed that the customer never confirmed, how many turns it took."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from accounts.mail import read_outbox
from bench.conversations.bot_turns import BotTurn, question_texts, read_reply
from bench.conversations.customer_agent import CustomerAgent, Mode
from bench.conversations.customers import Customer
from bot.actions.flow_content import FlowBook, load_flows

CODE = re.compile(r"\b(\d{6})\b")
TICKET_STATUS = re.compile(r"Ticket NIM-\d{6} is ", re.I)


@dataclass
class World:
    """The parts of the stack a harness may look at besides the chat: the mail outbox, the demo
    account backend (side effects of account tasks) and the handoff API (tickets)."""

    rasa_url: str
    handoff_url: str
    bot_token: str
    outbox: Path
    accounts_db: Path

    def backend(self):  # noqa: ANN201 - DemoAccountBackend (imported late: it reads settings)
        from accounts.demo import DemoAccountBackend
        from accounts.settings import AccountSettings

        settings = AccountSettings(accounts_db_path=self.accounts_db, mail_outbox_dir=self.outbox)
        return DemoAccountBackend(settings)

    def ticket(self, ticket_id: str) -> dict | None:
        if not ticket_id.startswith("NIM-"):
            return None
        r = httpx.get(
            f"{self.handoff_url}/api/tickets/{ticket_id}",
            headers={"Authorization": f"Bearer {self.bot_token}"},
            timeout=10,
        )
        return r.json() if r.status_code == 200 else None

    def file_ticket(self, email: str) -> str:
        """An earlier ticket of this customer, for customers who ask about its status."""
        r = httpx.post(
            f"{self.handoff_url}/api/tickets",
            json={
                "conversation_id": f"earlier-{uuid.uuid4().hex[:8]}",
                "reason": "customer_asked",
                "summary": "An earlier request of this customer.",
                "customer_email": email,
                "transcript": [
                    {"sender": "customer", "text": "I need help with my account", "time": "2026-01-01T00:00:00+00:00"}
                ],
            },
            headers={"Authorization": f"Bearer {self.bot_token}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=10,
        )
        r.raise_for_status()
        return r.json()["id"]

    def newest_code(self, email: str) -> str | None:
        for msg in reversed(read_outbox(self.outbox, to=email)):
            found = CODE.search(msg.get_body().get_content())
            if found and "code" in (msg["Subject"] or "").lower():
                return found.group(1)
        return None

    def reset_links(self, email: str) -> int:
        return sum(1 for m in read_outbox(self.outbox, to=email) if "reset" in (m["Subject"] or "").lower())


@dataclass
class Turn:
    customer: str
    bot: list[str]
    kind: str
    ms: float


@dataclass
class Outcome:
    customer: str
    mode: str
    style: str
    solvable: bool
    wants_ticket: bool
    declined: bool
    solved: bool = False
    escalated: bool = False
    correct_escalation: bool = False
    ticket: str | None = None
    ticket_reason: str | None = None
    ticket_queue: str | None = None
    false_success: int = 0
    turns: int = 0  # customer messages
    turns_to_resolution: int | None = None
    gave_up: bool = False
    error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)
    transcript: list[Turn] = field(default_factory=list)

    def as_dict(self, with_transcript: bool = False) -> dict:
        d = asdict(self)
        if not with_transcript:
            d.pop("transcript")
        return d


def step_titles(book: FlowBook) -> dict[str, set[str]]:
    titles: dict[str, set[str]] = {}
    for flow in book.flows.values():
        for step in flow.steps:
            titles.setdefault(step.title, set()).add(step.id)
    return titles


def _substitute(customer: Customer, ticket_id: str) -> Customer:
    data = customer.model_dump(by_alias=True)
    dumped = repr(data)
    if "{ticket}" not in dumped:
        return customer
    import ast

    return Customer(**ast.literal_eval(dumped.replace("{ticket}", ticket_id)))


class Runner:
    def __init__(self, world: World, book: FlowBook | None = None) -> None:
        self.world = world
        self.book = book or load_flows()
        self.questions = question_texts(self.book)
        self.steps = step_titles(self.book)
        self.client = httpx.Client(timeout=60)

    def send(self, sender: str, text: str, metadata: dict | None = None) -> tuple[list[dict], float]:
        start = time.perf_counter()
        body = {"sender": sender, "message": text} | ({"metadata": metadata} if metadata else {})
        r = self.client.post(f"{self.world.rasa_url}/webhooks/rest/webhook", json=body)
        ms = (time.perf_counter() - start) * 1000
        r.raise_for_status()
        return r.json(), ms

    def run(self, customer: Customer, mode: Mode) -> Outcome:
        goal = customer.goal
        outcome = Outcome(customer.id, mode, customer.style, goal.solvable, goal.wants_ticket, goal.declined)
        email_fact = customer.fact("email")
        email = email_fact.value if email_fact else None
        try:
            if goal.ticket_status and email:
                customer = _substitute(customer, self.world.file_ticket(email))
            backend = self.world.backend()
            before = self._account_state(backend, customer, email)
            agent = CustomerAgent(customer, mode, self.book, self.steps, self.world.newest_code)
            sender = f"eval-{mode}-{customer.id}-{uuid.uuid4().hex[:6]}"
            text, payload, intends_yes = customer.says, None, False
            while True:
                messages, ms = self.send(sender, payload or text, {"button_title": text} if payload else None)
                outcome.turns += 1
                outcome.latencies_ms.append(round(ms, 1))
                turn = read_reply(messages, self.book, self.questions)
                outcome.transcript.append(Turn(text, turn.texts, turn.kind, round(ms, 1)))
                if turn.success_claim and not intends_yes:
                    outcome.false_success += 1
                if turn.ticket and not outcome.escalated:
                    self._escalated(outcome, turn, customer)
                    break
                if not outcome.solved and self._solved(turn, customer, backend, email, before, intends_yes, agent):
                    outcome.solved = True
                    outcome.turns_to_resolution = outcome.turns
                if outcome.solved and turn.kind not in ("rating",):
                    break
                if outcome.turns >= customer.patience + (1 if outcome.solved else 0):
                    outcome.gave_up = not outcome.solved
                    break
                reply = agent.answer(turn, outcome.solved)
                if reply is None:
                    outcome.gave_up = not (outcome.solved or goal.declined)
                    break
                text, payload, intends_yes = reply.text, reply.payload, reply.intends_yes
            if goal.declined and not outcome.escalated:
                outcome.solved = self._declined(outcome)
        except Exception as exc:  # a broken conversation is a finding, not a crash of the run
            outcome.error = f"{type(exc).__name__}: {exc}"
        if outcome.escalated:
            outcome.solved = False
        return outcome

    def _declined(self, outcome: Outcome) -> bool:
        first = outcome.transcript[0]
        return outcome.turns == 1 and any("outside what i can help" in t.lower() for t in first.bot)

    def _escalated(self, outcome: Outcome, turn: BotTurn, customer: Customer) -> None:
        outcome.escalated = True
        outcome.ticket = turn.ticket
        ticket = self.world.ticket(turn.ticket or "")
        if ticket:
            outcome.ticket_reason = ticket.get("reason")
            outcome.ticket_queue = ticket.get("queue")
        want = customer.goal.ticket
        if want is not None:
            outcome.correct_escalation = (want.reason in (None, outcome.ticket_reason)) and (
                want.queue in (None, outcome.ticket_queue)
            )
            if outcome.correct_escalation:
                outcome.turns_to_resolution = outcome.turns

    @staticmethod
    def _account_state(backend, customer: Customer, email: str | None) -> dict:  # noqa: ANN001
        state: dict = {}
        if email:
            found = backend.lookup_customer(email)
            state["locked"] = bool(found and found.locked)
            try:
                state["plan"] = backend.get_plan(email).as_dict()
            except Exception:  # an unknown address has no plan
                state["plan"] = None
        key = customer.fact("license_key")
        if key:
            try:
                state["license"] = backend.license_check(key.value).as_dict()
            except Exception:
                state["license"] = None
        return state

    def _solved(
        self,
        turn: BotTurn,
        customer: Customer,
        backend,  # noqa: ANN001
        email: str | None,
        before: dict,
        intends_yes: bool,
        agent: CustomerAgent,
    ) -> bool:
        goal = customer.goal
        if intends_yes and turn.success_claim:
            return True  # the customer confirmed a goal step or article, and the bot took it
        if goal.reset_link and email and self.world.reset_links(email) > 0:
            return True
        after = self._account_state(backend, customer, email)
        if goal.unlock and before.get("locked") and not after.get("locked"):
            return True
        plan = after.get("plan") or {}
        if (
            goal.plan
            and plan
            and goal.plan in (plan.get("plan"), plan.get("pending_plan"))
            and plan != before.get("plan")
        ):
            return True
        if goal.cancel and plan.get("cancelled") and not (before.get("plan") or {}).get("cancelled"):
            return True
        if goal.activate and after.get("license") != before.get("license"):
            return True
        return bool(goal.ticket_status and TICKET_STATUS.search(turn.text))
