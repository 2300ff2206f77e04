"""Right after the bot did something, the customer says it has not worked.

The same account task asked for again right after the bot did it ("it still says my password is
wrong" at the rating question): for the customer it has not worked yet. Doing it twice would not
help (a second reset link voids the first, a second unlock changes nothing) and would ask for a
rating again, so the bot says what to check next and offers the task once more or a person.

An article the customer has just said helped, and then did not after all ("actually it didn't
help"), is answered as a "no" to it (`answer_retracted`): the flow or task it was about, the next
article or a person, never the nearest article to the retraction's own words.

A troubleshooting fix that does not hold ("it just dropped again" at the rating question) takes the
flow up again at the step after the one that seemed to fix it (`troubleshooting.problem_back`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import TALK_TO_PERSON, latest_text, leave_csat_question
from bot.actions.understanding.yes_no import problem_persists

# Customer messages after the task within which a request for it means "it didn't work": the
# answer to the rating question, and one more.
RECENT_MESSAGES = 2
# Tasks that were about signing in: "I still can't sign in" right after one is about that task.
SIGN_IN_TASKS = frozenset({"reset_password", "unlock"})
# The action that finishes a task (account_tasks.py, or a confirmed change via confirmation.py).
FINISHING_ACTIONS = frozenset({"action_run_account_task", "action_confirmed"})
# ...the one that takes "did this help?"'s answer (kb_feedback.py)...
KB_FEEDBACK_ACTION = "action_kb_feedback"
# ...and the one that ends a troubleshooting flow at the step that fixed it (troubleshooting.py).
STEP_OUTCOME_ACTION = "action_step_outcome"


@dataclass(frozen=True)
class NextCheck:
    """What to check when a task the bot did seems not to have worked (from the task's help
    article), and the button that does the task once more."""

    text: str
    again: dict[str, str] | None


NEXT_CHECK = {
    "reset_password": NextCheck(
        "I emailed you a password reset link a moment ago. Your old password keeps failing until you "
        "choose a new one with that link: open the email from Nimbus, click the link within the hour, set a "
        "new password, then sign in with the new one. No email after a few minutes? Check your spam folder.",
        {"title": "Send the link again", "payload": "/password_reset"},
    ),
    "unlock": NextCheck(
        "I unlocked your account a moment ago. If signing in still fails, the password itself may be out of "
        "date (an old phone or tablet can keep trying a saved one and lock the account again): a reset link "
        "lets you choose a new one.",
        {"title": "Send me a reset link", "payload": "/password_reset"},
    ),
    "change_plan": NextCheck(
        "I changed your plan a moment ago. If a device still shows the old plan, sign out of Nimbus on that "
        "device and sign back in. An upgrade applies at once; a downgrade starts on your next billing date.",
        None,
    ),
    "cancel": NextCheck(
        "I cancelled your subscription a moment ago: it stays active until the end of the period you paid "
        "for, and we emailed you a confirmation. No email after a few minutes? Check your spam folder.",
        None,
    ),
}


def _resolved_just_now(tracker: Tracker) -> tuple[list[dict], int] | None:
    """The tracker's events and the index of its `resolved: true`, when the bot resolved something
    within the customer's last RECENT_MESSAGES messages and nothing was left open since."""
    events = list(tracker.events)
    messages = 0
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event.get("event") == "user":
            messages += 1
            if messages > RECENT_MESSAGES:
                return None
        elif event.get("event") == "slot" and event.get("name") == "resolved" and event.get("value") is not None:
            return (events, i) if event.get("value") is True else None
    return None


def done_just_now(tracker: Tracker) -> str | None:
    """The account task the bot finished within the customer's last RECENT_MESSAGES messages, or None."""
    found = _resolved_just_now(tracker)
    if found is None or _finished_by(*found) not in FINISHING_ACTIONS:
        return None
    return _last_set(*found, "account_task")


def fixed_just_now(tracker: Tracker) -> tuple[str, int] | None:
    """(flow, step index) of the troubleshooting step the customer confirmed as the fix within
    their last RECENT_MESSAGES messages, or None."""
    found = _resolved_just_now(tracker)
    if found is None or _finished_by(*found) != STEP_OUTCOME_ACTION:
        return None
    flow, step = _last_set(*found, "ts_flow"), _last_set(*found, "ts_step")
    return (flow, int(step or 0)) if flow else None


def answer_retracted(tracker: Tracker) -> list[dict[str, Any]] | None:
    """ "It didn't help after all" within RECENT_MESSAGES messages of a "yes" to an article: the
    events that take that yes back and let `action_kb_feedback` do what a "no" does. None when the
    message says no such thing ("no thanks" only declines the rating)."""
    if not problem_persists(latest_text(tracker)):
        return None
    found = _resolved_just_now(tracker)
    feedback = list(tracker.get_slot("kb_feedback") or [])
    if found is None or _finished_by(*found) != KB_FEEDBACK_ACTION or not feedback:
        return None
    helped = feedback[-1]
    if helped.get("outcome") != "helped" or not helped.get("article_id"):
        return None
    return [
        *leave_csat_question(tracker),
        SlotSet("kb_feedback", feedback[:-1]),
        SlotSet("kb_current", {"article_id": helped["article_id"], "title": helped.get("title", "")}),
        SlotSet("kb_helped", "no"),
        SlotSet("resolved", False),
        FollowupAction(KB_FEEDBACK_ACTION),
    ]


def _finished_by(events: list[dict], index: int) -> str | None:
    return next(
        (e.get("name") for e in reversed(events[:index]) if e.get("event") == "action"),
        None,
    )


def _last_set(events: list[dict], index: int, slot: str) -> Any:
    """The slot's value when events[index] happened: the last one set (a task or a flow ends by
    clearing it in the same turn, a confirmed change a turn or two after it was set)."""
    return next(
        (
            e["value"]
            for e in reversed(events[:index])
            if e.get("event") == "slot" and e.get("name") == slot and e.get("value") is not None
        ),
        None,
    )


def not_worked_yet(
    dispatcher: CollectingDispatcher, tracker: Tracker, tasks: Collection[str]
) -> list[dict[str, Any]] | None:
    """One of `tasks` was asked about right after the bot did it: say what to check instead of
    doing it again (None when that is not the case, and the task goes ahead)."""
    task = done_just_now(tracker)
    check = NEXT_CHECK.get(task) if task in tasks else None
    if check is None:
        return None
    buttons = [check.again, TALK_TO_PERSON] if check.again else [TALK_TO_PERSON]
    dispatcher.utter_message(text=check.text, buttons=buttons)
    # resolved=False: a second request (the button) does the task, and no rating is asked now.
    return [*leave_csat_question(tracker), SlotSet("resolved", False)]
