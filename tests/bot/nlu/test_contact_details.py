"""Which messages only give an email address (intent give_email) and which say more: parsed by the
trained model, so the email entity comes from the real extractors."""

from __future__ import annotations

from tests.bot.nlu.test_heldout import parse

ON_ITS_OWN = [
    "robin.k@example.org",
    "Robin.K@Example.org",
    "you can reach me at robin.k@example.org",
    "my email is robin.k@example.org thanks",
    "it's robin.k@example.org",
    "email: robin.k@example.org",
    "sure, robin.k@example.org",
    "send the answer to robin.k@example.org please",
]
SAYS_MORE = [
    "password reset for robin.k@example.org",
    "my account robin.k@example.org is locked",
    "robin.k@example.org can't log in",
    "the wifi keeps dropping, my email is robin.k@example.org",
    "2fa code never arrives at robin.k@example.org",
]


def test_an_address_on_its_own_is_give_email_and_one_with_a_request_is_not() -> None:
    parsed = parse(ON_ITS_OWN + SAYS_MORE)
    got = dict(zip(ON_ITS_OWN + SAYS_MORE, (p["predicted"] for p in parsed), strict=True))
    assert all(got[text] == "give_email" for text in ON_ITS_OWN), got
    assert not any(got[text] == "give_email" for text in SAYS_MORE), got
    assert all(
        any(e["entity"] == "email" and e["value"].lower() == "robin.k@example.org" for e in p["entities"])
        for p in parsed
    )
