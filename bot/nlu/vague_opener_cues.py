"""A problem reported without saying what it is: "it's not working", "nimbus is acting up",
"I have a problem", "help, nothing works".

Plain text rules, no Rasa: the NLU component (bot/nlu/vague_openers.py) and the action server both
read them. A message is vague when it carries a problem word and, once generic words are set aside
(pronouns, "nimbus", "the app", "everything", time words, the problem words themselves), nothing is
left that names an area. Anything concrete ("wifi", "password", "crashes", "a person") leaves a word
behind, so the message is not vague. The bot answers a vague one with one open question and the
main areas as buttons, never a ticket.
"""

from __future__ import annotations

import re

from common.text import normalise

PROBLEM = re.compile(
    r"\b(?:not working|isnt working|wasnt working|doesnt work|does not work|dont work|wont work|cant work|"
    r"stopped working|quit working|no longer works|broken|broke|acting up|acting weird|acting strange|playing up|"
    r"messed up|screwed up|wrong|problems?|issues?|trouble|glitch\w*|bug\w*|help|nothing works|not right|"
    r"weird|strange|funny|off)\b"
)
GENERIC = frozenset(
    """
    a an the and or but so then also just only really very so totally completely quite bit little all any some
    i im ive id me my mine we our us you your youre it its itself this that these those there here thing things
    stuff everything something somethings anything nothing whole theres whats
    is are was were be been being am do does did doing dont doesnt didnt isnt arent wasnt werent wont cant cannot
    can could would should will shall may might must have has had having got get getting gets keep keeps kept
    seem seems seemed go goes going gone went come comes
    not no never again still anymore any more lately today now yesterday tonight morning since recently suddenly
    always sometimes
    hi hello hey hiya morning evening afternoon please pls thanks thank ok okay oh ugh hmm um uh well yeah yes guys
    team
    nimbus app apps application program software service account tool
    working work works worked acting act playing play up wrong problem problems issue issues trouble troubles
    broken broke weird strange funny odd off right properly correctly fine good messed screwed glitch glitchy
    glitching bug buggy bugged help helps need needs want wanted fix fixed sort sorted out
    what whats why how idea know sure going on with of on in for to at from about by as into
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def is_vague_problem(text: str) -> bool:
    if text.startswith("/"):
        return False
    said = normalise(text)
    if not PROBLEM.search(said):
        return False
    return all(word in GENERIC for word in said.split())
