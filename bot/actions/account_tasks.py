"""What the bot does for a verified customer: reset link, unlock, 2FA reset request, plan change,
cancellation, ticket status, moving a license seat. Every call goes through the account backend,
which writes the audit log."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from accounts import async_backend
from accounts.backend import AccountError, PlanInfo
from bot.actions import handoff_client
from bot.actions.asking import confirm, on_answer
from bot.actions.dialogue import TALK_TO_PERSON, YES_NO
from bot.actions.handoff import get_outbox, hand_over
from bot.actions.licensing import move_license
from bot.actions.settings import get_settings
from bot.actions.verification import FAILED, LIMITED, LOCKED, verified_here

VERIFICATION_NOTES = {
    FAILED: "One-time code verification failed.",
    LIMITED: "No one-time code sent: a code limit (email, conversation or client address) was reached, or the "
    "counts were unavailable.",
    LOCKED: "Too many wrong one-time codes for this address today: sign-in locked, needs a person.",
}

log = logging.getLogger(__name__)

PLAN_NAMES = {"free": "Free", "plus": "Plus", "business": "Business"}
STATUS_WORDS = {
    "new": "received and waiting for an agent",
    "open": "being worked on by an agent",
    "pending_customer": "waiting for a reply from you (check your email)",
    "resolved": "resolved",
    "closed": "closed",
}


def describe_plan(info: PlanInfo) -> str:
    if info.plan == "free":
        return "You're on the **Free** plan."
    renew = f", renewing on {info.renews_on:%d %B %Y}" if info.renews_on and not info.cancelled else ""
    return f"You're on **{PLAN_NAMES[info.plan]}** ({info.seats} seat(s), ${info.price_per_month}/month{renew})."


def wanted_plan(tracker: Tracker, current: str) -> str:
    """The plan the customer wants: the `plan` slot, unless that is the plan they are on and their
    recent messages name another ("put me on free instead of paying for plus")."""
    target = (tracker.get_slot("plan") or "").lower()
    if target and target != current:
        return target
    said = [e for e in tracker.events if e.get("event") == "user"][-3:]
    named = [
        str(ent.get("value")).lower()
        for e in said
        for ent in (e.get("parse_data") or {}).get("entities") or []
        if ent.get("entity") == "plan"
    ]
    other = [p for p in named if p in PLAN_NAMES and p != current]
    return other[-1] if other else target


def task_ended(resolved: bool = True) -> list[dict[str, Any]]:
    """End of a task. `resolved` is always set so the rating rule sees this turn's outcome."""
    return [SlotSet("account_task", None), SlotSet("pending", None), SlotSet("resolved", resolved)]


async def ticket_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    settings = get_settings()
    ticket_id = tracker.get_slot("ticket_id") or ""
    if ticket_id.startswith("REF-"):
        # An escalation made while the ticket system was down: the outbox knows what became of it.
        escalation = get_outbox().by_reference(ticket_id)
        owner = (escalation.payload.get("customer_email") or "").lower() if escalation else ""
        if escalation is None or owner != tracker.get_slot("verified_email"):
            dispatcher.utter_message(
                text=f"I couldn't find {ticket_id} for your email address. Please check the reference."
            )
            return [*task_ended(False), SlotSet("ticket_id", None)]
        if escalation.state != "delivered" or not escalation.ticket_id:
            dispatcher.utter_message(
                text=f"Your request {ticket_id} is saved and on its way to our support team: our ticket system "
                "was unavailable when you asked, and it will be delivered automatically with the whole conversation."
            )
            return [*task_ended(True), SlotSet("ticket_id", None)]
        dispatcher.utter_message(text=f"Your request {ticket_id} became ticket {escalation.ticket_id}.")
        ticket_id = escalation.ticket_id
    try:
        response = await handoff_client.ticket_status(ticket_id, tracker.get_slot("verified_email"), settings)
    except httpx.HTTPError as exc:
        log.error("ticket lookup failed: %s", exc)
        dispatcher.utter_message(text="I can't reach our ticket system right now. Please try again in a few minutes.")
        return [*task_ended(False), SlotSet("ticket_id", None)]
    if response.status_code == 404:
        dispatcher.utter_message(
            text=f"I couldn't find ticket {ticket_id} for your email address. Please check the number; "
            "it's in the confirmation we sent you."
        )
        return [*task_ended(False), SlotSet("ticket_id", None)]
    if response.status_code != 200:
        log.error("ticket lookup answered %s: %s", response.status_code, response.text[:200])
        dispatcher.utter_message(text="Something went wrong looking up that ticket. Please try again later.")
        return [*task_ended(False), SlotSet("ticket_id", None)]
    ticket = response.json()
    words = STATUS_WORDS.get(ticket["status"], ticket["status"])
    dispatcher.utter_message(text=f"Ticket {ticket['id']} is {words} (last update {ticket['updated_at'][:16]} UTC).")
    return [*task_ended(True), SlotSet("ticket_id", None)]


class ActionRunAccountTask(Action):
    def name(self) -> str:
        return "action_run_account_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        task = tracker.get_slot("account_task")
        if not task:
            return []  # the customer dropped the task while asked for their email or code
        if not await verified_here(tracker):
            dispatcher.utter_message(
                text="I couldn't confirm it's your account, so for your security a person will take it from here."
            )
            note = VERIFICATION_NOTES.get(tracker.get_slot("otp_code") or "", "")
            return [*task_ended(False), *await hand_over(dispatcher, tracker, reason="account_action", note=note)]
        email = tracker.get_slot("verified_email")
        backend = async_backend()
        try:
            if task == "reset_password":
                await backend.send_reset_link(email)
                dispatcher.utter_message(
                    text=f"I've emailed a password reset link to {email}. It works once, within the next hour. "
                    "Choose a new password you don't use anywhere else."
                )
                return task_ended()
            if task == "unlock":
                customer = await backend.lookup_customer(email)
                if customer and not customer.locked:
                    dispatcher.utter_message(
                        text="Your account isn't locked. If your password is the problem, I can send a reset link.",
                        buttons=[{"title": "Send me a reset link", "payload": "/password_reset"}, TALK_TO_PERSON],
                    )
                    return task_ended(False)
                await backend.unlock(email)
                dispatcher.utter_message(text="Your account is unlocked. You can sign in again now.")
                return task_ended()
            if task == "two_factor":
                reference = await backend.request_two_factor_reset(email)
                dispatcher.utter_message(
                    text="Resetting two-step verification needs a person to check a few more details, "
                    f"for your safety. I've opened the request ({reference})."
                )
                return [
                    *task_ended(False),
                    *await hand_over(
                        dispatcher,
                        tracker,
                        reason="account_action",
                        queue="tier2",
                        note=f"Two-step verification reset requested ({reference}); identity verified by email code.",
                    ),
                ]
            if task == "change_plan":
                return self.offer_plan_change(dispatcher, tracker, await backend.get_plan(email))
            if task == "cancel":
                return self.offer_cancel(dispatcher, await backend.get_plan(email))
            if task == "ticket_status":
                return await ticket_status(dispatcher, tracker)
            if task == "release_seat":
                return await move_license(dispatcher, tracker)
        except AccountError as exc:
            log.warning("account task %s failed: %s", task, exc)
            dispatcher.utter_message(text=f"Sorry, I couldn't do that: {exc}. A person will take it from here.")
            return [*task_ended(False), *await hand_over(dispatcher, tracker, reason="account_action", note=str(exc))]
        return task_ended(False)

    @staticmethod
    def offer_plan_change(dispatcher: CollectingDispatcher, tracker: Tracker, info: PlanInfo) -> list[dict[str, Any]]:
        target = wanted_plan(tracker, info.plan)
        if target not in PLAN_NAMES:
            buttons = [{"title": name, "payload": name} for key, name in PLAN_NAMES.items() if key != info.plan]
            return [
                SlotSet("resolved", False),
                *confirm("choose_plan", f"{describe_plan(info)} Which plan would you like?", buttons),
            ]
        if target == info.plan:
            dispatcher.utter_message(text=f"{describe_plan(info)} So there's nothing to change.")
            return [*task_ended(False), SlotSet("plan", None)]
        direction = "upgrade" if list(PLAN_NAMES).index(target) > list(PLAN_NAMES).index(info.plan) else "downgrade"
        when = "right away" if direction == "upgrade" else "at the end of your current billing period"
        question = f"{describe_plan(info)} Shall I {direction} you to **{PLAN_NAMES[target]}**? It takes effect {when}."
        return [SlotSet("resolved", False), SlotSet("plan", target), *confirm("confirm_plan_change", question, YES_NO)]

    @staticmethod
    def offer_cancel(dispatcher: CollectingDispatcher, info: PlanInfo) -> list[dict[str, Any]]:
        if info.plan == "free":
            dispatcher.utter_message(
                text="You're on the Free plan, so there's no subscription to cancel and nothing will be charged. "
                "If you want to close your account completely, see our help article on deleting an account."
            )
            return task_ended(False)
        question = (
            f"{describe_plan(info)} If you cancel, it stays active until the end of the period you've paid "
            "for, then your account moves to Free: your files stay readable, but sync pauses while you're over "
            "the Free storage limit. Would a cheaper plan suit you better than cancelling?"
        )
        buttons = [
            *(
                {"title": f"Switch to {PLAN_NAMES[p]} instead", "payload": f'/subscription_change{{"plan": "{p}"}}'}
                for p in PLAN_NAMES
                if p not in ("free", info.plan) and list(PLAN_NAMES).index(p) < list(PLAN_NAMES).index(info.plan)
            ),
            {"title": "Cancel my subscription", "payload": "/affirm"},
            {"title": "Keep my plan", "payload": "/deny"},
        ]
        return [SlotSet("resolved", False), *confirm("confirm_cancel", question, buttons)]


@on_answer("confirm_plan_change")
async def plan_change_answer(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool) -> list[dict[str, Any]]:
    """ "Shall I change your plan?" answered: only an explicit yes changes anything."""
    if not yes or not await verified_here(tracker):
        dispatcher.utter_message(text="OK, I haven't changed anything. Your plan stays as it is.")
        return [*task_ended(False), SlotSet("plan", None)]
    info = await async_backend().change_plan(tracker.get_slot("verified_email"), tracker.get_slot("plan"))
    dispatcher.utter_message(text=f"Done. {info.note or describe_plan(info)}")
    return [*task_ended(), SlotSet("plan", None)]


@on_answer("choose_plan")
async def plan_chosen(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool) -> list[dict[str, Any]]:
    """ "Which plan would you like?" answered (the plan slot holds it): ask to confirm the change."""
    if not yes or not await verified_here(tracker):
        dispatcher.utter_message(text="OK, your plan stays as it is.")
        return [*task_ended(False), SlotSet("plan", None)]
    info = await async_backend().get_plan(tracker.get_slot("verified_email"))
    return ActionRunAccountTask.offer_plan_change(dispatcher, tracker, info)


@on_answer("confirm_cancel")
async def cancel_answer(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool) -> list[dict[str, Any]]:
    if not yes or not await verified_here(tracker):
        dispatcher.utter_message(text="OK, your subscription stays as it is. Nothing has changed.")
        return task_ended(False)
    info = await async_backend().cancel_subscription(tracker.get_slot("verified_email"))
    dispatcher.utter_message(
        text=f"Your subscription is cancelled. {info.note} We've emailed you a confirmation."
        if info.note
        else "Your subscription is cancelled. We've emailed you a confirmation."
    )
    return task_ended()
