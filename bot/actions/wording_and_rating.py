"""How the bot talks rather than what it solves: wording level, "did you mean…?" on low confidence,
and the 1-5 rating at the end of a solved problem."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.detours import route_by_problem_sentence
from bot.actions.dialogue import TALK_TO_PERSON, latest_intent, latest_text, leave_csat_question
from bot.actions.done_already import answer_retracted
from bot.actions.handoff import hand_over
from bot.actions.troubleshooting import problem_back
from bot.actions.understanding.signals import asks_to_talk_to_someone

# What each intent means, as a button a customer recognises.
INTENT_LABELS = {
    "password_reset": "Reset my password",
    "account_locked": "My account is locked",
    "two_factor_problem": "Problem with sign-in codes (2FA)",
    "login_trouble": "I can't sign in",
    "wifi_dropout": "Wi-Fi keeps dropping",
    "no_internet": "No internet at all",
    "vpn_issue": "VPN won't connect",
    "app_crash": "The app crashes or freezes",
    "install_update": "Installing or updating the app",
    "software_activation": "Activating a license key",
    "subscription_change": "Changing my plan",
    "cancel_subscription": "Cancelling my subscription",
    "billing_question": "A question about a bill",
    "printer_issue": "Printer problem",
    "browser_issue": "Browser problem",
    "email_sync": "Mail or calendar not syncing",
    "slow_device": "My device is slow",
    "ticket_status": "Status of my ticket",
    "ask_howto": "How do I…? (help articles)",
    "request_human": "Talk to a person",
}
# The way back from "explain simpler", one tap away.
MORE_TECHNICAL = {"title": "Give me the technical version", "payload": '/explain_simpler{"detail_level": "technical"}'}
RATING = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|stars?|out of 5))?\s*[.!]*\s*$", re.IGNORECASE)
RATING_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}


class ActionSetDetailLevel(Action):
    """ "Explain simpler" (or "more technical, please"): the choice sticks; the open step is re-said."""

    def name(self) -> str:
        return "action_set_detail_level"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        entity = next(
            (
                e.get("value")
                for e in (tracker.latest_message or {}).get("entities") or []
                if e.get("entity") == "detail_level"
            ),
            None,
        )
        level = "technical" if str(entity).lower() in ("technical", "more detail", "detailed") else "plain"
        events = [SlotSet("detail_level", level)]
        if (tracker.active_loop or {}).get("name") == "step_form":
            # The form shows the open step again, now in the new wording.
            dispatcher.utter_message(
                text="Sure, here it is in simpler words." if level == "plain" else "Sure, here are the details.",
                buttons=[MORE_TECHNICAL] if level == "plain" else [],
            )
            return events
        if tracker.active_loop.get("name"):
            return events  # the form repeats its question in the new wording
        dispatcher.utter_message(
            text="Sure, I'll keep things simple from now on, one small step at a time. Just tell me what isn't working."
            if level == "plain"
            else "Sure, I'll give you the technical details from now on. What's the problem?",
            buttons=[
                {"title": "Give me the technical version", "payload": '/explain_simpler{"detail_level": "technical"}'}
            ]
            if level == "plain"
            else [],
        )
        return events


class ActionClarify(Action):
    """Not sure what the customer means: offer the two likeliest meanings; a second miss in a row
    goes to a person."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        user_turns = [e for e in tracker.events if e.get("event") == "user"]
        previous = (
            (user_turns[-2].get("parse_data") or {}).get("intent", {}).get("name") if len(user_turns) > 1 else None
        )
        leave = leave_csat_question(tracker)
        if asks_to_talk_to_someone(latest_text(tracker)):
            # Unclear what it is about, but clear whom the customer wants: a person.
            dispatcher.utter_message(text="Of course, I'll pass this to a person.")
            return [*leave, *await hand_over(dispatcher, tracker, reason="customer_asked")]
        back = await problem_back(dispatcher, tracker) or answer_retracted(tracker)
        if back is not None:
            return back  # "hmm, it just dropped again" right after a step or an article fixed it
        instead = await route_by_problem_sentence(tracker)
        if instead:
            return [*leave, *instead]  # unclear as a whole, but one sentence names the problem
        if previous == "nlu_fallback":
            dispatcher.utter_message(text="Sorry, I'm still not sure I understand. Let me get a person to help you.")
            return [*leave, *await hand_over(dispatcher, tracker, reason="low_confidence")]
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in INTENT_LABELS][:2]
        buttons = [{"title": INTENT_LABELS[name], "payload": f"/{name}"} for name in likely]
        if TALK_TO_PERSON not in buttons:
            buttons.append(TALK_TO_PERSON)
        dispatcher.utter_message(
            text="Sorry, I'm not sure I understood. Did you mean one of these? Or say it in other words.",
            buttons=buttons,
        )
        return leave


def parse_rating(text: str) -> str | None:
    said = text.strip().lower()
    found = RATING.match(RATING_WORDS.get(said, said))
    return found.group(1) if found else None


class ValidateCsatForm(FormValidationAction):
    def name(self) -> str:
        return "validate_csat_form"

    async def extract_csat(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict:
        if tracker.get_slot("requested_slot") != "csat":
            return {}
        rating = parse_rating(latest_text(tracker))
        # Anything else is not a rating: the form steps aside and the rules handle the message.
        return {"csat": rating} if rating else {}

    def validate_csat(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        return {"csat": value if value in {"1", "2", "3", "4", "5"} else None}


class ActionRecordCsat(Action):
    def name(self) -> str:
        return "action_record_csat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rating = tracker.get_slot("csat")
        if rating in ("1", "2"):
            dispatcher.utter_message(
                text="Thanks for telling me, and sorry it wasn't better. If you'd like, a person can follow up.",
                buttons=[TALK_TO_PERSON],
            )
        else:
            dispatcher.utter_message(text="Thanks for your feedback! Anything else I can help with?")
        # The rating stays in the tracker (csat_scores keeps every one of this conversation).
        scores = [*(tracker.get_slot("csat_scores") or []), int(rating)] if rating else tracker.get_slot("csat_scores")
        return [SlotSet("csat_scores", scores), SlotSet("csat", None), SlotSet("resolved", None)]


class ActionSkipRating(Action):
    """ "Thanks, bye" instead of a rating: no rating, no nagging."""

    def name(self) -> str:
        return "action_skip_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        back = await problem_back(dispatcher, tracker) or answer_retracted(tracker)
        if back is not None:
            return back  # "no, it crashed again" instead of a rating: the fix did not hold
        intent = latest_intent(tracker)
        if intent == "goodbye":
            dispatcher.utter_message(response="utter_goodbye")
        elif intent == "thank":
            dispatcher.utter_message(response="utter_you_are_welcome")
        else:
            dispatcher.utter_message(text="No problem. Anything else I can help with?")
        return [SlotSet("csat", None), SlotSet("resolved", None)]


# Carried into a new session (after an hour of silence): how the customer likes to be spoken to and
# what they told us about their setup. Not carried: proof of identity, half-finished flows.
CARRIED_SLOTS = frozenset({"detail_level", "device", "os", "app_platform", "browser", "email", "csat_scores"})


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        carried = [
            SlotSet(name, value)
            for name, value in tracker.current_slot_values().items()
            if name in CARRIED_SLOTS and value is not None
        ]
        return [SessionStarted(), *carried, ActionExecuted("action_listen")]
