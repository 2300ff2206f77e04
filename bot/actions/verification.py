"""Who is this? The account is identified by email and proven with a 6-digit one-time code sent to
the address on file (verify_form). Account actions run only after that (bot/actions/account_tasks.py).

The bot never asks for a password. Codes are checked by the account backend, which expires them
after 10 minutes and burns them after 3 wrong tries; then a person takes over.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from accounts import async_backend
from bot.actions.asking import MAX_ASKS, confirm, times_asked, unchanged
from bot.actions.detours import answer_on_the_side, change_of_course, denied_and_said_instead
from bot.actions.dialogue import PERSON_OR_NOT, latest_intent, latest_text, leave_csat_question
from bot.actions.done_already import not_worked_yet
from bot.actions.empathy import acknowledge_frustration
from bot.actions.interruptions import Interruption, for_the_rules, interruption
from bot.actions.limits import code_refusal, wrong_code, wrong_codes_left
from bot.actions.triage import kb_first
from bot.actions.understanding import signals

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CODE = re.compile(r"(?<!\d)(\d{3})\s?(\d{3})(?!\d)")
# A ticket number, or the reference of an escalation still waiting in the outbox (handoff_outbox.py).
TICKET = re.compile(r"\b(?:NIM[-\s]?(\d{6})|(REF-[A-HJ-NP-Z2-9]{6}))\b", re.IGNORECASE)


def ticket_reference(text: str) -> str | None:
    """ "nim 123456" -> "NIM-123456"; "ref-7k2m9q" -> "REF-7K2M9Q"; None when there is none."""
    found = TICKET.search(text or "")
    if not found:
        return None
    return f"NIM-{found.group(1)}" if found.group(1) else found.group(2).upper()


RESEND = "Send a new code"
# Asked for the code, "send a new code", "resend it", "I never got the code" all mean: send another.
# Read before anything else (the NLU hears a 2FA problem in them), so that the task in hand goes on.
NEW_CODE = re.compile(
    r"\b(?:re-?send|send (?:it|me (?:a|another|one|it)|(?:a |one )?(?:new|another|fresh)(?: one| code)?) ?(?:again)?"
    r"|(?:new|another|fresh|different) (?:code|one)"
    r"|(?:did ?n[o']?t|didnt|never|have ?n[o']?t|havent|not) (?:get|got|gotten|receive|received|see|seen)"
    r"(?: (?:it|a|the|any|my|your))? ?(?:code|email|mail|message)?"
    r"|code (?:never|hasn'?t|has not|did ?n[o']?t|didnt) (?:come|came|arrive|arrived)"
    r"|no code (?:came|arrived|yet))\b",
    re.IGNORECASE,
)


def asks_for_a_new_code(text: str) -> bool:
    said = " ".join(text.lower().replace("’", "'").split())
    return said == RESEND.lower() or bool(NEW_CODE.search(said))


# Markers the extractors put in a slot so that its validator can answer; never a real value.
NOT_AN_EMAIL, NOT_A_CODE, NOT_A_TICKET = "[not an email]", "[not a code]", "[not a ticket id]"
VERIFIED, FAILED = "[verified]", "[failed]"
# The code step ended without a verification for a reason a person must know (for the ticket).
LIMITED, LOCKED = "[too many codes]", "[locked: too many wrong codes]"
ENDED = (FAILED, LIMITED, LOCKED)
ASKED_HERE = ("email", "otp_code", "ticket_id")
NON_ANSWERS = (NOT_AN_EMAIL, NOT_A_CODE, NOT_A_TICKET)
WHY_ASKED = re.compile(r"\b(why|what for|what do you need)\b.*\b(email|address|code|it)\b", re.IGNORECASE)

TASK_BY_INTENT = {
    "password_reset": "reset_password",
    "account_locked": "unlock",
    "two_factor_problem": "two_factor",
    "subscription_change": "change_plan",
    "cancel_subscription": "cancel",
    "ticket_status": "ticket_status",
}
INTENT_BY_TASK = {task: intent for intent, task in TASK_BY_INTENT.items()} | {"release_seat": "software_activation"}
WHY_VERIFY = {
    "reset_password": "I can email you a password reset link.",
    "unlock": "I can unlock your account.",
    "two_factor": "I can start a two-step verification reset for you.",
    "change_plan": "I can change your plan.",
    "cancel": "I can help with cancelling.",
    "ticket_status": "I can look up your ticket.",
    "release_seat": "I can move your license to this computer.",
}


def is_verified(tracker: Tracker) -> bool:
    email = tracker.get_slot("email")
    return bool(email) and tracker.get_slot("verified_email") == email.lower()


async def verified_here(tracker: Tracker) -> bool:
    """Verified in this conversation by a correct code, as the account backend recorded it: the
    slots alone could be forged by a caller of the action server."""
    if not is_verified(tracker):
        return False
    return await async_backend().has_grant(tracker.sender_id, tracker.get_slot("verified_email"))


# What the customer is told when no code goes out, by the limit that stopped it (limits.py).
NO_CODE_BECAUSE = {
    "email": "Several codes were sent to that email address in the last hour, so for its security I won't send "
    "another now.",
    "conversation": "I've sent several codes in this chat in the last hour, so for your security I won't send "
    "another now.",
    "client": "Many codes were asked for from your network in the last hour, so for security I won't send another now.",
    "unavailable": "I can't send a code right now: the part of our service that counts them is unavailable.",
}


async def send_code_within_limits(dispatcher: CollectingDispatcher, tracker: Tracker, email: str) -> bool:
    """Mail a code unless this email, conversation or client asked for too many; False then (and
    the customer is told a person will continue)."""
    refused = code_refusal(tracker, email)
    if refused:
        dispatcher.utter_message(text=f"{NO_CODE_BECAUSE[refused]} A person will help you from here.")
        return False
    await async_backend().send_code(email)
    return True


class ActionBeginAccountTask(Action):
    """Remember what the customer wants done; verify_form runs next (it is a no-op once verified)."""

    def name(self) -> str:
        return "action_begin_account_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        instead = await denied_and_said_instead(tracker, intent)
        if instead:
            return instead
        task = TASK_BY_INTENT.get(intent or "") or tracker.get_slot("account_task") or "release_seat"
        again = not_worked_yet(dispatcher, tracker, {task})
        if again is not None:
            return again
        acknowledge_frustration(dispatcher, tracker)
        if task != "ticket_status":
            quick = await kb_first(dispatcher, tracker, intent or "")
            if quick is not None:
                return [*leave_csat_question(tracker), *quick]
        events = [*leave_csat_question(tracker), SlotSet("account_task", task), SlotSet("pending", None)]
        events.append(SlotSet("resolved", None))
        if task == "ticket_status":
            # Only a ticket id typed now counts; an old or mis-tagged one would look up the wrong ticket.
            events.append(SlotSet("ticket_id", ticket_reference(latest_text(tracker))))
        if not is_verified(tracker):
            dispatcher.utter_message(
                text=f"{WHY_VERIFY[task]} First I need to make sure it's your account: I'll send a one-time "
                "code to the email address on file. I will never ask for your password."
            )
            events += [SlotSet("otp_code", None), SlotSet("otp_failures", 0)]
        return events


def stop_asking(text: str) -> list[dict[str, Any]]:
    """The task ends here (the customer would rather not, or twice no usable answer): no ticket
    against their will, a person offered instead."""
    return [
        SlotSet("requested_slot", None),
        SlotSet("account_task", None),
        SlotSet("resolved", False),
        *confirm("offer_person", f"{text} Would you like a person to help instead?", PERSON_OR_NOT),
    ]


class ValidateVerifyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verify_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        if requested in ASKED_HERE and not text.startswith("/"):
            if signals.is_stop(text) or signals.is_refusal(text):
                return stop_asking("No problem, I've stopped. Without checking it's your account I can't do this here.")
            answer_like = (
                EMAIL.search(text)
                or CODE.search(text)
                or ticket_reference(text)
                or (requested == "otp_code" and asks_for_a_new_code(text))
            )
            if not answer_like:
                task = tracker.get_slot("account_task") or ""
                taken = await change_of_course(dispatcher, tracker, INTENT_BY_TASK.get(task))
                if taken is not None:
                    # The task is dropped, not failed: nothing is handed over for it.
                    return [SlotSet("requested_slot", None), SlotSet("account_task", None), *taken]
            if not answer_like and interruption(tracker) is Interruption.QUESTION:
                if WHY_ASKED.search(text):
                    dispatcher.utter_message(
                        text="I send a one-time code to the address on file, so that only the account's owner can "
                        "do this. I'll never ask for your password."
                    )
                else:
                    await answer_on_the_side(dispatcher, text)
                return [unchanged(tracker), SlotSet("requested_slot", requested)]
        # ValidationAction.run, keeping what was extracted: only a non-answer (no address, no code at
        # all) counts towards "asked twice"; a wrong code has its own three tries.
        extracted = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extracted)
        events = await self._extract_validation_events(dispatcher, tracker, domain)
        missed = any(e.get("name") == requested and e.get("value") in NON_ANSWERS for e in extracted)
        if requested in ASKED_HERE and missed and times_asked(tracker, requested) >= MAX_ASKS:
            what = {"email": "your email address", "otp_code": "the code", "ticket_id": "the ticket number"}[requested]
            return stop_asking(f"Let's leave it there: I couldn't get {what} from your messages.")
        return events

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[str]:
        wanted = ["ticket_id"] if tracker.get_slot("account_task") == "ticket_status" else []
        if tracker.get_slot("otp_code") in ENDED or is_verified(tracker):
            return wanted
        return ["email", "otp_code", *wanted]

    # Extraction reads the customer's own words, so a typed address or code is taken even when the
    # NLU did not tag it; an interruption ("talk to a person") is left to the rules.
    async def extract_email(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict:
        text = latest_text(tracker)
        found = EMAIL.search(text)
        if found:
            return {"email": found.group(0).lower()}
        asked = tracker.get_slot("requested_slot") == "email"
        return {"email": NOT_AN_EMAIL} if asked and not for_the_rules(tracker) else {}

    async def extract_otp_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        text = latest_text(tracker)
        if tracker.get_slot("requested_slot") != "otp_code" or EMAIL.search(text):
            return {}  # (a different address: extract_email takes it and a new code goes out)
        # Digits are the code whatever the NLU made of them; other words may be an interruption.
        found = CODE.search(text)
        if found:
            return {"otp_code": "".join(found.groups())}
        if asks_for_a_new_code(text):
            return {"otp_code": "resend"}
        return {} if for_the_rules(tracker) else {"otp_code": NOT_A_CODE}

    async def extract_ticket_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        found = ticket_reference(latest_text(tracker))
        if found:
            return {"ticket_id": found}
        if tracker.get_slot("requested_slot") == "ticket_id" and not for_the_rules(tracker):
            return {"ticket_id": NOT_A_TICKET}
        return {}

    async def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        if not value or not EMAIL.fullmatch(str(value)):
            dispatcher.utter_message(text="That doesn't look like an email address.")
            return {"email": None}
        email = str(value).lower()
        if is_verified(tracker) and tracker.get_slot("verified_email") == email:
            return {"email": email}
        if not await send_code_within_limits(dispatcher, tracker, email):
            return {"email": email, "otp_code": LIMITED, "verified_email": None}
        # The same words whether or not the address has an account: nobody can probe for accounts.
        dispatcher.utter_message(
            text=f"If {email} has a Nimbus account, I've just sent a 6-digit code to it. It's valid for 10 minutes."
        )
        # Wrong codes keep counting in the conversation: asking for a new code starts nothing over.
        return {"email": email, "otp_code": None, "verified_email": None}

    async def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        email = tracker.get_slot("email")
        if value in (None, VERIFIED, *ENDED) or not email:
            return {"otp_code": value}
        backend = async_backend()
        if value == "resend":
            if not await send_code_within_limits(dispatcher, tracker, email):
                return {"otp_code": LIMITED}
            dispatcher.utter_message(text=f"I've sent a new code to {email}. The old one no longer works.")
            return {"otp_code": None}
        if value == NOT_A_CODE:
            dispatcher.utter_message(text="That doesn't look like the 6-digit code from the email.")
            return {"otp_code": None}
        result = await backend.verify_code(email, str(value), conversation_id=tracker.sender_id)
        if result.status == "ok":
            dispatcher.utter_message(text="Thanks, that's confirmed.")
            # The slot keeps a marker, never the code itself.
            return {"otp_code": VERIFIED, "verified_email": email}
        if result.status == "expired":
            if not await send_code_within_limits(dispatcher, tracker, email):
                return {"otp_code": LIMITED}
            dispatcher.utter_message(text="That code has expired, so I've sent you a new one.")
            return {"otp_code": None}
        if not wrong_code(email):
            # Today's wrong codes for this address, across every code and conversation: stop guessing.
            await backend.lock(email, "too many wrong one-time codes today")
            return {"otp_code": LOCKED, "otp_failures": int(tracker.get_slot("otp_failures") or 0) + 1}
        failures = int(tracker.get_slot("otp_failures") or 0) + 1
        if result.status == "too_many_attempts" or result.attempts_left <= 0 or failures >= 3:
            return {"otp_code": FAILED, "otp_failures": failures}
        left = min(result.attempts_left, 3 - failures, wrong_codes_left(email))
        if left <= 0:
            return {"otp_code": FAILED, "otp_failures": failures}
        dispatcher.utter_message(text=f"That code isn't right. You have {left} {'try' if left == 1 else 'tries'} left.")
        return {"otp_code": None, "otp_failures": failures}

    def validate_ticket_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        found = ticket_reference(str(value or "")) if value != NOT_A_TICKET else None
        if not found:
            dispatcher.utter_message(text="That isn't a ticket number I recognise.")
            return {"ticket_id": None}
        return {"ticket_id": found}
