"""Scripted customers: what they say first, the facts they know, their goal and their patience.

One YAML file per topic in tests/conversations/, each a list under `customers:`. The format is
documented in docs/conversations.md; `check_customers` proves every goal can be reached with the
facts given (a goal step on the path those answers choose, an article that exists).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.actions.flow_content import UNKNOWN, FlowBook
from common.conversation import ESCALATION_REASONS

CUSTOMERS_DIR = Path(__file__).resolve().parents[2] / "tests/conversations"
# Facts that are not diagnosis questions: what a customer types when the bot asks for them.
ACCOUNT_FACTS = frozenset({"email", "license_key", "ticket_id", "plan", "device_name"})
PLANS = frozenset({"free", "plus", "business"})


class CustomerFileError(ValueError):
    """A customer file is malformed; the message names the file and the customer."""


class Fact(BaseModel):
    """`is`: the option value (what a tap picks; `unknown` when the customer does not know);
    `say`: how this customer types it (one wording or several, tried in order)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    value: str = Field(alias="is")
    say: list[str] = Field(default_factory=list)

    @field_validator("say", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class Ticket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = None
    queue: str | None = None

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, v: str | None) -> str | None:
        if v is not None and v not in ESCALATION_REASONS:
            raise ValueError(f"unknown escalation reason {v!r}; one of {sorted(ESCALATION_REASONS)}")
        return v


class Goal(BaseModel):
    """What solves this customer's problem. Several keys: any one of them solves it. `ticket`:
    the customer should end up with a person (that is the correct outcome, not a failure)."""

    model_config = ConfigDict(extra="forbid")

    fix: list[str] = Field(default_factory=list)  # step ids of bot/flows/troubleshooting/*.yml
    article: list[str] = Field(default_factory=list)  # KB article ids
    reset_link: bool = False  # a password reset link mailed to the customer's email
    unlock: bool = False  # the locked account unlocked
    plan: str | None = None  # the plan changed (or scheduled to change) to this one
    cancel: bool = False  # the subscription cancelled
    activate: bool = False  # the licence key activated on this computer
    ticket_status: bool = False  # the bot told the status of the customer's ticket
    declined: bool = False  # out of scope: the bot says it cannot help, starts nothing, files nothing
    ticket: Ticket | None = None

    @field_validator("fix", "article", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _something(self) -> Goal:
        if not self.kinds():
            raise ValueError("a goal needs at least one of: " + ", ".join(Goal.model_fields))
        if self.plan is not None and self.plan not in PLANS:
            raise ValueError(f"plan must be one of {sorted(PLANS)}")
        return self

    def kinds(self) -> list[str]:
        return [name for name in Goal.model_fields if getattr(self, name) not in (None, False, [])]

    @property
    def wants_ticket(self) -> bool:
        return self.ticket is not None and len(self.kinds()) == 1

    @property
    def solvable(self) -> bool:
        """A problem the bot should solve itself (deflection counts these)."""
        return not self.wants_ticket and not self.declined


class Move(BaseModel):
    """Something the customer says once, unprompted, when the bot first shows `when`: a question
    name (`os`), `step` (any troubleshooting step), a step id, `article` (any help article), or a
    prompt kind of bot_turns.PROMPTS (`email`, `license_key`, `plan_choice`, `login_clarify`,
    `offer_person`, ...): a detour or a correction in the middle of a form or a menu."""

    model_config = ConfigDict(extra="forbid")

    when: str
    say: str


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    style: Literal["plain", "messy"] = "plain"
    says: str = Field(min_length=1)
    # Other ways to put the problem, used in turn when the bot did not understand.
    restate: list[str] = Field(default_factory=list)
    # What the customer says when the bot went the wrong way (asks about something unrelated).
    correction: str | None = None
    facts: dict[str, Fact] = Field(default_factory=dict)
    goal: Goal
    moves: list[Move] = Field(default_factory=list)
    patience: int = Field(default=12, ge=1, le=30)
    # Typed-mode wording of yes and no (`yes:` / `no:`, or `confirm:` / `deny:`); defaults are in
    # customer_agent.py.
    yes: list[str] = Field(default_factory=list, validation_alias=AliasChoices("yes", "confirm"))
    no: list[str] = Field(default_factory=list, validation_alias=AliasChoices("no", "deny"))
    source: str = ""  # file name, filled by the loader

    @field_validator("facts", mode="before")
    @classmethod
    def _short_facts(cls, v: object) -> object:
        # `os: windows` is short for `os: {is: windows}`.
        if isinstance(v, dict):
            return {k: (f if isinstance(f, dict) else {"is": str(f)}) for k, f in v.items()}
        return v

    @field_validator("restate", "yes", "no", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    def fact(self, name: str) -> Fact | None:
        return self.facts.get(name)


def load_customers(folder: Path = CUSTOMERS_DIR) -> list[Customer]:
    customers: list[Customer] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise CustomerFileError(f"{path}: not valid YAML: {exc}") from exc
        for index, raw in enumerate(data.get("customers") or []):
            name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            if isinstance(raw, dict):  # unquoted yes:/no: keys are booleans in YAML
                raw = {({True: "yes", False: "no"}.get(k, k) if isinstance(k, bool) else k): v for k, v in raw.items()}
            try:
                customer = Customer(**raw, source=path.name)
            except (ValidationError, TypeError) as exc:
                raise CustomerFileError(f"{path}: customer {name}: {exc}") from exc
            if customer.id in seen:
                raise CustomerFileError(f"{path}: customer id {customer.id} is also in {seen[customer.id]}")
            seen[customer.id] = path.name
            customers.append(customer)
    return customers


def check_customers(customers: list[Customer], book: FlowBook, article_ids: set[str]) -> list[str]:
    """Problems that would make a customer unsolvable whatever the bot does: unknown facts, options,
    steps or articles, and goal steps the customer's own answers rule out."""
    problems: list[str] = []
    steps: dict[str, list] = {}
    for flow in book.flows.values():
        for step in flow.steps:
            steps.setdefault(step.id, []).append(flow)
    for c in customers:
        where = f"{c.source}: {c.id}"
        for name, fact in c.facts.items():
            if name in ACCOUNT_FACTS:
                continue
            question = book.questions.get(name)
            if question is None:
                problems.append(
                    f"{where}: fact {name!r} is neither a diagnosis question nor one of {sorted(ACCOUNT_FACTS)}"
                )
            elif fact.value != UNKNOWN and fact.value not in question.options:
                problems.append(f"{where}: {name}: {fact.value!r} is not an option ({sorted(question.options)})")
        for article in c.goal.article:
            if article not in article_ids:
                problems.append(f"{where}: no KB article {article!r}")
        for step_id in c.goal.fix:
            flows = steps.get(step_id)
            if not flows:
                problems.append(f"{where}: no troubleshooting step {step_id!r}")
                continue
            reachable = [
                flow
                for flow in flows
                if step_id
                in [
                    s.id
                    for s in flow.path({q: f.value for q, f in c.facts.items() if q in flow.questions}, book.questions)
                ]
            ]
            if not reachable:
                names = ", ".join(f.intent for f in flows)
                problems.append(f"{where}: step {step_id!r} is not on the path these facts choose in {names}")
        needs_email = c.goal.reset_link or c.goal.unlock or c.goal.plan or c.goal.cancel or c.goal.ticket_status
        if needs_email and "email" not in c.facts:
            problems.append(f"{where}: an account goal needs the fact 'email'")
        if c.goal.activate and "license_key" not in c.facts:
            problems.append(f"{where}: goal 'activate' needs the fact 'license_key'")
    return problems
