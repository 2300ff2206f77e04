"""What a bot reply asks of the customer, read the way a customer reads it: from its words and
buttons (REST channel messages), never from the bot's internal state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.actions.flow_content import FlowBook

TICKET = re.compile(r"\b(NIM-\d{6})\b")
REFERENCE = re.compile(r"\breference (REF-[A-Z0-9]{6})\b")
STEP = re.compile(r"\*\*Step (\d+) of (\d+): (.+?)\*\*")
SUCCESS_CLAIM = re.compile(r"glad (that|it) (fixed|helped|worked)", re.IGNORECASE)

# (kind, pattern) in the order they are tried on the reply's last question; the first match wins.
PROMPTS: list[tuple[str, re.Pattern[str]]] = [
    ("rating", re.compile(r"rate it from 1", re.I)),
    ("code", re.compile(r"type the 6-digit code", re.I)),
    ("email", re.compile(r"(which email address|doesn't look like an email|email do you (sign in|use))", re.I)),
    ("license_key", re.compile(r"type your licen[cs]e key|doesn't look like a licen[cs]e key|type it again", re.I)),
    ("ticket_id", re.compile(r"which ticket is it", re.I)),
    ("plan_choice", re.compile(r"which plan would you like", re.I)),
    ("confirm_plan", re.compile(r"shall i (upgrade|downgrade) you", re.I)),
    ("cancel_offer", re.compile(r"cheaper plan suit you better", re.I)),
    ("confirm_release", re.compile(r"release the seat on .* shall i", re.I | re.S)),
    ("login_clarify", re.compile(r"what happens when you try to sign in", re.I)),
    ("step_outcome", re.compile(r"did (that|the step|this step) (fix|solve) it", re.I)),
    ("kb_feedback", re.compile(r"did (this|that|the article) help", re.I)),
    ("clarify", re.compile(r"did you mean one of these", re.I)),
    ("out_of_scope", re.compile(r"outside what i can help with", re.I)),
    # "Shall I pass your question to our billing team?" offers people too.
    (
        "offer_person",
        re.compile(r"(would you like|shall i (?:get|pass)|want me to get|like me to pass).{0,40}(person|team)", re.I),
    ),
]


@dataclass
class BotTurn:
    texts: list[str]
    buttons: list[dict]  # of the last message that has any
    citations: list[str] = field(default_factory=list)  # article ids cited in this reply
    ticket: str | None = None  # NIM-... or REF-... the reply names as the customer's ticket
    kind: str = "other"
    question: str | None = None  # diagnosis question name, when kind == "question"
    step: str | None = None  # title of the step shown in this reply
    success_claim: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def question_texts(book: FlowBook) -> dict[str, str]:
    """Every wording of every diagnosis question -> its name."""
    return {_norm(q.text(wording)): name for name, q in book.questions.items() for wording in ("plain", "technical")}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def read_reply(messages: list[dict], book: FlowBook, questions: dict[str, str] | None = None) -> BotTurn:
    questions = questions or question_texts(book)
    texts = [m["text"] for m in messages if m.get("text")]
    buttons = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
    turn = BotTurn(texts=texts, buttons=list(buttons))
    for m in messages:
        custom = m.get("custom") or {}
        tier0 = custom.get("tier0") or (custom.get("data") or {}).get("tier0") or {}
        if "citation" in tier0:
            turn.citations.append(tier0["citation"]["article_id"])
        if "ticket" in tier0:
            turn.ticket = tier0["ticket"]["id"]
    whole = turn.text
    if turn.ticket is None:
        found = TICKET.search(whole) or REFERENCE.search(whole)
        if found and re.search(r"(ticket number is|saved your request under)", whole, re.I):
            turn.ticket = found.group(1)
    step = STEP.search(whole)
    if step:
        turn.step = step.group(3)
    turn.success_claim = bool(SUCCESS_CLAIM.search(whole))
    # The question is what the last messages ask: look from the end.
    for text in reversed(texts):
        said = _norm(text)
        name = next((n for wording, n in questions.items() if wording in said), None)
        if name:
            turn.kind, turn.question = "question", name
            return turn
        for kind, pattern in PROMPTS:
            if pattern.search(text):
                turn.kind = kind
                return turn
    if re.search(r"anything else i can help", whole, re.I):
        turn.kind = "anything_else"
    return turn
