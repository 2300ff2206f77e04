"""Hand the conversation to a person: create a ticket that carries the whole conversation."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from accounts import async_backend
from bot.actions.asking import QUESTION_SLOT, on_answer
from bot.actions.dialogue import leave_csat_question
from bot.actions.flow_content import flow_book
from bot.actions.handoff_outbox import REFERENCE_PREFIX, HandoffOutbox, deliver, outbox_from_settings
from bot.actions.limits import asked_again, flood_count
from bot.actions.transcript import customer_email, transcript_from_tracker
from bot.actions.widget_payloads import widget_payload
from common.conversation import ESCALATION_REASONS
from common.redaction import SECRET_SLOTS
from common.ticket_limits import fit

log = logging.getLogger(__name__)

REASON_BY_INTENT = {
    "request_human": "customer_asked",
    "complain": "customer_frustrated",
    "nlu_fallback": "low_confidence",
}


# A customer the bot could not verify left no address: without one, an answer written after they
# close the chat would never reach them (bot/actions/contact.py takes the address).
ASK_CONTACT = (
    "You can keep chatting with me while you wait, or leave: if you type your email address, "
    "we'll send the answer there in case you've gone (optional)."
)
ANSWER_BY_MAIL = "You can keep chatting with me while you wait; if you've gone by then, the answer goes to {email}."


def escalation_reason(tracker: Tracker) -> str:
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent == "complain":  # frustration outranks whatever was pending
        return REASON_BY_INTENT[intent]
    if intent == "request_human" and not_understood_before(tracker):
        return "low_confidence"  # "Talk to a person" because the bot did not understand
    return tracker.get_slot("handoff_reason") or REASON_BY_INTENT.get(intent or "", "customer_asked")


def not_understood_before(tracker: Tracker) -> bool:
    """Whether the bot's last answer before this message was "Sorry, I'm not sure I understood"."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name") == "action_clarify"
    return False


def steps_tried(kb_feedback: list[dict[str, Any]], ts_steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the customer already tried with the bot, in the order it happened: articles read and
    troubleshooting steps done."""
    articles = [
        {
            "step": f"Read help article '{f['title']}' ({f['article_id']})",
            "outcome": f["outcome"],
            "at": f.get("at", ""),
        }
        for f in kb_feedback
    ]
    steps = [
        {"step": f"{t['title']} ({t['flow']}/{t['step_id']})", "outcome": t["outcome"], "at": t.get("at", "")}
        for t in ts_steps
    ]
    return sorted([*articles, *steps], key=lambda s: s["at"])


def diagnosis(tracker: Tracker) -> str:
    """ "Wi-Fi keeps dropping (device: computer, scope: all)": what the diagnosis found."""
    flow = flow_book().flows.get(tracker.get_slot("ts_flow") or "")
    if flow is None:
        return ""
    said = ", ".join(f"{q}: {tracker.get_slot('q_' + q)}" for q in flow.questions if tracker.get_slot("q_" + q))
    return f"{flow.title} ({said})" if said else flow.title


def build_ticket(
    tracker: Tracker,
    reason: str | None = None,
    kb_feedback: list[dict[str, Any]] | None = None,
    ts_steps: list[dict[str, Any]] | None = None,
    queue: str = "tier1",
    note: str = "",
) -> dict[str, Any]:
    """`kb_feedback` and `ts_steps` override the slots when the caller has newer ones than the tracker."""
    transcript = transcript_from_tracker(tracker)
    reason = reason or escalation_reason(tracker)
    customer_lines = [t for t in transcript if t["sender"] == "customer"]
    problem = next(
        (t["text"] for t in customer_lines if t.get("intent") not in ("greet", "request_human", None)),
        customer_lines[0]["text"] if customer_lines else "",
    )
    slots = {
        k: v for k, v in tracker.current_slot_values().items() if v not in (None, [], "") and k not in SECRET_SLOTS
    }
    found = diagnosis(tracker)
    summary = " ".join(
        part
        for part in (
            f"{ESCALATION_REASONS[reason]}.",
            f"Diagnosis: {found}." if found else "",
            note,
            f'Problem as stated: "{problem[:300]}"',
        )
        if part
    )
    return fit(
        {
            "conversation_id": tracker.sender_id,
            "reason": reason,
            "queue": queue,
            "summary": summary,
            "customer_email": customer_email(tracker),
            "transcript": transcript,
            "slots": slots,
            "steps_tried": steps_tried(
                kb_feedback if kb_feedback is not None else tracker.get_slot("kb_feedback") or [],
                ts_steps if ts_steps is not None else tracker.get_slot("ts_steps_tried") or [],
            ),
            "kb_articles": list(tracker.get_slot("kb_articles_shown") or []),
        }
    )


async def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str | None = None,
    kb_feedback: list[dict[str, Any]] | None = None,
    ts_steps: list[dict[str, Any]] | None = None,
    queue: str = "tier1",
    note: str = "",
) -> list[dict[str, Any]]:
    """Create the ticket and tell the customer its number (used by every path that escalates)."""
    earlier = tracker.get_slot("handoff_ticket_id")
    # Counted on every escalation, so the conversation's first ticket starts the hour.
    again = asked_again(tracker)
    if earlier and again:
        dispatcher.utter_message(text=already_with_team(earlier))
        return [SlotSet("handoff_reason", None)]
    ticket = build_ticket(tracker, reason, kb_feedback, ts_steps, queue, note)
    flood = flood_count(tracker)
    if flood:
        ticket["flood_suspected"] = flood
    await add_verified_customer(tracker, ticket)
    # Stored before the first attempt: if the service is down or slow, or this process restarts,
    # the escalation is still delivered (bot/actions/handoff_outbox.py).
    outbox = get_outbox()
    escalation = await deliver(outbox, outbox.add(ticket))
    if escalation.state == "delivered" and escalation.ticket_id:
        pickup = escalation.pickup_message or "A person will pick it up as soon as possible."
        email = ticket.get("customer_email")
        dispatcher.utter_message(
            text=f"I've passed this to our support team. Your ticket number is {escalation.ticket_id}. {pickup} "
            "They will read the whole conversation, so you won't need to repeat yourself. "
            + (ANSWER_BY_MAIL.format(email=email) if email else ASK_CONTACT)
        )
        dispatcher.utter_message(json_message=widget_payload(ticket={"id": escalation.ticket_id, "kind": "ticket"}))
        return [SlotSet("handoff_ticket_id", escalation.ticket_id), SlotSet("handoff_reason", None)]
    if escalation.state == "rejected":
        # Even the shortened ticket was refused (the service's limits are below the bot's): say so.
        log.error("handoff %s refused for good; the customer was told", escalation.reference)
        dispatcher.utter_message(
            text="I'm sorry: our ticket system refused your request, so it has not reached a person yet. "
            f"Please try again in a little while, or write to our support team and mention {escalation.reference}."
        )
        return [SlotSet("handoff_reason", None)]
    dispatcher.utter_message(
        text=f"Our ticket system is slow to answer right now, so I've saved your request under the reference "
        f"{escalation.reference}. It will reach our support team automatically as soon as the system is back, "
        "with this whole conversation, so you won't need to repeat yourself. Keep the reference to ask about it."
    )
    dispatcher.utter_message(json_message=widget_payload(ticket={"id": escalation.reference, "kind": "reference"}))
    return [SlotSet("handoff_ticket_id", escalation.reference), SlotSet("handoff_reason", None)]


def already_with_team(earlier: str) -> str:
    """What a customer who asks again is told: the ticket (or saved reference) this conversation has."""
    if earlier.startswith(REFERENCE_PREFIX):
        return (
            f"Your request is already saved under the reference {earlier}: it reaches our support team "
            "as soon as our ticket system answers again, with this whole conversation. There's no need to ask again."
        )
    return (
        f"Your request is already with our support team: your ticket number is {earlier}. They have this whole "
        "conversation, so there's no need for another ticket."
    )


async def add_verified_customer(tracker: Tracker, ticket: dict[str, Any]) -> None:
    """A customer who proved their email: the agent sees their name and plan, and the service
    knows whether the plan includes round-the-clock support."""
    email = (tracker.get_slot("email") or "").lower()
    if not email or tracker.get_slot("verified_email") != email:
        return
    try:
        granted = await async_backend().has_grant(tracker.sender_id, email)
    except Exception:  # the ticket matters more than the extra details
        log.exception("verification grant lookup for the ticket failed")
        granted = False
    if not granted:
        return
    try:
        customer = await async_backend().lookup_customer(email)
    except Exception:  # the ticket matters more than the extra details
        log.exception("account lookup for the ticket failed")
        customer = None
    ticket["customer_verified"] = True
    if customer is not None:
        ticket["customer_name"] = customer.name
        ticket["slots"]["customer_plan"] = customer.plan


@lru_cache
def get_outbox() -> HandoffOutbox:
    return outbox_from_settings()


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if ((tracker.latest_message or {}).get("intent") or {}).get("name") == "request_human":
            # One apology (a complaint already got utter_sorry_frustrated from its rule).
            dispatcher.utter_message(text="Of course. Sorry I couldn't sort it out myself.")
        queue = tracker.get_slot("handoff_queue") or "tier1"
        return [
            *leave_csat_question(tracker),
            *await hand_over(dispatcher, tracker, queue=queue),
            SlotSet("handoff_queue", None),
            SlotSet("pending", None),
        ]


async def person_now(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Yes to "would you like a person?": the ticket, from the queue the offer named."""
    queue = tracker.get_slot("handoff_queue") or "tier1"
    return [*await hand_over(dispatcher, tracker, queue=queue), SlotSet("handoff_queue", None)]


async def decline_person(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """No to "would you like a person?": nothing is filed."""
    asked = tracker.get_slot(QUESTION_SLOT) or {}
    dispatcher.utter_message(text=asked.get("if_no") or "OK, no ticket then. Anything else I can help with?")
    return [SlotSet("handoff_reason", None), SlotSet("handoff_queue", None), SlotSet("resolved", False)]


@on_answer("offer_person")
async def person_answer(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool) -> list[dict[str, Any]]:
    return await (person_now if yes else decline_person)(dispatcher, tracker)
