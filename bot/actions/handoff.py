"""Hand the conversation to a person: create a ticket that carries the whole conversation."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import leave_csat_question
from bot.actions.flows import flow_book
from bot.actions.settings import get_settings
from bot.actions.transcript import customer_email, transcript_from_tracker
from bot.redaction import SECRET_SLOTS

log = logging.getLogger(__name__)

REASON_BY_INTENT = {
    "request_human": "customer_asked",
    "complain": "customer_frustrated",
    "nlu_fallback": "low_confidence",
}
REASON_TEXT = {
    "customer_asked": "Customer asked for a person",
    "customer_frustrated": "Customer is frustrated",
    "low_confidence": "The bot did not understand the customer",
    "no_kb_answer": "No knowledge-base article answered the question",
    "repeated_failure": "Troubleshooting did not solve the problem",
    "account_action": "The account action needs a person",
}


def escalation_reason(tracker: Tracker) -> str:
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    if intent == "complain":  # frustration outranks whatever was pending
        return REASON_BY_INTENT[intent]
    return tracker.get_slot("handoff_reason") or REASON_BY_INTENT.get(intent or "", "customer_asked")


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
            f"{REASON_TEXT[reason]}.",
            f"Diagnosis: {found}." if found else "",
            note,
            f'Problem as stated: "{problem[:300]}"',
        )
        if part
    )
    return {
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
    settings = get_settings()
    ticket = build_ticket(tracker, reason, kb_feedback, ts_steps, queue, note)
    try:
        async with httpx.AsyncClient(timeout=settings.handoff_timeout_seconds) as client:
            response = await client.post(
                f"{settings.handoff_api_url}/api/tickets",
                json=ticket,
                headers={"Authorization": f"Bearer {settings.handoff_bot_token}"},
            )
            response.raise_for_status()
    except httpx.HTTPError as exc:
        # Issue 5 adds a durable outbox; until then the customer is told plainly.
        log.error("handoff failed: %s", exc)
        dispatcher.utter_message(
            text="I'm sorry, I couldn't reach our ticket system just now, so no ticket was created. "
            "Please try again in a few minutes."
        )
        return []
    ticket_id = response.json()["id"]
    dispatcher.utter_message(
        text=f"I've passed this to our support team. Your ticket number is {ticket_id}. "
        "A person will read the whole conversation, so you won't need to repeat yourself."
    )
    return [SlotSet("handoff_ticket_id", ticket_id), SlotSet("handoff_reason", None)]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if ((tracker.latest_message or {}).get("intent") or {}).get("name") == "request_human":
            # One apology (a complaint already got utter_sorry_frustrated from its rule).
            dispatcher.utter_message(text="Of course. Sorry I couldn't sort it out myself.")
        return [*leave_csat_question(tracker), *await hand_over(dispatcher, tracker)]


class ActionBillingHandoff(Action):
    """Billing questions need someone who can see payments: straight to the billing queue."""

    def name(self) -> str:
        return "action_billing_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = (tracker.latest_message or {}).get("text") or ""
        return [
            *leave_csat_question(tracker),
            *await hand_over(
                dispatcher,
                tracker,
                reason="account_action",
                queue="billing",
                note=f'Billing question: "{question[:300]}".',
            ),
        ]
