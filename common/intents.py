"""The intents by what they say about the customer's problem, for every part that reads them (the
NLU's rule components, the action server, the analytics): standard library only, so both Python
environments import it.

- CONVERSATIONAL_INTENTS say nothing about it: small talk, yes/no, asking for a person, Rasa's own
  fallback and session control. The analytics leave them out of "what the conversation was about"
  (insights/conversations.py), and a KB draft from a ticket takes its title and tags from the other
  intents (handoff_api/kb_drafts.py).
- SUPPORT_INTENTS name a problem or a request the bot can take up on its own.
- FIXABLE_PROBLEMS are the problems it works on with the customer (a flow or a task): anger about
  one of them is acknowledged and the problem worked on (bot/nlu/frustration.py)."""

from __future__ import annotations

CONVERSATIONAL_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "affirm",
        "deny",
        "thank",
        "bot_challenge",
        "request_human",
        "complain",
        "out_of_scope",
        "explain_simpler",
        "nlu_fallback",
        "session_start",
        # "Something's wrong" without saying what: the next messages say what it was about.
        "vague_problem",
    }
)

SUPPORT_INTENTS = frozenset(
    {
        "password_reset",
        "account_locked",
        "two_factor_problem",
        "login_trouble",
        "wifi_dropout",
        "no_internet",
        "vpn_issue",
        "app_crash",
        "install_update",
        "software_activation",
        "subscription_change",
        "cancel_subscription",
        "billing_question",
        "printer_issue",
        "browser_issue",
        "email_sync",
        "slow_device",
        "ticket_status",
        "ask_howto",
    }
)

# Plans, billing, ticket status and how-to questions are not problems to work through together.
FIXABLE_PROBLEMS = (
    SUPPORT_INTENTS - {"subscription_change", "cancel_subscription", "billing_question", "ticket_status", "ask_howto"}
) | {"vague_problem"}
