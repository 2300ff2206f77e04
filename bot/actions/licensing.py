"""Software activation: take the key (activation_form), check its format, check it with the account
backend (valid / already used on every seat / invalid), activate, or offer to move a seat from an old
computer (which needs the owner's verification, see verification.py)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from accounts import async_backend
from accounts.backend import LicenseError, is_valid_key_format, normalise_key
from bot.actions.asking import confirm, on_answer
from bot.actions.detours import change_of_course, denied_and_said_instead
from bot.actions.dialogue import (
    TALK_TO_PERSON,
    YES_NO,
    latest_text,
    leave_csat_question,
)
from bot.actions.empathy import acknowledge_frustration
from bot.actions.handoff import hand_over
from bot.actions.interruptions import for_the_rules
from bot.actions.kb import DID_IT_HELP, answer_with, best_article
from bot.actions.plain_text import as_plain, safe_name
from bot.actions.sealed_slots import seal, unseal
from bot.actions.triage import kb_first
from bot.actions.understanding import signals
from bot.actions.verification import WHY_VERIFY, is_verified, verified_here

# Anything that looks like an attempt at a key: 4 groups separated by dashes or spaces, or the
# 20 characters typed in one go (letters and at least one digit).
KEY_LIKE = re.compile(r"\b[A-Za-z0-9]{3,7}(?:[-\s][A-Za-z0-9]{3,7}){3}\b|\b(?=[A-Za-z]*\d)[A-Za-z0-9]{20}\b")
NOT_A_KEY, NO_KEY, GAVE_UP = "[not a key]", "[no key]", "[gave up]"
# Twice a well-formed key the account backend does not know: the article on rejected keys comes
# before a person (a key for another product, look-alike characters, an app that cannot go online).
NOT_RECOGNISED = "[key not recognised]"
# The customer turned to something else while asked for the key: nothing to activate, nobody to call.
DROPPED = "[dropped]"
# Tries at a key before a person checks the purchase (the question is asked at most twice).
MAX_KEY_TRIES = 2


def key_attempt(text: str) -> str | None:
    """A mistyped key still has digits or dashes; four plain words ("printer shows offline since")
    are a sentence, not a key."""
    found = KEY_LIKE.search(text)
    return found.group(0) if found and re.search(r"[\d-]", found.group(0)) else None


def device_name(tracker: Tracker) -> str:
    device = safe_name(str(tracker.get_slot("device") or ""), "computer")
    return device[0].upper() + device[1:] if device.lower().startswith("new ") else f"New {device}"


class ActionBeginActivation(Action):
    def name(self) -> str:
        return "action_begin_activation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        instead = await denied_and_said_instead(tracker, "software_activation")
        if instead:
            return instead
        acknowledge_frustration(dispatcher, tracker)
        found = key_attempt(latest_text(tracker))
        quick = None if found else await kb_first(dispatcher, tracker, "software_activation")
        if quick is not None:
            return [*leave_csat_question(tracker), *quick]
        return [
            *leave_csat_question(tracker),
            SlotSet("license_key", seal(normalise_key(found)) if found else None),
            SlotSet("key_tries", 0),
            SlotSet("pending", None),
            SlotSet("resolved", None),
        ]


class ValidateActivationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_activation_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        cannot = signals.lacks_it(text) or signals.is_unknown(text) or signals.is_refusal(text) or signals.is_stop(text)
        if tracker.get_slot("requested_slot") == "license_key" and not key_attempt(text) and not cannot:
            taken = await change_of_course(dispatcher, tracker, "software_activation")
            if taken is not None:
                return [SlotSet("requested_slot", None), SlotSet("license_key", DROPPED), *taken]
        return await super().run(dispatcher, tracker, domain)

    async def extract_license_key(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        if tracker.get_slot("requested_slot") != "license_key":
            return {}
        text = latest_text(tracker)
        found = key_attempt(text)
        if found:
            return {"license_key": found}
        if signals.lacks_it(text) or signals.is_unknown(text) or signals.is_refusal(text) or signals.is_stop(text):
            return {"license_key": NO_KEY}
        return {} if for_the_rules(tracker) else {"license_key": NOT_A_KEY}

    async def validate_license_key(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict:
        if value is None:
            return {"license_key": None}  # cleared when the activation began: nothing given yet, no try
        tries = int(tracker.get_slot("key_tries") or 0) + 1
        value = unseal(value)  # a key from the first message comes sealed
        if value == NO_KEY:
            return {"license_key": NO_KEY, "key_tries": tries}
        if value == NOT_A_KEY or not is_valid_key_format(str(value)):
            if tries >= MAX_KEY_TRIES:
                return {"license_key": GAVE_UP, "key_tries": tries}
            dispatcher.utter_message(
                text="That doesn't look like a license key.",
            )
            return {"license_key": None, "key_tries": tries}
        key = normalise_key(str(value))
        if (await async_backend().license_check(key)).status == "invalid":
            if tries >= MAX_KEY_TRIES:
                return {"license_key": NOT_RECOGNISED, "key_tries": tries}
            dispatcher.utter_message(
                text="We don't recognise that key. Please check it for typos (0 and O, 1 and I are easy to mix up) "
                "and type it again.",
            )
            return {"license_key": None, "key_tries": tries}
        return {"license_key": seal(key), "key_tries": tries}


class ActionActivateLicense(Action):
    def name(self) -> str:
        return "action_activate_license"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        key = unseal(tracker.get_slot("license_key"))
        if key == DROPPED:
            return [SlotSet("license_key", None)]
        if key == NO_KEY:
            return await without_a_key(dispatcher, tracker)
        if key == NOT_RECOGNISED:
            return await unrecognised_key(dispatcher, tracker)
        if not key or not is_valid_key_format(key):
            dispatcher.utter_message(
                text="I couldn't get a working key from you, so a person will help with activation."
            )
            return [
                SlotSet("resolved", False),
                *await hand_over(dispatcher, tracker, reason="account_action", note="No valid license key given."),
            ]
        status = await async_backend().license_check(key)
        name = device_name(tracker)
        if status.status == "valid" or not status.devices:
            return await activate_here(dispatcher, tracker, key, name)
        devices = ", ".join(as_plain(d) for d in status.devices)
        question = (
            f"That key is already in use on all {status.seats_total} of its seats: {devices}. If you've moved "
            f"to a new computer, I can release the seat on **{as_plain(status.devices[0])}** and activate this "
            "one. Shall I?"
        )
        return [
            SlotSet("license_release_device", status.devices[0]),
            SlotSet("license_device_name", name),
            SlotSet("resolved", False),
            *confirm("confirm_release", question, YES_NO),
        ]


@on_answer("confirm_release")
async def release_answer(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool) -> list[dict[str, Any]]:
    """ "Shall I move the seat?" answered: yes needs the key owner's verification first (verify_form,
    then action_run_account_task moves it); no leaves the seats as they are."""
    if not yes:
        dispatcher.utter_message(
            text="OK, I've left your seats as they are. You can also release a computer yourself under "
            "Account > Devices on the web app."
        )
        return [SlotSet("license_release_device", None), SlotSet("resolved", False)]
    events = [SlotSet("account_task", "release_seat"), SlotSet("resolved", None)]
    if not is_verified(tracker):
        dispatcher.utter_message(
            text=f"{WHY_VERIFY['release_seat']} First I need to make sure it's your account: I'll send a one-time "
            "code to the email address on file. I will never ask for your password."
        )
        events += [SlotSet("otp_code", None), SlotSet("otp_failures", 0)]
    return [*events, SlotSet("requested_slot", None), FollowupAction("verify_form")]


def activation_question(tracker: Tracker) -> str:
    """What the customer said when they asked about activating: it sharpens the article search."""
    return next(
        (
            e.get("text") or ""
            for e in reversed(tracker.events)
            if e.get("event") == "user"
            and ((e.get("parse_data") or {}).get("intent") or {}).get("name") == "software_activation"
        ),
        "",
    )


async def without_a_key(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """No key at hand: where to find it (the help article for the customer's question), a person
    one tap away; nothing is filed unasked."""
    hit = await best_article(f"find my license key. {activation_question(tracker)}")
    events = [SlotSet("license_key", None), SlotSet("resolved", False)]
    if hit is None:
        dispatcher.utter_message(
            text='No problem. Your key is in the purchase email (subject "Your Nimbus license"). '
            "A person can look it up for you too.",
            buttons=[TALK_TO_PERSON],
        )
        return events
    return [*events, *answer_with(dispatcher, tracker, hit, "No problem. This help article says where to find it:")]


async def unrecognised_key(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """A well-formed key we do not know, typed twice: the help article on rejected keys, with a
    person behind "No" (the ticket then says why); a person at once when no article answers."""
    # What happened is known (the key is not ours), whatever the customer first asked.
    hit = await best_article("licence key not recognised: what to check")
    events = [SlotSet("license_key", None), SlotSet("resolved", False)]
    if hit is None:
        dispatcher.utter_message(text="I still don't recognise that key, so a person will help with activation.")
        note = "The key the customer typed twice is not one we know."
        return [*events, *await hand_over(dispatcher, tracker, reason="account_action", note=note)]
    buttons = [DID_IT_HELP[0], {"title": "No, I'd like a person", "payload": "/request_human"}]
    lead = "I still don't recognise that key. This help article lists what usually causes that, and what to do:"
    return [*events, *answer_with(dispatcher, tracker, hit, lead, buttons=buttons)]


async def activate_here(
    dispatcher: CollectingDispatcher, tracker: Tracker, key: str, name: str, released: str | None = None
) -> list[dict[str, Any]]:
    try:
        status = await async_backend().activate_license(key, name)
    except LicenseError as exc:  # e.g. the last seat went to another computer a moment ago
        dispatcher.utter_message(text=f"I couldn't activate the key: {exc}")
        return [
            SlotSet("resolved", False),
            *await hand_over(dispatcher, tracker, reason="account_action", note=f"Activation failed: {exc}"),
        ]
    before = f"I released the seat on **{as_plain(released)}** and " if released else "Your key is "
    dispatcher.utter_message(
        text=f"{before}{'activated' if released else 'activated on'} **{as_plain(name)}** "
        f"({status.seats_used} of {status.seats_total} seats in use). Restart Nimbus and the Pro features are on."
    )
    return [SlotSet("resolved", True), SlotSet("pending", None), SlotSet("license_release_device", None)]


async def move_license(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Release the old computer's seat and activate the new one, for the key's owner only."""
    key = unseal(tracker.get_slot("license_key"))
    if not isinstance(key, str) or not is_valid_key_format(key):
        dispatcher.utter_message(text="I no longer have your license key, so a person will move the seat for you.")
        return [
            SlotSet("account_task", None),
            SlotSet("resolved", False),
            *await hand_over(dispatcher, tracker, reason="account_action", note="License key expired before the move."),
        ]
    status = await async_backend().license_check(key)
    events = [SlotSet("account_task", None)]
    owner = (status.owner_email or "").lower()
    if owner != tracker.get_slot("verified_email") or not await verified_here(tracker):
        dispatcher.utter_message(text="That license key belongs to a different account, so I can't move it.")
        return [
            *events,
            SlotSet("resolved", False),
            *await hand_over(dispatcher, tracker, reason="account_action", note=f"License {key}: owner mismatch."),
        ]
    name = tracker.get_slot("license_device_name") or device_name(tracker)
    old = tracker.get_slot("license_release_device") or (status.devices[0] if status.devices else None)
    if old:
        await async_backend().release_seat(key, old)
    return [*events, *await activate_here(dispatcher, tracker, key, name, released=old)]
