"""The intents that say nothing about the customer's problem: small talk, yes/no, asking for a
person, Rasa's own fallback and session control. The analytics leave them out of "what the
conversation was about" (insights/conversations.py), and a KB draft from a ticket takes its title
and tags from the other intents (handoff_api/kb_drafts.py)."""

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
