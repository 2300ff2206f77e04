"""Yes or no to "Did that fix it?" and the like, from the words: "yep works now", "nope", "still the
same", "not really", "that did it". A success is only ever taken from a clear yes."""

from __future__ import annotations

import re

from bot.actions.understanding.signals import is_question as signals_question
from bot.actions.understanding.text import normalise, same_word

YES_WORDS = frozenset(
    {
        "yes", "yeah", "yep", "yup", "yea", "ya", "yh", "yas", "yess", "yesss", "y", "worked", "works", "fixed",
        "solved", "sorted", "resolved", "helped", "perfect", "great", "awesome", "brilliant", "excellent", "thanks",
        "thank", "thx", "ty", "cheers", "affirmative", "ja", "si", "oui",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "no", "nope", "nah", "nay", "n", "negative", "not", "didnt", "doesnt", "isnt", "hasnt", "wont", "cant",
        "still", "same", "nothing", "neither", "never", "broken", "worse", "nein", "non", "fails", "failed",
        "useless", "unfortunately", "sadly",
    }
)  # fmt: skip
# Beyond this many words only a clear phrase or a yes/no at the start counts: a longer message
# with "working" somewhere in it is telling something, not answering.
SHORT_ANSWER = 6
_NO_PHRASES = re.compile(
    r"\b(?:no luck|no change|no difference|didnt (?:work|help|fix|do)|did not (?:work|help|fix)|doesnt work|"
    r"does not work|not (?:working|fixed|really|quite|yet|helpful|solved)|still (?:not|the same|broken|happening|"
    r"dropping|crashing|slow|doesnt|does not|wont|cant|no)|same (?:problem|issue|thing|as before)|"
    r"hasnt (?:helped|worked|changed)|nothing changed|no good|not at all|made it worse|wont work|"
    r"that s not it|thats not it|it s not it|not it|"
    # the problem back: "it just dropped again", "crashed again", "the error came back"
    r"(?:drop|crash|freez|froze|happen|fail|stop|disconnect|cut|die|died|broke|lost|hang|hung|went|gone)\w* "
    r"(?:out |off |down |away )?again|came back|keeps (?:happening|doing it)|back to square one)\b"
)
_YES_PHRASES = re.compile(
    r"\b(?:that did it|did the trick|all good|works now|working now|working again|works again|it works|"
    r"that worked|that helped|problem solved|all sorted|back to normal|fixed it|sorted it|good now|fine now|"
    r"spot on|yes it did|it did)\b"
)


def yes_no(text: str) -> str | None:
    """ "yes", "no", or None when the answer says neither (or both)."""
    said = normalise(text)
    if not said:
        return None
    if signals_question(text) and not re.match(r"^(?:yes|yeah|yep|yup|no|nope|nah)\b", said):
        return None  # "ok, and how long until I get it?" is a new question, not a yes
    no = bool(_NO_PHRASES.search(said))
    yes = bool(_YES_PHRASES.search(said))
    if no != yes:
        return "no" if no else "yes"
    if no and yes:
        return None
    tokens = said.split()
    reach = len(tokens) if len(tokens) <= SHORT_ANSWER else 2
    first_no = next((i for i, w in enumerate(tokens[:reach]) if w in NO_WORDS), None)
    first_yes = next((i for i, w in enumerate(tokens[:reach]) if w in YES_WORDS or _fuzzy_yes(w)), None)
    if first_no is None and first_yes is None:
        return None
    if first_no is None:
        return "yes"
    if first_yes is None:
        return "no"
    # "no, it works now" is rarer than "yes but still slow": the first word decides only when it
    # is a plain yes or no; otherwise any no wins, so a success is never assumed.
    if first_yes == 0 and tokens[0] in ("yes", "yeah", "yep", "yup"):
        return None
    return "no"


def problem_persists(text: str) -> bool:
    """Words that say the problem is still there or back ("it dropped again", "still not working",
    "didn't help"), not a bare "no": "no thanks" to a rating question is no such news."""
    said = normalise(text)
    return bool(_NO_PHRASES.search(said)) and not _YES_PHRASES.search(said)


def _fuzzy_yes(word: str) -> bool:
    return len(word) >= 5 and any(same_word(word, w) for w in ("worked", "working", "fixed", "solved", "perfect"))
