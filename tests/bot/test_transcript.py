"""The transcript a ticket carries: what the customer saw, with secrets masked."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.actions.transcript import transcript_from_tracker


def tracker(events: list[dict]) -> Tracker:
    return Tracker("t-1", {}, {}, events, False, None, {}, "action_listen")


def user(text: str, metadata: dict | None = None, intent: str = "request_human") -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    return {"event": "user", "text": text, "parse_data": parse, "metadata": metadata or {}, "timestamp": 1.0}


def test_a_tapped_button_shows_as_its_title_with_the_intent_kept() -> None:
    turns = transcript_from_tracker(tracker([user("/request_human", {"button_title": "Talk to a person"})]))
    assert turns[0]["text"] == "Talk to a person" and turns[0]["intent"] == "request_human"


def test_a_payload_without_a_title_or_typed_text_is_kept_as_sent() -> None:
    turns = transcript_from_tracker(
        tracker(
            [
                user("/affirm", intent="affirm"),
                user("hello", {"button_title": "Yes"}, intent="greet"),  # typed text wins over a stray title
                user("/deny", {"button_title": "  "}, intent="deny"),
            ]
        )
    )
    assert [t["text"] for t in turns] == ["/affirm", "hello", "/deny"]


def test_custom_payloads_for_the_widget_are_not_turns() -> None:
    events = [
        user("hi", intent="greet"),
        {"event": "bot", "text": "Hello!", "data": {}, "timestamp": 2.0},
        {"event": "bot", "text": None, "data": {"custom": {"data": {"tier0": {"ticket": {"id": "NIM-000001"}}}}}},
    ]
    assert [t["text"] for t in transcript_from_tracker(tracker(events))] == ["hi", "Hello!"]
