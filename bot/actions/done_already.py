"""The same account task asked for again right after the bot did it ("it still says my password is
wrong" at the rating question): for the customer it has not worked yet. Doing it twice would not
help (a second reset link voids the first, a second unlock changes nothing) and would ask for a
rating again, so the bot says what to check next and offers the task once more or a person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import TALK_TO_PERSON, leave_csat_question

# Customer messages after the task within which a request for it means "it didn't work": the
# answer to the rating question, and one more.
RECENT_MESSAGES = 2
# Tasks that were about signing in: "I still can't sign in" right after one is about that task.
SIGN_IN_TASKS = frozenset({"reset_password", "unlock"})
# The action that finishes a task (account_tasks.py, or a confirmed change via confirmation.py).
FINISHING_ACTIONS = frozenset({"action_run_account_task", "action_confirmed"})


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


def done_just_now(tracker: Tracker) -> str | None:
    """The account task the bot finished (resolved) within the customer's last RECENT_MESSAGES
    messages, or None."""
    events = list(tracker.events)
    messages = 0
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event.get("event") == "user":
            messages += 1
            if messages > RECENT_MESSAGES:
                return None
        elif event.get("event") == "slot" and event.get("name") == "resolved" and event.get("value") is not None:
            if event.get("value") is not True or _finished_by(events, i) not in FINISHING_ACTIONS:
                return None
            return _task_at(events, i)
    return None


def _finished_by(events: list[dict], index: int) -> str | None:
    return next(
        (e.get("name") for e in reversed(events[:index]) if e.get("event") == "action"),
        None,
    )


def _task_at(events: list[dict], index: int) -> str | None:
    """The account task in hand when events[index] happened: the last one set (task_ended clears
    it in the same turn, a confirmed change a turn or two after it was set)."""
    return next(
        (
            e["value"]
            for e in reversed(events[:index])
            if e.get("event") == "slot" and e.get("name") == "account_task" and e.get("value")
        ),
        None,
    )


def not_worked_yet(dispatcher: CollectingDispatcher, tracker: Tracker, task: str) -> list[dict[str, Any]] | None:
    """The task was asked for right after the bot did it: say what to check instead of doing it
    again (None when that is not the case, and the task goes ahead)."""
    check = NEXT_CHECK.get(task)
    if check is None or done_just_now(tracker) != task:
        return None
    buttons = [check.again, TALK_TO_PERSON] if check.again else [TALK_TO_PERSON]
    dispatcher.utter_message(text=check.text, buttons=buttons)
    # resolved=False: a second request (the button) does the task, and no rating is asked now.
    return [*leave_csat_question(tracker), SlotSet("resolved", False)]
