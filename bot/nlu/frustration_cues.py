"""How angry a message is, and whether anger alone should hand the conversation over.

Plain text rules, no Rasa: the NLU component (bot/nlu/frustration.py) and the action server both
read them. Cues are scored (unmistakable phrases 3, strong ones 2, milder words and shouting 1);
at THRESHOLD a message is frustrated. Frustration about a problem the bot can fix is acknowledged
and the fix goes on ("THIS APP CRASHES EVERY TIME!!!" gets an apology, a way to a person and the
crash steps). It hands over at once only when there is no problem to work on, when the anger is
unmistakable ("fed up", "unacceptable"), or when the customer has already tried and failed
("tried everything", "third time this week", "wasted my whole morning"): another round of steps
is then the last thing they want.
"""

from __future__ import annotations

import re

from common.text import normalise

THRESHOLD = 3

# Unmistakable on their own (3, the threshold): no one writes these calmly.
FURIOUS = re.compile(
    r"\b(?:furious|fuming|livid|outrageous|disgrace\w*|pathetic|unacceptable|sick and tired|fed up|had enough|"
    r"(?:lost|losing) my patience|what the hell|wtf|"
    r"(?:worst|terrible|awful|horrible|rubbish|garbage) (?:service|support|"
    r"app|company|experience|product|software)|this is a joke|absolute (?:joke|nightmare)|total nightmare|scam|"
    r"(?:ive|i ve|i have) had it|are you kidding|how many times do i have to|(?:make|file|lodge) a complaint|"
    r"very disappointed|(?:so|really|extremely|very) angry|pissed off|your software is garbage|incompetent)\b"
)
# Strong, but also said of a device or a situation ("my phone is useless"): 2.
STRONG = re.compile(
    r"\b(?:sick of|ridiculous|useless|waste of (?:my )?time|wasting my time|wasted (?:my|the|a) (?:whole|entire)?|"
    r"you people|(?:im|i m|i am) (?:so )?done|so done with|(?:could|want to|going to|will) scream|"
    r"nothing ever (?:works|gets fixed|changes)|never (?:ever )?works|every single time|"
    r"(?:third|fourth|fifth|tenth) time|for the last time|beyond frustrat\w*|(?:so|really|extremely|very) frustrat\w*|"
    r"(?:cant|can t|cannot) believe|(?:im|i m|i am) (?:angry|pissed)|fix it now|sort it out now|garbage|a mess)\b"
)
MILD = re.compile(
    r"\b(?:frustrat\w*|annoy\w*|ugh+|seriously|again|(?:already )?tried everything|nothing (?:works|helps)|"
    r"hours|all day|whole (?:morning|day|week|evening)|keep missing|still)\b"
)
# Shouting: words in capitals that are not the usual abbreviations.
ABBREVIATIONS = frozenset(
    {"VPN", "PC", "USB", "WIFI", "WI", "FI", "OK", "IT", "IOS", "OS", "PDF", "DNS", "IP", "TV", "ID", "PIN", "SMS",
     "NIM", "REF", "UK", "US", "EU", "MAC", "HP", "LAN", "ISP", "AM", "PM", "FAQ", "IMAP", "SMTP", "API", "GB", "MB"}
)  # fmt: skip
SHOUT = re.compile(r"\b[A-Z]{3,}\b")
# The customer has already been through fixes that failed, today or before, or a step just failed
# ("NO, STILL CRASHING!!!" after a step is anger after a failed step: a person takes over).
ALREADY_TRIED = re.compile(
    r"\b(?:still|(?:didnt|didn t|did not|doesnt|doesn t|does not) (?:work|help|fix)|same (?:thing|problem) again|"
    r"tried (?:everything|all|every\w*)|already tried|(?:ive|i ve|i have) tried|"
    r"nothing (?:ever )?(?:works|helps|helped|worked)|"
    r"none of (?:it|this|that|them|your \w+) (?:works|helps|helped|worked)|"
    r"(?:second|third|fourth|fifth|tenth|umpteenth) time|how many times|again and again|over and over|"
    r"wasted|(?:all|whole|entire) (?:morning|day|afternoon|evening|week|night)|for (?:hours|days|weeks)|"
    r"keeps? happening)\b"
)


def frustration_score(text: str) -> int:
    said = normalise(text)
    score = 3 * len(FURIOUS.findall(said)) + 2 * len(STRONG.findall(said)) + min(len(MILD.findall(said)), 2)
    shouting = [w for w in SHOUT.findall(text) if w not in ABBREVIATIONS]
    score += min(len(shouting), 2) + (1 if "!!" in text else 0)
    return score


def is_frustrated(text: str) -> bool:
    return not text.startswith("/") and frustration_score(text) >= THRESHOLD


def hand_over_at_once(text: str, names_a_problem: bool) -> bool:
    """A frustrated message that the bot should not try to work through itself."""
    if not is_frustrated(text):
        return False
    said = normalise(text)
    return not names_a_problem or bool(FURIOUS.search(said)) or bool(ALREADY_TRIED.search(said))
