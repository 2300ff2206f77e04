"""The scripted customer's side of a conversation: given what the bot just asked, what this
customer taps or types. Two modes: `tap` uses a button whenever one fits (as most widget users
do), `typed` never taps and types its answers: lower case, in the customer's own words, with a
typo now and then."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from bench.conversations.bot_turns import BotTurn
from bench.conversations.customers import Customer
from bot.actions.flow_content import UNKNOWN, FlowBook

Mode = Literal["tap", "typed"]

YES_FIX = ["yes, that fixed it", "yep it works now", "that worked!", "yes it's working again"]
NO_FIX = ["no, still not working", "nope", "didn't help", "no luck, same problem"]
YES_KB = ["yes, that helped", "yes thanks", "perfect, that answers it"]
NO_KB = ["no", "not really", "that's not what i need"]
NOT_SURE = ["not sure", "no idea", "idk"]
LOGIN_CAUSE = {
    "reset_link": ("I forgot my password", "i forgot my password"),
    "unlock": ("It says my account is locked", "it says my account is locked"),
    "two_factor": ("I don't get my sign-in code", "i don't get the sign in code"),
}
SOMETHING_ELSE = "Something else"
# The label a customer recognises on a "did you mean...?" button, by flow intent.
ASK_HOWTO = "ask_howto"


@dataclass
class Reply:
    text: str
    payload: str | None = None  # a tapped button sends its payload; `text` is its title
    intends_yes: bool = False  # the customer means "yes, solved" by this


@dataclass
class CustomerAgent:
    customer: Customer
    mode: Mode
    book: FlowBook
    step_ids: dict[str, set[str]]  # step title -> ids (titles repeat across flows)
    code_for: callable  # email -> the newest mailed code
    asked: dict[str, int] = field(default_factory=dict)
    restated: int = 0
    corrected: bool = False
    moves_done: set[int] = field(default_factory=set)
    last_citation: str | None = None
    last_step: str | None = None  # the step on screen ("Did that fix it?" may be asked again without it)
    answers_given: int = 0

    # --- helpers -----------------------------------------------------------------------
    def _pick(self, options: list[str], key: str) -> str:
        n = self.asked.get(key, 0)
        self.asked[key] = n + 1
        return options[n % len(options)]

    def _typo(self, text: str, key: str) -> str:
        """One swapped pair of letters inside the longest word, in about a third of typed answers."""
        digest = int(hashlib.sha256(f"{self.customer.id}/{key}".encode()).hexdigest(), 16)
        if digest % 3:
            return text
        words = re.findall(r"[A-Za-z]{5,}", text)
        if not words:
            return text
        word = max(words, key=len)
        i = 1 + digest % (len(word) - 3)
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return text.replace(word, swapped, 1)

    def _button(self, turn: BotTurn, title: str) -> dict | None:
        want = title.strip().lower()
        return next((b for b in turn.buttons if b["title"].strip().lower() == want), None)

    def _tap_or_type(self, turn: BotTurn, title: str, typed: str, intends_yes: bool = False) -> Reply:
        button = self._button(turn, title) if self.mode == "tap" else None
        if button:
            return Reply(button["title"], button["payload"], intends_yes)
        return Reply(typed, None, intends_yes)

    def goal_flow_questions(self) -> set[str] | None:
        """Questions of the flow the goal step belongs to (None: the goal is no troubleshooting fix)."""
        if not self.customer.goal.fix:
            return None
        wanted = set(self.customer.goal.fix)
        return {q for flow in self.book.flows.values() if wanted & {s.id for s in flow.steps} for q in flow.questions}

    def goal_intent(self) -> str | None:
        goal = self.customer.goal
        if goal.fix:
            wanted = set(goal.fix)
            return next((f.intent for f in self.book.flows.values() if wanted & {s.id for s in f.steps}), None)
        if goal.article:
            return ASK_HOWTO
        if goal.reset_link:
            return "password_reset"
        if goal.unlock:
            return "account_locked"
        if goal.plan:
            return "subscription_change"
        if goal.cancel:
            return "cancel_subscription"
        if goal.activate:
            return "software_activation"
        if goal.ticket_status:
            return "ticket_status"
        if goal.ticket:
            return "request_human"
        return None

    def restate(self) -> Reply | None:
        options = self.customer.restate
        if self.restated >= len(options):
            return None
        self.restated += 1
        return Reply(options[self.restated - 1])

    def correct(self) -> Reply:
        self.corrected = True
        text = self.customer.correction or "no, that's not it. " + (
            self.customer.restate[0] if self.customer.restate else self.customer.says
        )
        return Reply(text)

    def _move(self, turn: BotTurn) -> Reply | None:
        for i, move in enumerate(self.customer.moves):
            if i in self.moves_done:
                continue
            step_ids = self.step_ids.get(self.last_step or "", set())
            hit = (
                (turn.kind == "question" and move.when == turn.question)
                or (turn.kind == "step_outcome" and (move.when == "step" or move.when in step_ids))
                or (turn.kind == "kb_feedback" and move.when == "article")
                or (turn.kind not in ("question", "other") and move.when == turn.kind)
            )
            if hit:
                self.moves_done.add(i)
                return Reply(move.say)
        return None

    # --- the decision -----------------------------------------------------------------------
    def answer(self, turn: BotTurn, solved: bool) -> Reply | None:
        """What the customer sends next, or None when they leave."""
        if turn.citations:
            self.last_citation = turn.citations[-1]
        if turn.step:
            self.last_step = turn.step
        move = self._move(turn)
        if move:
            return move
        kind = turn.kind
        goal = self.customer.goal
        if kind == "question":
            return self._diagnosis_answer(turn)
        if kind == "step_outcome":
            fixed = bool(self.step_ids.get(self.last_step or "", set()) & set(goal.fix))
            return self._yes_no(turn, fixed, YES_FIX, NO_FIX, "Yes, that fixed it", "No, still not working")
        if kind == "kb_feedback":
            helped = self.last_citation in goal.article
            return self._yes_no(turn, helped, YES_KB, NO_KB, "Yes, that helped", "No")
        if kind == "rating":
            score = "5" if solved else "2"
            return self._tap_or_type(turn, score, score)
        if kind == "email":
            fact = self.customer.fact("email")
            return Reply(self._said(fact, "email") if fact else "i don't want to give my email")
        if kind == "code":
            fact = self.customer.fact("email")
            code = self.code_for(fact.value) if fact else None
            return Reply(code or "i didn't get any code")
        if kind in ("license_key", "ticket_id"):
            fact = self.customer.fact(kind)
            return Reply(self._said(fact) if fact else "i don't have it")
        if kind == "plan_choice":
            plan = goal.plan or (self.customer.fact("plan").value if self.customer.fact("plan") else None)
            if not plan:
                return Reply("none of them")
            return self._tap_or_type(turn, plan.title(), f"{plan} please")
        if kind == "confirm_plan":
            return self._yes_no(turn, bool(goal.plan), ["yes please", "yes, do it"], ["no, leave it"], "Yes", "No")
        if kind == "cancel_offer":
            if goal.cancel:
                return self._tap_or_type(turn, "Cancel my subscription", "no thanks, just cancel it", True)
            return self._tap_or_type(turn, "Keep my plan", "keep my plan")
        if kind == "confirm_release":
            return self._yes_no(turn, goal.activate, ["yes, move it"], ["no"], "Yes", "No")
        if kind == "login_clarify":
            two_factor = any(a.startswith("two-factor") for a in goal.article) or goal.ticket is not None
            cause = "reset_link" if goal.reset_link else "unlock" if goal.unlock else None
            cause = cause or ("two_factor" if two_factor else None)
            if cause is None:
                # None of the sign-in causes is theirs: "Something else", or the problem in other words.
                other = next((b for b in turn.buttons if b["title"] == SOMETHING_ELSE), None)
                if self.mode == "tap" and other:
                    return Reply(other["title"], other["payload"])
                return self.restate() or Reply(self.customer.says)
            title, typed = LOGIN_CAUSE[cause]
            return self._tap_or_type(turn, title, typed)
        if kind == "clarify":
            intent = self.goal_intent()
            if self.mode == "tap" and intent:
                button = next((b for b in turn.buttons if b["payload"] == f"/{intent}"), None)
                if button:
                    return Reply(button["title"], button["payload"])
            return self.restate() or Reply(self.customer.says)
        if kind == "offer_person":
            if goal.ticket is not None:
                return self._tap_or_type(turn, "Talk to a person", "yes please, a person")
            return self.restate()
        if kind == "out_of_scope":
            if goal.declined:
                return None
            if goal.ticket is not None:
                return self._tap_or_type(turn, "Talk to a person", "can i talk to a person then")
            return self.restate()
        if solved:
            return None
        return self.restate()

    def _yes_no(
        self, turn: BotTurn, yes: bool, yes_words: list[str], no_words: list[str], yes_title: str, no_title: str
    ) -> Reply:
        words = (self.customer.yes or yes_words) if yes else (self.customer.no or no_words)
        typed = self._pick(words, "yes" if yes else "no")
        return self._tap_or_type(turn, yes_title if yes else no_title, typed, intends_yes=yes)

    def _said(self, fact, key: str = "") -> str:  # noqa: ANN001 - a Fact
        if fact.say:
            n = self.asked.get(f"say/{key}", 0)
            self.asked[f"say/{key}"] = n + 1
            return fact.say[min(n, len(fact.say) - 1)]
        return fact.value

    def _diagnosis_answer(self, turn: BotTurn) -> Reply:
        name = turn.question or ""
        fact = self.customer.fact(name)
        relevant = self.goal_flow_questions()
        if fact is None and not self.corrected and (relevant is None or name not in relevant):
            # The bot went the wrong way: this question has nothing to do with the customer's problem.
            return self.correct()
        question = self.book.questions[name]
        if fact is None or fact.value == UNKNOWN:
            typed = fact.say[0] if fact and fact.say else self._pick(NOT_SURE, "not-sure")
            not_sure = next((b for b in turn.buttons if re.search(r"not sure|don't know", b["title"], re.I)), None)
            if self.mode == "tap" and not_sure:
                return Reply(not_sure["title"], not_sure["payload"])
            return Reply(typed.lower())
        title = question.options[fact.value]
        title = title if isinstance(title, str) else title.title
        if self.mode == "tap":
            button = self._button(turn, title)
            if button:
                return Reply(button["title"], button["payload"])
        typed = self._said(fact, name) if fact.say else title
        self.answers_given += 1
        return Reply(self._typo(typed.lower(), name) if self.mode == "typed" else typed)
