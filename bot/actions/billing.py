"""Billing questions: self-service ones (where are my invoices, the refund policy, plan prices, what
a charge is) are answered from the KB with the billing team one tap away; requests about one
payment of this customer (charged twice, a refund of a payment, a disputed charge) go to the
billing team at once, because only they can see payments."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.asking import confirm
from bot.actions.detours import route_again, routed_again
from bot.actions.dialogue import PERSON_OR_NOT, latest_text, leave_csat_question
from bot.actions.handoff import hand_over
from bot.actions.kb import answer_with, get_searcher, kb_miss, search_kb
from bot.actions.triage import NO_THEN, THEN_SLOT
from bot.actions.understanding.signals import asks_for_person
from bot.actions.understanding.text import normalise

# A payment of this customer's that someone has to look at.
ACCOUNT_SPECIFIC = re.compile(
    r"\b(?:charged (?:me )?(?:twice|double|two times|2 times|again|more than once|after|even though|wrong|too much)|"
    r"(?:took|taken|billed|charged|paid|payed|debited) .{0,30}(?:twice|two times|2 times|double|again)|"
    r"double (?:charged|charge|billed|billing|payment)|billed twice|two charges|duplicate (?:charge|payment)|"
    r"(?:want|need|get|like) (?:a|my|the) (?:money back|refund)|refund (?:me|my|the|this|that|it|last)|"
    r"money back|dispute|chargeback|unauthori[sz]ed|"
    r"(?:didnt|didn t|did not|never) (?:authori[sz]e|agree|sign up|order)|"
    r"fraud|scam|wrong amount|overcharged|over charged|still (?:getting |being )?(?:charged|billed)|"
    r"charged (?:for|after) .*cancel|(?:dont|don t|do not) recogni[sz]e|unknown (?:charge|payment)|"
    r"why (?:was|am|did|have|were) (?:i|you|we) (?:been )?(?:charg|bill)|took (?:money|payment)|card (?:was )?charged|"
    r"charged my|billed my|charged (?:us|me)|my (?:bank|card) statement|(?:old|expired|wrong) card)\b"
)
# "Put me on the free plan instead of paying for Plus": a plan change the bot does itself.
PLAN_REQUEST = re.compile(
    r"\b(?:put me (?:on|back on)|switch (?:me )?(?:to|over)|move me (?:to|down|up)|change (?:me |my plan )?to|"
    r"downgrade|upgrade|go (?:down|up|back) to|cancel|stop (?:my|the) (?:subscription|plan|renewal))\b"
)
TO_BILLING = "Questions about charges and invoices are answered by our billing team, who can see your payment details."


class ActionBillingQuestion(Action):
    def name(self) -> str:
        return "action_billing_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        leave = leave_csat_question(tracker)
        said = normalise(text)
        if not routed_again(tracker) and PLAN_REQUEST.search(said) and not ACCOUNT_SPECIFIC.search(said):
            task = "cancel_subscription" if re.search(r"\bcancel|\bstop\b", said) else "subscription_change"
            return [*leave, *await route_again(tracker, text, intent=task)]
        if routed_again(tracker) or ACCOUNT_SPECIFIC.search(said) or asks_for_person(text):
            dispatcher.utter_message(text=f"{TO_BILLING} I'll pass your question to them now.")
            if asks_for_person(text):
                reason = "customer_asked"
            elif routed_again(tracker):
                reason = "no_kb_answer"  # the article did not answer it ("No, ask the billing team")
            else:
                reason = "account_action"
            return [*leave, *await to_billing(dispatcher, tracker, text, reason)]
        hits = await search_kb(text)
        floor = get_searcher().settings.min_score
        hit = hits[0] if hits and hits[0].answers else None
        if hit is None:
            question = "I don't have a help article that answers that. Shall I pass your question to our billing team?"
            buttons = [{"title": "Yes, ask the billing team", "payload": "/affirm"}, PERSON_OR_NOT[1]]
            return [
                *leave,
                SlotSet("handoff_reason", "no_kb_answer"),
                SlotSet("handoff_queue", "billing"),
                kb_miss(hits, floor),
                *confirm("offer_person", question, buttons),
            ]
        buttons = [
            {"title": "Yes, that helped", "payload": "/affirm"},
            {"title": NO_THEN["billing_question"], "payload": "/deny"},
        ]
        return [
            *leave,
            *answer_with(dispatcher, tracker, hit, "From our help article", buttons=buttons),
            SlotSet("kb_next", []),
            SlotSet(THEN_SLOT, {"intent": "billing_question", "text": text}),
        ]


async def to_billing(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, reason: str) -> list[dict]:
    return await hand_over(
        dispatcher, tracker, reason=reason, queue="billing", note=f'Billing question: "{question[:300]}".'
    )
