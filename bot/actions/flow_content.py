"""Troubleshooting flows as data: the diagnosis question bank and one file per flow in bot/flows/.

Content writers edit the YAML; this module loads and validates it (a bad file fails with its name
and the reason) and answers the two questions the dialogue asks: which question next, which step next.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)
FLOWS_DIR = Path(__file__).resolve().parents[1] / "flows"
Wording = Literal["plain", "technical"]
# Answers that mean "I don't know": they never satisfy a step's `when`.
UNKNOWN = "unknown"


class FlowError(ValueError):
    """A flow file is malformed; the message names the file."""


class Option(BaseModel):
    title: str = Field(min_length=1)  # the button
    say: list[str] = Field(default_factory=list)  # how customers type it (bot/actions/understanding)


class Question(BaseModel):
    plain: str = Field(min_length=1)
    technical: str = Field(min_length=1)
    options: dict[str, Option] = Field(default_factory=dict)
    free_text: bool = False
    # Answers only understood while this question is asked: its "yes" and "no" mean nothing elsewhere.
    asked_only: bool = False

    @field_validator("options", mode="before")
    @classmethod
    def _short_options(cls, v: object) -> object:
        # `windows: "Windows"` is short for `windows: {title: "Windows"}`.
        if isinstance(v, dict):
            return {k: ({"title": o} if isinstance(o, str) else o) for k, o in v.items()}
        return v

    def text(self, wording: Wording) -> str:
        return getattr(self, wording)

    def titles(self) -> list[str]:
        return [o.title for o in self.options.values()]

    def phrases(self, value: str) -> list[str]:
        """Every way an option is said as a whole answer: its value, its title, its `say` phrases."""
        option = self.options[value]
        return [value.replace("_", " "), option.title, *option.say]


class Step(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    when: dict[str, list[str]] = Field(default_factory=dict)
    plain: str = Field(min_length=1)
    technical: str = Field(min_length=1)

    def applies(self, answers: dict[str, str]) -> bool:
        """A condition on a question the customer could not answer (or answered in their own words)
        does not rule the step out: better one step too many than a path that skips the cause."""
        return all(question not in answers or answers[question] in values for question, values in self.when.items())

    def text(self, wording: Wording) -> str:
        return getattr(self, wording).strip()


class Flow(BaseModel):
    intent: str
    title: str
    kb_article: str
    questions: list[str]
    steps: list[Step] = Field(min_length=1)
    # Questions asked even when no step depends on them (what the agent needs on a ticket).
    always_ask: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_steps(self) -> Flow:
        ids = [s.id for s in self.steps]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate step ids in {ids}")
        return self

    def path(self, answers: dict[str, str], questions: dict[str, Question]) -> list[Step]:
        """The steps that apply to these diagnosis answers, in order. Only answers that are options
        take part: "unknown" and answers in the customer's own words rule nothing out."""
        chosen = {q: a for q, a in answers.items() if q in questions and a in questions[q].options}
        return [s for s in self.steps if s.applies(chosen)]

    def worth_asking(self, name: str, answers: dict[str, str], questions: dict[str, Question]) -> bool:
        """Whether the answer to `name` can still change the steps: some two answers (or not
        knowing) lead to different paths. Questions no step depends on are not asked at all."""
        if name in self.always_ask:
            return True
        if name not in {q for s in self.steps for q in s.when}:
            return False
        paths = {
            tuple(s.id for s in self.path({**answers, name: value}, questions))
            for value in [UNKNOWN, *questions[name].options]
        }
        return len(paths) > 1

    def questions_to_ask(self, answers: dict[str, str], questions: dict[str, Question]) -> list[str]:
        return [q for q in self.questions if q not in answers and self.worth_asking(q, answers, questions)]


class DeviceName(BaseModel):
    """A device name customers use ("Galaxy S21") and the answers it gives (bot/flows/devices.yml)."""

    pattern: str
    device: str
    os: str | None = None


class FlowBook(BaseModel):
    questions: dict[str, Question]
    flows: dict[str, Flow]
    devices: list[DeviceName] = Field(default_factory=list)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FlowError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FlowError(f"{path}: expected a mapping at the top level")
    return data


def load_flows(folder: Path = FLOWS_DIR) -> FlowBook:
    bank_file = folder / "questions.yml"
    try:
        questions = {k: Question(**v) for k, v in (_read(bank_file).get("questions") or {}).items()}
    except ValidationError as exc:
        raise FlowError(f"{bank_file}: {exc}") from exc
    flows: dict[str, Flow] = {}
    for path in sorted((folder / "troubleshooting").glob("*.yml")):
        try:
            flow = Flow(**_read(path))
        except ValidationError as exc:
            raise FlowError(f"{path}: {exc}") from exc
        unknown = [q for q in [*flow.questions, *flow.always_ask] if q not in questions]
        if unknown:
            raise FlowError(f"{path}: questions not in {bank_file.name}: {unknown}")
        for step in flow.steps:
            for question, values in step.when.items():
                if question not in flow.questions:
                    raise FlowError(f"{path}: step {step.id} depends on '{question}', which the flow never asks")
                bad = set(values) - set(questions[question].options)
                if bad:
                    raise FlowError(f"{path}: step {step.id}: {sorted(bad)} are not options of '{question}'")
        if flow.intent in flows:
            raise FlowError(f"{path}: a second flow for intent {flow.intent}")
        flows[flow.intent] = flow
    devices_file = folder / "devices.yml"
    try:
        devices = [DeviceName(**d) for d in (_read(devices_file).get("devices") or [])] if devices_file.exists() else []
    except ValidationError as exc:
        raise FlowError(f"{devices_file}: {exc}") from exc
    for d in devices:
        if d.device not in questions["device"].options or (d.os and d.os not in questions["os"].options):
            raise FlowError(f"{devices_file}: {d.pattern!r}: {d.device}/{d.os} are not options of device/os")
    for name, question in questions.items():
        claimed: dict[str, str] = {}
        for value in question.options:
            for phrase in set(question.phrases(value)):
                key = " ".join(phrase.lower().split())
                if claimed.get(key, value) != value:
                    raise FlowError(f"{bank_file}: {name}: {phrase!r} is said for both {claimed[key]} and {value}")
                claimed[key] = value
    return FlowBook(questions=questions, flows=flows, devices=devices)


def flows_dir() -> Path:
    """The flows the bot runs: bot/flows/, or BOT_FLOWS_DIR (a copy, e.g. for a test stack)."""
    folder = Path(os.environ.get("BOT_FLOWS_DIR") or FLOWS_DIR)
    return folder if folder.is_absolute() else FLOWS_DIR.parents[1] / folder  # from the project folder


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.rglob("*.yml")))


class _Book:
    """The loaded flows, read again when a file changed (at most once a second), so a variant a
    content writer added (the review inbox, `make reload`) is understood without a restart. A file
    broken by an edit keeps the last good book running and is logged; `make validate` names it."""

    def __init__(self) -> None:
        self.book: FlowBook | None = None
        self.stamp: tuple | None = None
        self.checked = 0.0
        self.lock = threading.Lock()

    def get(self) -> FlowBook:
        now = time.monotonic()
        if self.book is not None and now - self.checked < RECHECK_SECONDS:
            return self.book
        with self.lock:
            folder = flows_dir()
            stamp = _stamp(folder)
            self.checked = now
            if self.book is None or stamp != self.stamp:
                try:
                    self.book = load_flows(folder)
                except FlowError:
                    if self.book is None:
                        raise
                    log.exception("flows changed but do not load; still running the previous ones")
                self.stamp = stamp
            return self.book


RECHECK_SECONDS = 1.0
_book = _Book()


def flow_book() -> FlowBook:
    return _book.get()
