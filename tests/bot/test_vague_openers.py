"""A problem reported without saying what it is gets one open question with the main areas as
buttons (bot/nlu/vague_opener_cues.py decides, bot/actions/triage.py asks), never a ticket."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.triage import AREAS, ActionAskProblemArea
from bot.nlu.vague_opener_cues import is_vague_problem

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    "text",
    [
        "it's not working",
        "nimbus has been acting weird since this morning",
        "hey, i have an issue",
        "HELP",
        "something is wrong with the app again",
        "can you help me with a problem",
    ],
)
def test_a_problem_without_an_area_is_vague(text: str) -> None:
    assert is_vague_problem(text)


@pytest.mark.parametrize(
    "text",
    [
        "my wifi is not working",
        "the app keeps crashing when i open a photo",
        "i have a problem, can i talk to a person",
        "i forgot my password",
        "hello",
        "/deny",
    ],
)
def test_anything_concrete_is_not_vague(text: str) -> None:
    assert not is_vague_problem(text)


def tracker(*said: str) -> Tracker:
    events: list[dict[str, Any]] = []
    for text in said:
        events.append({"event": "user", "text": text, "parse_data": {"intent": {"name": "vague_problem"}}})
        events.append({"event": "bot", "text": "..."})
    latest = {"text": said[-1], "intent": {"name": "vague_problem", "confidence": 0.9}, "entities": []}
    return Tracker("c1", {}, latest, events[:-1], False, None, {}, "action_listen")


async def test_the_first_vague_message_gets_the_areas_and_the_second_a_fuller_question() -> None:
    first = CollectingDispatcher()
    await ActionAskProblemArea().run(first, tracker("nimbus is acting up"), {})
    assert "What's giving you trouble?" in first.messages[-1]["text"]
    titles = [b["title"] for b in first.messages[-1]["buttons"]]
    assert titles == [a["title"] for a in AREAS] and "Talk to a person" in titles
    second = CollectingDispatcher()
    await ActionAskProblemArea().run(second, tracker("nimbus is acting up", "it just isn't working"), {})
    assert "can't tell yet what's wrong" in second.messages[-1]["text"]


async def test_an_angry_vague_message_is_acknowledged_first() -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskProblemArea().run(dispatcher, tracker("NOTHING IS WORKING!!!"), {})
    assert "sorry" in dispatcher.messages[0]["text"].lower() and len(dispatcher.messages) == 2
