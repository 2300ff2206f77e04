"""Every diagnosis answer one message gives: "windows 11 laptop, only this one, since monday" answers
os, device, scope and since at once, whichever of them was asked."""

from __future__ import annotations

import re

from bot.actions.flow_content import UNKNOWN, Flow, FlowBook
from bot.actions.understanding.devices import device_facts
from bot.actions.understanding.options import match_option
from bot.actions.understanding.signals import is_unknown
from bot.actions.understanding.text import normalise

CLAUSE_BREAK = re.compile(r"\bbut\b|[,;.!?]|\bwhile\b|\bwhereas\b|\balthough\b|\bthough\b", re.IGNORECASE)
WORKS_FINE = re.compile(r"\b(?:works?|working|fine|ok|okay|no problems?|no issues?|unaffected)\b")
# Questions whose answers are about the other devices or apps ("only mine, the others work fine",
# "only Nimbus fails, everything else works through the VPN").
ABOUT_OTHERS_TOO = frozenset({"scope", "other_sites", "slowness", "vpn_problem"})


def answer_to(name: str, book: FlowBook, text: str) -> str | None:
    """The answer to the question just asked: an option value, `unknown`, or None (not understood)."""
    question = book.questions[name]
    value = match_option(question, text, asked=True)
    if value is not None:
        return value
    if name in ("device", "os"):
        found = device_facts(text).get(name)
        if found:
            return found
    if is_unknown(text):
        return UNKNOWN
    return None


def facts_in(text: str, flow: Flow, book: FlowBook, asked: str | None = None) -> dict[str, str]:
    """Answers this message gives to the flow's questions. The asked question is read generously
    (positions, one-word answers, typos); the others only from unmistakable phrases."""
    found: dict[str, str] = {}
    if asked:
        value = answer_to(asked, book, text)
        if value is not None:
            found[asked] = value
    names = [*flow.questions, *flow.always_ask]
    for name, value in device_facts(text).items():
        if name in names and name not in found:
            found[name] = value
    clauses = [c for c in CLAUSE_BREAK.split(text) if c.strip()]
    for name in names:
        if name in found or name == asked or book.questions[name].asked_only:
            continue
        said = set()
        for clause in clauses:
            if name not in ABOUT_OTHERS_TOO and WORKS_FINE.search(normalise(clause)):
                continue  # "my phone on the Wi-Fi works fine" says nothing about the broken device
            value = match_option(book.questions[name], clause, asked=False)
            if value is not None:
                said.add(value)
        # Two options in one message ("Nimbus can't connect ... everything else works through the
        # VPN") is no unmistakable answer: the question is asked.
        if len(said) == 1:
            found[name] = said.pop()
    return found
