"""Fold tracker events into conversations: one record per Rasa session of a sender (a
`session_started` event begins a new one), with what the analytics and the review inbox need.

What each fact is read from (all written by the bot, see bot/actions/):
- customer turns, intents and confidences: `user` events (their parse_data);
- resolved: the slot `resolved` set to true (the customer confirmed the problem is solved);
- handed over: the slot `handoff_ticket_id` (a NIM- ticket or a REF- outbox reference);
- CSAT: `csat_form` activated (asked) and `csat_scores` set by `action_record_csat` (answered);
- the customer: the slot `verified_email` once they proved their address;
- KB answer below the threshold: the slot `kb_miss` set by `action_answer_from_kb`;
- "did this help? no": a new "did not help" entry in the slot `kb_feedback`;
- a question put to the customer: the slot `open_question` ({"question", "times"}), set by every
  action that asks; the flow under way: `ts_flow`;
- an answer that matched none of a question's options: the slot `answer_not_understood`
  (bot/actions/asking.py); what the customer did next is read from the events after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from common.conversation import routed_again, shown_text
from common.intents import CONVERSATIONAL_INTENTS
from insights.tracker_events import TrackerEvent

# Why a customer message lands in the review inbox.
NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
LOW_CONFIDENCE = "low_confidence"
KB_BELOW_THRESHOLD = "kb_below_threshold"
KB_NOT_HELPFUL = "kb_not_helpful"
REVIEW_REASONS = {
    NLU_FALLBACK: "not understood (fallback)",
    OUT_OF_SCOPE: "out of scope",
    LOW_CONFIDENCE: "low-confidence intent",
    KB_BELOW_THRESHOLD: "no KB article above the threshold",
    KB_NOT_HELPFUL: "KB answer did not help",
}
# What a customer did after an answer of theirs was not understood.
TAPPED, REPHRASED, NOT_UNDERSTOOD_AGAIN, ASKED_FOR_PERSON, LEFT = (
    "tapped an option",
    "rephrased",
    "not understood again",
    "asked for a person",
    "left",
)
# confirm_form's yes/no questions share one count (`confirmed`); the slot `pending` says which.
_CONFIRMED = "confirmed"
# "Did that fix it?" is asked about each step (`ts_outcome:2`): one question for the review.
_PER_STEP = ":"
# A message that starts a new session is Rasa's control message, not something the customer said.
_CONTROL_INTENTS = frozenset({"session_start"})


@dataclass
class Turn:
    event_id: int
    time: dt.datetime
    sender: str  # customer | bot
    text: str
    intent: str | None = None
    confidence: float | None = None
    # The next-best intents as (name, confidence); for the conversation page.
    ranking: list[tuple[str, float]] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    # A button tap or "/intent" command rather than words the customer typed.
    tapped: bool = False
    # An answer an active form took ("windows 11" to "which OS?"): whatever intent the NLU guessed
    # for it, the bot understood it, so it is neither a fallback nor a support intent.
    form_answer: bool = False
    review: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewItem:
    """One customer message the bot did not handle well, and why."""

    text: str
    reason: str
    conversation_id: str
    event_id: int
    time: dt.datetime
    intent: str | None
    confidence: float | None
    detail: str = ""


@dataclass
class FlowMiss:
    """A customer's answer to a question that matched none of its options, and what came next."""

    question: str  # the question's name (a diagnosis question, `ts_outcome`, `kb_helped`)
    asked: str  # the question as the customer saw it
    options: dict[str, str]  # value -> button title
    flow: str  # the troubleshooting flow's intent ("" outside a flow)
    text: str
    conversation_id: str
    event_id: int
    time: dt.datetime
    next: str = LEFT  # TAPPED, REPHRASED, NOT_UNDERSTOOD_AGAIN, ASKED_FOR_PERSON or LEFT
    # The option the customer got through with right after (tapped or understood), if any.
    then_option: str | None = None
    answer_slot: str | None = None


@dataclass
class Ask:
    """One time a question was put to the customer (asked again in a row counts once)."""

    question: str
    flow: str
    not_understood: int = 0  # answers that matched no option
    answered: bool = False  # the customer said anything after it was last put
    handed_over: bool = False  # a handoff came before the next question


@dataclass
class Conversation:
    conversation_id: str
    number: int  # 1 for the sender's first session among those read, 2 for the next...
    turns: list[Turn] = field(default_factory=list)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    verified_email: str | None = None
    resolved: bool = False
    handoffs: list[str] = field(default_factory=list)  # ticket ids or REF- references
    handoff_reasons: list[str] = field(default_factory=list)  # from the tickets (insights.handoff_reasons)
    csat_asked: bool = False
    csat_scores: list[int] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    flow_misses: list[FlowMiss] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)

    @property
    def customer_key(self) -> str:
        """Who the customer is: the verified email when they proved one, else the chat's conversation id."""
        return self.verified_email or self.conversation_id

    @property
    def customer_turns(self) -> list[Turn]:
        return [t for t in self.turns if t.sender == "customer"]

    @property
    def intents(self) -> list[str]:
        """What the customer meant, message by message (answers to a form's questions left out)."""
        return [t.intent for t in self.customer_turns if t.intent and not t.form_answer]

    @property
    def support_intents(self) -> list[str]:
        """The support problems raised, each once, in the order they came up."""
        return list(dict.fromkeys(i for i in self.intents if i not in CONVERSATIONAL_INTENTS))

    @property
    def handed_over(self) -> bool:
        return bool(self.handoffs)

    @property
    def contained(self) -> bool:
        return self.resolved and not self.handed_over

    @property
    def fell_back(self) -> bool:
        return NLU_FALLBACK in self.intents

    @property
    def out_of_scope(self) -> bool:
        return OUT_OF_SCOPE in self.intents

    @property
    def flow_question_not_understood(self) -> bool:
        return bool(self.flow_misses)


def _intent(data: dict[str, Any]) -> tuple[str | None, float | None, list[tuple[str, float]]]:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in parse.get("intent_ranking") or []
        if r.get("name") and r.get("name") != intent.get("name")
    ]
    confidence = intent.get("confidence")
    return intent.get("name"), (float(confidence) if confidence is not None else None), ranking[:3]


class _Fold:
    """The state of one session while its events are read in order."""

    def __init__(self, conversation: Conversation, low_confidence: float) -> None:
        self.c = conversation
        self.low_confidence = low_confidence
        self.last_customer: Turn | None = None
        self.kb_question: Turn | None = None  # the message the latest KB answer was for
        self.last_action: str | None = None
        self.kb_feedback_seen = 0
        self.active_loop: str | None = None
        # Reasons for the latest message, held back while a form is active: if the form takes the
        # message as its answer (its action runs next, not rejected), they do not count.
        self.held: tuple[Turn, list[tuple[str, str]]] | None = None
        self.flow = ""
        self.ask: Ask | None = None  # the question open right now
        self.open_question: dict | None = None  # the slot's last value
        self.pending = ""  # what confirm_form's yes/no question is about
        self.miss: FlowMiss | None = None  # an unmatched answer whose sequel is not known yet
        self.miss_reply: Turn | None = None  # the customer's message after it

    def add(self, event: TrackerEvent) -> None:
        c, data, kind = self.c, event.data, event.type_name
        if kind == "user":
            self._user(event)
        elif kind == "bot":
            buttons = [str(b.get("title", "")) for b in (data.get("data") or {}).get("buttons") or []]
            if data.get("text") or buttons:
                c.turns.append(Turn(event.id, event.time, "bot", str(data.get("text") or ""), buttons=buttons))
                c.ended_at = event.time
        elif kind == "action":
            self.last_action = data.get("name")
            if self.held is not None:
                turn, reasons = self.held
                self.held = None
                if self.last_action == self.active_loop:
                    turn.form_answer = True
                else:
                    for reason, detail in reasons:
                        self._review(turn, reason, detail)
            if self.last_action == "action_answer_from_kb":
                self.kb_question = self.last_customer
        elif kind == "action_execution_rejected":
            self._release()
        elif kind == "active_loop":
            self.active_loop = data.get("name") or None
            if self.active_loop == "csat_form":
                c.csat_asked = True
        elif kind == "slot":
            self._slot(event, data.get("name"), data.get("value"))

    def _user(self, event: TrackerEvent) -> None:
        intent, confidence, ranking = _intent(event.data)
        if intent in _CONTROL_INTENTS:
            return
        if routed_again(event.data):
            # The bot re-reading (part of) the customer's last message after a correction: not a
            # message of theirs, but what the bot understood it as in the end.
            if self.last_customer is not None and intent:
                turn = self.last_customer
                turn.intent, turn.confidence, turn.ranking = intent, confidence, ranking
            return
        self._release()
        text, tapped = shown_text(event.data)
        turn = Turn(event.id, event.time, "customer", text, intent, confidence, ranking, tapped=tapped)
        if self.c.started_at is None:
            self.c.started_at = event.time
        # The last thing said, not the last event: the next session's start is logged before its
        # `session_started` event and would stretch this one.
        self.c.ended_at = event.time
        self.c.turns.append(turn)
        self.last_customer = turn
        if self.ask is not None:
            self.ask.answered = True
        self._after_miss(turn)
        reasons: list[tuple[str, str]] = []
        if intent == NLU_FALLBACK:
            reasons.append((NLU_FALLBACK, ""))
        elif intent == OUT_OF_SCOPE:
            reasons.append((OUT_OF_SCOPE, ""))
        elif intent and confidence is not None and confidence < self.low_confidence:
            reasons.append((LOW_CONFIDENCE, f"{intent} at {confidence:.2f}"))
        if self.active_loop:
            self.held = (turn, reasons)
        else:
            for reason, detail in reasons:
                self._review(turn, reason, detail)

    def _after_miss(self, turn: Turn) -> None:
        """The customer's next message after an unmatched answer: a tapped option, a request for
        a person, or words (a rephrasing, whose option is known when the answer slot is set)."""
        miss = self.miss
        if miss is None:
            return
        if self.miss_reply is not None:  # a second message: the first settled nothing
            self.miss = self.miss_reply = None
            return
        self.miss_reply = turn
        # Diagnosis buttons send their title as the message: a tap reads like typing it.
        if turn.text.strip() in miss.options.values():
            miss.next, miss.then_option = TAPPED, turn.text
            self.miss = self.miss_reply = None
        elif turn.intent == "request_human":
            miss.next = ASKED_FOR_PERSON
            self.miss = self.miss_reply = None
        else:
            miss.next = REPHRASED

    def _missed(self, value: Any) -> None:
        if not isinstance(value, dict) or not value.get("question") or self.last_customer is None:
            return
        if self.miss is not None and self.miss_reply is not None and self.miss.question == value["question"]:
            self.miss.next = NOT_UNDERSTOOD_AGAIN
        options = value.get("options") if isinstance(value.get("options"), dict) else {}
        miss = FlowMiss(
            str(value["question"]),
            str(value.get("asked") or value["question"]),
            {str(k): str(v) for k, v in options.items()},
            str(value.get("flow") or ""),
            str(value.get("text") or self.last_customer.text),
            self.c.conversation_id,
            self.last_customer.event_id,
            self.last_customer.time,
            answer_slot=value.get("answer_slot") or None,
        )
        self.c.flow_misses.append(miss)
        self.miss, self.miss_reply = miss, None
        if self.ask is not None:
            self.ask.not_understood += 1

    def _asked(self, value: Any) -> None:
        if not isinstance(value, dict) or not value.get("question") or value == self.open_question:
            return  # a validation sets the count again unchanged: not a new asking
        self.open_question = value
        question = str(value["question"]).split(_PER_STEP)[0]
        if question == _CONFIRMED and self.pending:
            question = self.pending  # a yes/no question of confirm_form: which one, as its misses name it
        if int(value.get("times") or 1) > 1 and self.ask is not None and self.ask.question == question:
            self.ask.answered = False  # the same question again in a row: open until replied to
            return
        self.ask = Ask(question, self.flow)
        self.c.asks.append(self.ask)

    def _release(self) -> None:
        """The form did not take the held message: its reasons count after all."""
        if self.held is not None:
            turn, reasons = self.held
            self.held = None
            for reason, detail in reasons:
                self._review(turn, reason, detail)

    def finish(self) -> Conversation:
        self._release()
        return self.c

    def _slot(self, event: TrackerEvent, name: str | None, value: Any) -> None:
        c = self.c
        if name == "resolved" and value is True:
            c.resolved = True
        elif name == "handoff_ticket_id" and value:
            c.handoffs.append(str(value))
            if self.ask is not None:
                self.ask.handed_over = True
            if self.miss is not None and self.miss.next == LEFT:
                self.miss.next = ASKED_FOR_PERSON
        elif name == "verified_email" and value:
            c.verified_email = str(value).strip().lower()
        elif name == "csat_scores" and self.last_action == "action_record_csat" and value:
            # Only the rating this action recorded: the list is carried into later sessions.
            c.csat_scores.append(int(value[-1]))
        elif name == "kb_miss" and value and self.last_customer is not None:
            detail = ""
            if isinstance(value, dict) and value.get("nearest"):
                detail = f"nearest article {value['nearest']} scored {value.get('best_score', 0):.2f}"
            self._review(self.last_customer, KB_BELOW_THRESHOLD, detail)
        elif name == "answer_not_understood" and value:
            self._missed(value)
        elif name == "open_question" and value:
            self._asked(value)
        elif name == "ts_flow":
            self.flow = str(value or "")
        elif name == "pending":
            self.pending = str(value or "")
        elif self.miss is not None and self.miss_reply is not None and name == self.miss.answer_slot and value:
            # Understood after all: the option the rephrasing meant.
            self.miss.then_option = self.miss.options.get(str(value))
            self.miss = self.miss_reply = None
        elif name == "kb_feedback" and isinstance(value, list):
            for entry in value[self.kb_feedback_seen :]:
                if isinstance(entry, dict) and entry.get("outcome") == "did not help":
                    self._review(self._problem_turn(), KB_NOT_HELPFUL, f"article {entry.get('article_id', '?')}")
            self.kb_feedback_seen = len(value)

    def _problem_turn(self) -> Turn | None:
        """The question a "no, that did not help" is about: the one the KB action answered, else
        (an article offered at the end of troubleshooting) the first problem the customer stated."""
        if self.kb_question is not None and not self.kb_question.tapped:
            return self.kb_question
        return next(
            (t for t in self.c.customer_turns if not t.tapped and t.intent and t.intent not in CONVERSATIONAL_INTENTS),
            None,
        )

    def _review(self, turn: Turn | None, reason: str, detail: str = "") -> None:
        # A button or an "/intent" command is nothing the customer worded themselves.
        if turn is None or turn.tapped or not turn.text.strip() or reason in turn.review:
            return
        turn.review.append(reason)
        self.c.review.append(
            ReviewItem(
                turn.text,
                reason,
                self.c.conversation_id,
                turn.event_id,
                turn.time,
                turn.intent,
                turn.confidence,
                detail,
            )
        )


def fold(events: Iterable[TrackerEvent], low_confidence: float) -> list[Conversation]:
    """Conversations of the events (ordered by sender, then id, as read_events returns them).
    Sessions without a single customer message are not conversations and are left out."""
    conversations: list[Conversation] = []
    for conversation_id, its_events in groupby(events, key=lambda e: e.conversation_id):
        number = 0
        state: _Fold | None = None
        for event in its_events:
            if state is None or event.type_name == "session_started":
                if state is not None and state.c.customer_turns:
                    conversations.append(state.finish())
                number += 1 if state is None or state.c.customer_turns else 0
                state = _Fold(Conversation(conversation_id, number), low_confidence)
            state.add(event)
        if state is not None and state.c.customer_turns:
            conversations.append(state.finish())
    return conversations
