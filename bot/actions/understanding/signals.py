"""What a message says about the conversation rather than the problem: "stop", "no, that's not it",
"not sure", "a person please", or a question on the side ("will I lose my files?").

Plain phrase lists on normalised text: these have to hold whatever the intent classifier makes of
a short message (a typed "only this" once scored as a complaint).
"""

from __future__ import annotations

import re

from bot.actions.understanding.text import normalise

_STOP = re.compile(
    r"^(?:(?:ok|okay|no|please|pls|just|actually|oh|hmm|ugh)\s+)*"
    r"(?:stop|stop it|stop this|stop that|cancel|cancel (?:it|this|that)|quit|exit|abort|end|enough|"
    r"never ?mind|nvm|nevermind|forget it|forget (?:about )?it|forget that|leave it|drop it|skip it|"
    r"i give up|lets stop|let s stop|i want to stop|i d like to stop|id like to stop|no more questions|"
    r"stop (?:the|these|your) (?:questions|troubleshooting|steps)|(?:cancel|stop) (?:the )?troubleshooting|"
    r"i(?: ll| will)? (?:try|do|look at) (?:it|this) later|(?:ill|i ll) come back later|not now)"
    r"(?:\s+(?:please|pls|thanks|thank you|then|now|for now))*$"
)
_CORRECTION = re.compile(
    r"\b(?:(?:no|nope|nah)?\s*(?:thats|that s|this is|its|it s) not (?:it|what i (?:meant|mean|said|asked|want|need)|"
    r"my (?:problem|issue|question)|the (?:problem|issue|question)|right|what s wrong|whats wrong)|"
    r"not what i (?:meant|mean|asked|said|wanted)|wrong (?:problem|issue|topic|thing|question)|"
    r"you (?:misunderstood|got it wrong|got me wrong|didnt understand|did not understand)|misunderstood|"
    r"(?:no|nope),? i (?:mean|meant)|i (?:meant|mean) (?:something else|a different)|different (?:problem|issue)|"
    r"(?:its|it s|thats|that s) (?:a different|another) (?:problem|issue|thing)|"
    r"nothing to do with|has nothing to do|not about (?:that|this|my)|"
    r"i (?:explained|described|put|said|phrased) (?:that|it|this|myself) (?:badly|wrong|wrongly|poorly)|"
    r"let me (?:rephrase|explain again|start again|put it another way)|i misspoke)\b"
)
# Leading words that only carry the correction ("no, that's not it. I mean: ...").
_CORRECTION_LEAD = re.compile(
    r"^.*?\b(?:i mean|i meant|what i mean is|actually|rather|instead|the problem is|my problem is|"
    r"the issue is|my issue is|its that|it s that|its about|it s about)\b\s*"
)
_UNKNOWN = re.compile(
    r"^(?:(?:um+|hm+|uh+|well|honestly|sorry|i|really|tbh|no)\s+)*"
    r"(?:not sure|no idea|idk|i dunno|dunno|dont know|do not know|don t know|unsure|no clue|not a clue|"
    r"cant tell|can t tell|cannot tell|cant say|can t say|no clue|who knows|maybe|not certain|"
    r"i (?:have|ve) no idea|havent (?:checked|looked)|haven t (?:checked|looked)|never checked|"
    r"not really sure|im not sure|i m not sure|i am not sure|no idea really|\?+)"
    r"(?:\s+(?:really|sorry|tbh|to be honest|actually|either))*$"
)
_REFUSAL = re.compile(
    r"\b(?:i (?:dont|do not|don t) want to (?:give|share|say|tell|type)|(?:id|i d|i would) rather not|"
    r"prefer not|not (?:giving|sharing|telling)|i (?:wont|will not|won t) (?:give|share|tell)|"
    r"none of your business|no way|i refuse)\b"
)
_PERSON = re.compile(
    r"\b(?:person|human|humans|agent|someone|somebody|representative|rep|operator|staff|real people|"
    r"support team|customer service|live chat|advisor|adviser|technician|supervisor|manager|call me|phone call)\b"
)
_SIMPLER = re.compile(
    r"\b(?:simpler|simply|simple|plain (?:english|words|language)|dont understand|don t understand|"
    r"do not understand|confus\w*|too technical|what does that mean|explain|in english|lost me|"
    r"more technical|more detail|details|technical version|step by step)\b"
)
_QUESTION_WORD = re.compile(
    r"^(?:how|what|whats|why|when|where|which|who|will|would|can|could|do|does|did|is|are|should|shall|"
    r"may|might|am|must|has|have|wait)\b"
)


# Words a message opens with that carry only the conversation ("no wait, quick question: ..."), and
# "I (only) wanted to know": one list for reading a question and for searching the KB with it.
LEAD_INS = (
    r"hi|hey|hello|ok|okay|so|no|nope|wait|actually|sorry|oh|well|and|but|also|first|please|pls|"
    r"quick question|question|just wondering|i was wondering|"
    # asides: a question on the side of what is going on
    r"by the way|btw|while (?:i ?['’]?m|i am) (?:here|at it)|one more thing|another thing|unrelated|off topic|"
    r"side note|random question"
)
WANTS_TO_KNOW = (
    r"(?:i|we)(?:\s*['’]?d| would)? (?:only |just |really |first |actually )*(?:want|wanted|wanna|like|need|needed) "
    r"to (?:know|ask|check|find out|understand|learn)"
)
_INFORMATION = re.compile(
    rf"^(?:(?:{LEAD_INS})\s+)*"
    rf"(?:{WANTS_TO_KNOW}|"
    r"how (?:do|can|should|would) (?:i|we|you)|how to|how much|how long|how many|where|what|whats|which|"
    r"when|who|can i|can we|could i|could we|may i|is it possible|is there|are there|is it|does|do i|do we|"
    r"do you|will i|will my|will it|will we|would i|would my|would it|would we|should i|am i able|is nimbus|"
    r"are my|is my|i was wondering|i wonder|if (?:i|my|we|our)\b.*\b(?:is|are|will|would|do|does|can)\b)\b"
)
# The same lead-ins on the customer's own text, and the politeness at its end.
_LEAD_IN = re.compile(rf"^(?:(?:{LEAD_INS})[\s,.!:;-]+)*(?:{WANTS_TO_KNOW}(?: first)?[\s,:]+)?", re.IGNORECASE)
_TRAIL = re.compile(r"[\s,]+(?:first|please|thanks|thank you)[\s.!?]*$", re.IGNORECASE)


def question_core(text: str) -> str:
    """The question without its conversational lead-in and tail, as the KB is searched with it
    ("no wait, I only wanted to know what Plus costs first" -> "what Plus costs"); the text itself
    if nothing is left."""
    core = _TRAIL.sub("", _LEAD_IN.sub("", text.strip(), count=1)).strip()
    return core if len(core.split()) >= 2 else text


# "How do I fix ...", "why does it keep ...": a problem to troubleshoot, not a fact to look up.
_FIX_REQUEST = re.compile(
    r"\b(?:fix|solve|repair|sort out|get rid of|stop (?:it|this|that|the|my)|troubleshoot|what (?:can|should|do) i do|"
    r"any ideas|help me)\b|^why\b"
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_REQUEST = re.compile(
    r"^(?:can|could|would|will) you\b|\bplease\b|\bfor me\b|"
    r"^i (?:need|want) (?:you|to (?!know|ask|check|find out|understand|learn))\b"
)


def wants_information(text: str) -> bool:
    """A question about how something works or where to find it ("how do I add a printer by IP?",
    "can I pay with PayPal?"), rather than a problem to fix or a request to do something."""
    said = normalise(text)
    sentences = [normalise(part) for part in _SENTENCE_END.split(text.strip())]
    if not said or _REQUEST.search(said) or any(_FIX_REQUEST.search(part) for part in sentences):
        return False
    return any(_INFORMATION.match(part) for part in sentences if part) or (
        text.strip().endswith("?") and len(said.split()) >= 4
    )


_CLAUSE_END = re.compile(r"[,;.?!]+\s*")


def besides_questions(text: str) -> str:
    """The message without its clauses that ask for information: "it's windows, how do I check
    the version?" tells "it's windows"; "btw how much does plus cost a month?" tells nothing (its
    "a month" is no answer about the problem)."""
    clauses = [c for c in _CLAUSE_END.split(text) if c.strip()]
    return ", ".join(c for c in clauses if not wants_information(c))


def is_stop(text: str) -> bool:
    return bool(_STOP.match(normalise(text)))


def is_unknown(text: str) -> bool:
    return bool(_UNKNOWN.match(normalise(text))) or text.strip() in ("?", "??", "???")


def is_correction(text: str) -> bool:
    return bool(_CORRECTION.search(normalise(text)))


def restated_problem(text: str) -> str:
    """What is left of a correction once its "no, that's not it" part is gone; "" if nothing."""
    said = normalise(text)
    rest = _CORRECTION_LEAD.sub("", said, count=1) if _CORRECTION_LEAD.match(said) else _CORRECTION.sub(" ", said)
    rest = re.sub(r"^(?:no|nope|nah|sorry|so|but|and|its|it s|i|ok|okay)\b\s*", "", rest.strip())
    return rest if len(rest.split()) >= 3 else ""


_LEADING_NO = re.compile(r"^\s*(?:no|nope|nah|not really)\b[\s,.!:;-]+(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)
_NEGATED_CLAUSE = re.compile(
    r"^(?:it\s*'?s|its|it is|that\s*'?s|thats|that is|this is)?\s*not\b[^,.;!?]*[,.;!?]\s*", re.IGNORECASE
)


def contradiction(text: str) -> str:
    """ "No, the page loads fine, it's the tab that crashes" / "no it's not crashing, the site stays
    blank": what the customer says instead, once the "no" and the denied clause are gone; "" when
    there is not enough left to be a problem of its own (then "no" is just an answer)."""
    found = _LEADING_NO.match(text)
    if not found:
        return ""
    rest = _NEGATED_CLAUSE.sub("", found.group("rest").strip(), count=1)
    said = normalise(rest)
    return said if len(said.split()) >= 4 else ""


_LACKS_IT = re.compile(
    r"\b(?:(?:dont|don t|do not|didnt|didn t) (?:have|got|get|know) (?:it|one|a key|the key|any)|"
    r"(?:cant|can t|cannot|couldnt) find (?:it|the key|my key|one)|lost (?:it|the key|my key|the email)|"
    r"no key|havent got (?:it|one)|where (?:do|can) i find (?:it|the key|my key))\b"
)


def lacks_it(text: str) -> bool:
    """ "I don't have it", "can't find the key": the customer cannot give what was asked."""
    return bool(_LACKS_IT.search(normalise(text)))


_TALK_TO = re.compile(
    r"\b(?:talk|speak|chat|get through|put me through|connect me|transfer me|pass me|hand me|hand this|"
    r"forward me|get me|want|need|like|prefer)\b.{0,40}\b(?:person|human|agent|someone|somebody|"
    r"representative|operator|staff|support team|customer service|technician|real people)\b"
)


def asks_to_talk_to_someone(text: str) -> bool:
    """ "I'd rather just talk to someone from your team": a request for a person, whatever else it says."""
    return bool(_TALK_TO.search(normalise(text)))


def is_refusal(text: str) -> bool:
    """ "I'd rather not give my email": the customer declines what was asked."""
    return bool(_REFUSAL.search(normalise(text)))


def asks_for_person(text: str) -> bool:
    return bool(_PERSON.search(normalise(text)))


def asks_other_wording(text: str) -> bool:
    return bool(_SIMPLER.search(normalise(text)))


def is_question(text: str) -> bool:
    """A question of its own ("how long will this take?"), not an answer: it ends with a question
    mark or starts like one, and has a few words."""
    said = normalise(text)
    n = len(said.split())
    return n >= 3 and (text.strip().endswith("?") or bool(_QUESTION_WORD.match(said)))
