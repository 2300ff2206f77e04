"""Troubleshooting flows as data: the diagnosis question bank and one file per flow in bot/flows/.

Content writers edit the YAML; this module loads and validates it (a bad file fails with its name
and the reason) and answers the two questions the dialogue asks: which question next, which step next.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

FLOWS_DIR = Path(__file__).resolve().parents[1] / "flows"
Wording = Literal["plain", "technical"]
# Answers that mean "I don't know": they never satisfy a step's `when`.
UNKNOWN = "unknown"


class FlowError(ValueError):
    """A flow file is malformed; the message names the file."""


class Question(BaseModel):
    plain: str = Field(min_length=1)
    technical: str = Field(min_length=1)
    options: dict[str, str] = Field(default_factory=dict)  # value -> button title
    free_text: bool = False

    def text(self, wording: Wording) -> str:
        return getattr(self, wording)

    def match(self, answer: str) -> str | None:
        """The option value a typed or tapped answer means, or None."""
        said = _normalise(answer)
        if not said:
            return None
        for value, title in self.options.items():
            if said in (_normalise(value), _normalise(title)):
                return value
        if self.free_text:
            return None  # "the error says 0x80072EE7" is an answer in its own words, not "No error"
        # Typed answers: the option whose key words the sentence uses most ("all of them, every device").
        scores = {
            value: sum(
                1
                for word in {_normalise(value).replace("_", " "), *_keywords(title)}
                if word and re.search(rf"\b{re.escape(word)}\b", said)
            )
            for value, title in self.options.items()
        }
        best = max(scores.values(), default=0)
        winners = [value for value, score in scores.items() if score == best]
        return winners[0] if best and len(winners) == 1 else None


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


class FlowBook(BaseModel):
    questions: dict[str, Question]
    flows: dict[str, Flow]


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9_ ]+", " ", text.lower()).strip()


def _keywords(title: str) -> set[str]:
    # "Only this device" -> {"only", "this", "device"} minus filler that would match anything.
    return {w for w in _normalise(title).split() if len(w) > 3 and w not in {"this", "that", "with", "only"}}


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
        unknown = [q for q in flow.questions if q not in questions]
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
    return FlowBook(questions=questions, flows=flows)


@lru_cache(maxsize=1)
def flow_book() -> FlowBook:
    return load_flows()
