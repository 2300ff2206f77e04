"""Which option of a diagnosis question a typed answer means.

Tried in order: the whole answer is an option (its title, value or one of its `say` phrases), a
position ("the first one", "2"), then the best phrase found inside the answer (more words beat
fewer, exact beats a typo; "not X" does not count as X). Two options tied for best mean the answer
is ambiguous, and it is not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.actions.flow_content import UNKNOWN, Question
from bot.actions.understanding.text import find_phrase, normalise, words

# One-word answers that mean something only as the answer itself ("no", "both", "all"): inside a
# longer sentence they are too common to be read as a choice ("no internet", "all day").
GENERIC = frozenset(
    {
        "no",
        "nope",
        "nah",
        "n",
        "none",
        "nothing",
        "yes",
        "yeah",
        "yep",
        "yup",
        "yh",
        "ya",
        "y",
        "all",
        "every",
        "everything",
        "everyone",
        "everybody",
        "both",
        "other",
        "others",
        "fine",
        "only",
        "just",
        "one",
        "mine",
        "always",
        "sometimes",
        "random",
        "few",
        "many",
        "lots",
        "loads",
        "work",
        "personal",
        "private",
        "network",
        "cable",
        "wire",
        "job",
        "office",
        "mobile",
        "computer",
        "program",
        "late",
        "constant",
    }
)
NEGATIONS = frozenset({"not", "no", "isnt", "arent", "never", "without", "dont", "doesnt", "wasnt", "neither", "nor"})
ORDINALS = {
    "1": 0,
    "first": 0,
    "1st": 0,
    "top": 0,
    "one": 0,
    "2": 1,
    "second": 1,
    "2nd": 1,
    "two": 1,
    "middle": 1,
    "3": 2,
    "third": 2,
    "3rd": 2,
    "three": 2,
    "4": 3,
    "fourth": 3,
    "4th": 3,
    "four": 3,
    "5": 4,
    "fifth": 4,
    "5th": 4,
    "five": 4,
    "6": 5,
    "sixth": 5,
    "6th": 5,
    "six": 5,
}
_ORDINAL = re.compile(
    r"^(?:(?:the|option|number|no|nr|button|choice|its|it s|i think|i guess)\s+)*"
    r"(?P<n>\w+)(?:\s+(?:one|option|button|choice|please|pls))*$"
)


@dataclass(frozen=True)
class Match:
    value: str
    start: int  # word positions in the normalised answer
    end: int
    words: int  # how many words the matched phrase has
    exact: bool

    @property
    def rank(self) -> tuple[int, bool, int]:
        return (self.words, self.exact, self.end - self.start)


# Words that end the reach of a "not" before them: "not the phone but the laptop".
NEGATION_STOPS = frozenset({"but", "its", "it", "is", "thats", "just", "only", "rather", "instead"})


def negated(said: list[str], start: int, reach: int = 3) -> bool:
    for i in range(start - 1, max(start - 1 - reach, -1), -1):
        if said[i] in NEGATION_STOPS:
            return False
        if said[i] in NEGATIONS:
            return True
    return False


def whole_answer(question: Question, text: str) -> str | None:
    said = normalise(text)
    if not said:
        return None
    for value in question.options:
        if any(normalise(p) == said for p in question.phrases(value)):
            return value
    return None


def by_position(question: Question, text: str, extra_buttons: int = 0) -> str | None:
    """ "the first one", "2", "last": the option at that place among the buttons. One past the last
    option is the "Not sure" button the bot adds (`extra_buttons`)."""
    found = _ORDINAL.match(normalise(text))
    if not found:
        return None
    values = list(question.options)
    word = found.group("n")
    index = len(values) + extra_buttons - 1 if word in ("last", "bottom") else ORDINALS.get(word)
    if index is None:
        return None
    if index < len(values):
        return values[index]
    return UNKNOWN if index < len(values) + extra_buttons else None


# Words that lead into a short answer without saying anything ("the computer program", "my laptop
# one", "on the phone"): a generic option word right after them is the answer's head word.
LEAD_WORDS = frozenset({"the", "a", "an", "my", "our", "its", "on", "in", "from", "with", "using", "via"})


# Generic words that stand in for a noun ("the one upstairs", "the other one"): after a lead word
# they say nothing about which option is meant.
STANDS_IN = frozenset({"one", "other", "others", "mine", "all", "both", "every", "everything", "none", "nothing"})


def head(said: list[str]) -> list[str]:
    """The answer without its leading lead words."""
    i = 0
    while i < len(said) - 1 and said[i] in LEAD_WORDS:
        i += 1
    return said[i:]


def phrase_matches(question: Question, text: str, asked: bool) -> list[Match]:
    """Every option phrase found in the answer. Outside its own question (`asked` false) only
    phrases specific enough to be unmistakable count; a generic one-word phrase ("computer",
    "phone") counts in an answer of two words, or as its head word ("the computer program")."""
    said = words(text)
    core = head(said)
    found: list[Match] = []
    for value in question.options:
        for phrase in question.phrases(value):
            target = words(phrase)
            if not target:
                continue
            generic = len(target) == 1 and target[0] in GENERIC
            heads = core and core[0] == target[0] and target[0] not in STANDS_IN
            if generic and (not asked or not said or (said[0] != target[0] and len(said) > 2 and not heads)):
                continue
            hit = find_phrase(said, target, fuzzy=asked or len(target) > 1)
            if hit is None:
                continue
            start, end, exact = hit
            if target[0] not in NEGATIONS and negated(said, start):
                continue  # "not the router", "not google or microsoft": the customer rules it out
            found.append(Match(value, start, end, len(target), exact))
    return found


def best_match(question: Question, text: str, asked: bool) -> Match | None:
    matches = phrase_matches(question, text, asked)
    if not matches:
        return None
    best = max(m.rank for m in matches)
    winners = {m.value for m in matches if m.rank == best}
    if len(winners) > 1:
        return None  # "windows or mac?": two answers at once is no answer
    return next(m for m in matches if m.rank == best)


def match_option(question: Question, text: str, asked: bool = True, extra_buttons: int = 1) -> str | None:
    """The option value `text` means, or None. `asked`: the question was just asked, so positions
    and one-word answers count."""
    value = whole_answer(question, text)
    if value is not None:
        return value
    if asked:
        value = by_position(question, text, extra_buttons)
        if value is not None:
            return value
    found = best_match(question, text, asked)
    return found.value if found else None
