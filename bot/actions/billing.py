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
from bot.actions.detours import article_declined, route_again, routed_again
from bot.actions.dialogue import PERSON_OR_NOT, latest_text, leave_csat_question
from bot.actions.handoff import hand_over
from bot.actions.kb import NO_THEN, THEN_SLOT, answer_with, get_searcher, kb_miss, search_kb
from bot.actions.understanding.signals import asks_for_person
from bot.actions.understanding.text import normalise

# A wish for money back: a request about one of this customer's payments, unless it is only asked
# whether one is possible ("can I get a refund if I cancel?"), which the refund policy answers.
REFUND_WISH = re.compile(r"\b(?:(?:want|need|get|like) (?:a|my|the) (?:money back|refund)|money back)\b")
# Asking, not requesting: a question about what is possible, without "can you" / "I want" / "please".
ASKS_WHETHER = re.compile(
    r"\b(?:(?:can|could|may|do|does|will|would|should) (?:i|we)|is (?:it|there)|am i|are we|how (?:long|much|does|do)|"
    r"what happens|if i|eligible|entitled)\b"
)
REQUESTS = re.compile(r"\b(?:(?:can|could|would|will) you|please|i (?:want|need|would like|d like)|give me)\b")
# A plan change talked about as a condition ("if I cancel today"), not asked for.
# The verb may come a word or two on ("if I go up to Business", "once we finally switch").
CONDITIONAL_CHANGE = re.compile(
    r"\b(?:if|when|after|once) (?:i|we) (?:\w+ ){0,2}?(?:cancel|downgrade|upgrade|switch|stop|move|change|"
    r"go (?:down|up|back))\b"
)
# A payment of this customer's that someone has to look at.
ACCOUNT_SPECIFIC = re.compile(
    r"\b(?:charged (?:me )?(?:twice|double|two times|2 times|again|more than once|after|even though|wrong|too much)|"
    r"(?:took|taken|billed|charged|paid|payed|debited) .{0,30}(?:twice|two times|2 times|double|again)|"
    r"double (?:charged|charge|billed|billing|payment)|billed twice|two charges|duplicate (?:charge|payment)|"
    r"refund (?:me|my|the|this|that|it|last)|"
    r"dispute|chargeback|unauthori[sz]ed|"
    r"(?:didnt|didn t|did not|never) (?:authori[sz]e|agree|sign up|order)|"
    r"fraud|scam|wrong amount|overcharged|over charged|still (?:getting |being )?(?:charged|billed)|"
    r"charged (?:for|after) .*cancel|(?:dont|don t|do not) recogni[sz]e|unknown (?:charge|payment)|"
    r"why (?:was|am|did|have|were) (?:i|you|we) (?:been )?(?:charg|bill)|took (?:money|payment)|card (?:was )?charged|"
    r"charged my|billed my|charged (?:us|me)|my (?:bank|card) statement|(?:old|expired|wrong) card)\b"
)
# A charge asked about before it happens ("will I be charged again if I upgrade mid-month?"): the
# pricing articles answer it; no payment of this customer's is in question yet.
WOULD_BE_CHARGED = re.compile(
    r"\b(?:will|would|do|does|am) (?:i|we|you|it|they) (?:be |get |still be )?(?:charg|bill|pay)\w*|"
    r"\b(?:will|would) (?:i|we) (?:have to|need to) pay\b"
)
# "Put me on the free plan instead of paying for Plus": a plan change the bot does itself.
PLAN_REQUEST = re.compile(
    r"\b(?:put me (?:on|back on)|switch (?:me )?(?:to|over)|move me (?:to|down|up)|change (?:me |my plan )?to|"
    r"downgrade|upgrade|go (?:down|up|back) to|cancel|stop (?:my|the) (?:subscription|plan|renewal))\b"
)
TO_BILLING = "Questions about charges and invoices are answered by our billing team, who can see your payment details."


def asks_only_whether(said: str) -> bool:
    """A question about what is possible, not a request ("is it possible to get my money back?")."""
    return bool(ASKS_WHETHER.search(said)) and not REQUESTS.search(said)


def about_a_payment(said: str) -> bool:
    """Whether the message is about one of this customer's payments (the billing team's, at once)."""
    if WOULD_BE_CHARGED.search(said) and asks_only_whether(said):
        return False  # a charge still to come, asked about: what the pricing articles say
    return bool(ACCOUNT_SPECIFIC.search(said)) or (bool(REFUND_WISH.search(said)) and not asks_only_whether(said))


def asks_for_plan_change(said: str) -> bool:
    return bool(PLAN_REQUEST.search(said)) and not (CONDITIONAL_CHANGE.search(said) and asks_only_whether(said))


class ActionBillingQuestion(Action):
    def name(self) -> str:
        return "action_billing_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        leave = leave_csat_question(tracker)
        said = normalise(text)
        if not routed_again(tracker) and asks_for_plan_change(said) and not about_a_payment(said):
            task = "cancel_subscription" if re.search(r"\bcancel|\bstop\b", said) else "subscription_change"
            return [*leave, *await route_again(tracker, text, intent=task)]
        if article_declined(tracker) or about_a_payment(said) or asks_for_person(text):
            dispatcher.utter_message(text=f"{TO_BILLING} I'll pass your question to them now.")
            if asks_for_person(text):
                reason = "customer_asked"
            elif article_declined(tracker):
                reason = "no_kb_answer"  # the article did not answer it ("No, ask the billing team")
            else:
                reason = "account_action"
            return [*leave, *await to_billing(dispatcher, tracker, text, reason)]
        hits = await search_kb(text)
        floor = get_searcher().settings.min_score
        hit = hits[0] if hits and (hits[0].answers or hits[0].related) else None
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
            *answer_with(dispatcher, tracker, hit, "From our help article", buttons=buttons, doubted=not hit.answers),
            SlotSet("kb_next", []),
            SlotSet(THEN_SLOT, {"intent": "billing_question", "text": text}),
        ]


async def to_billing(dispatcher: CollectingDispatcher, tracker: Tracker, question: str, reason: str) -> list[dict]:
    return await hand_over(
        dispatcher, tracker, reason=reason, queue="billing", note=f'Billing question: "{question[:300]}".'
    )
