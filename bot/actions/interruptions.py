"""While the bot waits for an answer (a diagnosis question, "did that fix it?", an email, a code),
is this message something else: a request for a person, frustration, other wording, "stop", a
correction, a new problem or a question on the side?

Short answers are answers first: one to three words are never read as frustration or a new
problem by the intent classifier alone ("only this" once scored as a complaint), only by the
explicit phrases of bot/actions/understanding/signals.py.
"""

from __future__ import annotations

from enum import Enum

from rasa_sdk import Tracker

from bot.actions.dialogue import INTERRUPTIONS, latest_intent, latest_text
from bot.actions.understanding import signals
from bot.actions.understanding.text import words
from common.intents import SUPPORT_INTENTS

SHORT_ANSWER_WORDS = 3
NEW_PROBLEM_CONFIDENCE = 0.7
COMPLAINT_CONFIDENCE = 0.6
ANGRY_CONFIDENCE = 0.9


class Interruption(Enum):
    PERSON = "person"
    FRUSTRATED = "frustrated"
    OTHER_WORDING = "other_wording"
    STOP = "stop"
    CORRECTION = "correction"
    NEW_PROBLEM = "new_problem"
    QUESTION = "question"


def confidence(tracker: Tracker) -> float:
    return float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)


def angry(tracker: Tracker) -> bool:
    """The NLU's frustration detector (bot/nlu/frustration.py) fired on the latest message."""
    return latest_intent(tracker) == "complain" and confidence(tracker) >= ANGRY_CONFIDENCE


def interruption(
    tracker: Tracker, current_intent: str | None = None, questions_are_detours: bool = False
) -> Interruption | None:
    """What the latest message is, if it is not an answer. Call it only after the answer itself
    was tried: anything that matched an option is an answer whatever this says.

    `questions_are_detours`: in the middle of troubleshooting, a question about something else
    ("how much is Plus, by the way?") is answered on the side and the flow goes on; it is no new
    problem to switch to, whatever area the NLU files it under."""
    text = latest_text(tracker)
    if text.startswith("/"):  # a button payload such as /request_human
        intent = latest_intent(tracker)
        return {"request_human": Interruption.PERSON, "explain_simpler": Interruption.OTHER_WORDING}.get(intent or "")
    intent = latest_intent(tracker)
    n = len(words(text))
    if signals.is_stop(text):
        return Interruption.STOP
    if signals.asks_for_person(text) and (intent == "request_human" or n <= SHORT_ANSWER_WORDS + 1):
        return Interruption.PERSON
    if signals.is_correction(text):
        return Interruption.CORRECTION
    if intent == "explain_simpler" and signals.asks_other_wording(text):
        return Interruption.OTHER_WORDING
    if n <= SHORT_ANSWER_WORDS:
        return None
    if questions_are_detours and signals.wants_information(text):
        return Interruption.QUESTION
    sure = confidence(tracker)
    if intent in SUPPORT_INTENTS and intent not in ("ask_howto", current_intent) and sure >= NEW_PROBLEM_CONFIDENCE:
        return Interruption.NEW_PROBLEM
    if signals.is_question(text) or intent == "ask_howto":
        return Interruption.QUESTION
    if intent == "complain" and sure >= COMPLAINT_CONFIDENCE:
        return Interruption.FRUSTRATED
    return None


def for_the_rules(tracker: Tracker) -> bool:
    """Whether a form should leave the latest message to the rules instead of reading it as a
    (wrong) answer: a request for a person, anger, or a real request for other words. The NLU's
    "explain simpler" alone is not one: a rule would reword the question without counting it, and
    an answer it misreads that way would bring the same question back for ever."""
    intent = latest_intent(tracker)
    if intent == "explain_simpler":
        text = latest_text(tracker)
        return text.startswith("/") or signals.asks_other_wording(text)
    return intent in INTERRUPTIONS
