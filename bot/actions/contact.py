"""An email address the customer types on its own (intent `give_email`): after a handoff it is
where the team's answer goes if the customer has left (handoff API, as "given, not verified").

The address is not proven, so nothing of the account is sent there: only the agent's reply and a
link back to the chat. A verified customer's proven address is kept."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.handoff_client import pass_on_contact
from bot.actions.transcript import customer_email

log = logging.getLogger(__name__)


def typed_email(tracker: Tracker) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "email" and entity.get("value"):
            return str(entity["value"]).strip().lower()
    return None


async def give_contact(conversation_id: str, email: str) -> list[str] | None:
    """The tickets that will be answered at `email`; None when the ticket service refused or is away."""
    try:
        response = await pass_on_contact(conversation_id, email)
    except httpx.HTTPError as exc:
        log.warning("contact address not passed on (%s)", type(exc).__name__)
        return None
    if response.status_code != 200:
        log.warning("contact address refused: %s %s", response.status_code, response.text[:200])
        return None
    return list(response.json().get("tickets") or [])


class ActionTakeContactEmail(Action):
    def name(self) -> str:
        return "action_take_contact_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        email = typed_email(tracker)
        ticket_id = tracker.get_slot("handoff_ticket_id") or ""
        if not email:
            dispatcher.utter_message(text="That doesn't look like an email address. What can I help you with?")
            return []
        if not ticket_id:
            # The address is kept in the `email` slot: a password reset or a plan change starts from it.
            dispatcher.utter_message(text=f"Thanks, I've noted {email}. What can I help you with?")
            return []
        verified = customer_email(tracker)
        if verified:
            dispatcher.utter_message(
                text=f"Our team already has your verified address, {verified}: that is where they will write."
            )
            return []
        # A REF- reference: the ticket has not reached the service yet, so there is nothing to add it to.
        tickets = await give_contact(tracker.sender_id, email) if ticket_id.startswith("NIM-") else None
        if tickets is None:
            dispatcher.utter_message(
                text="I couldn't add your address to the ticket just now. Our team has this conversation: "
                "if you stay, they'll answer here; or type the address again in a minute."
            )
            return []
        dispatcher.utter_message(
            text=f"Thanks: if you've left when a person answers, we'll send the answer to {email}, with a link "
            "back to this chat. We haven't verified this address, so we won't send account details there."
        )
        return []
