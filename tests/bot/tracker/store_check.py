"""Run by tests/bot/tracker/test_tracker_store.py in Rasa's environment: the redacting store's
incremental reads give exactly what Rasa's own SQL store reads, turn after turn, when another
process writes to the same conversation, when rows disappear, and across a new session."""

from __future__ import annotations

import asyncio
import sys
import time

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import RedactingSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  device: {type: text, mappings: [{type: custom}]}
"""
)


def store(cls: type[SQLTrackerStore], url: str) -> SQLTrackerStore:
    return cls(DOMAIN, host=url)  # as Rasa builds it from endpoints.yml's `url`


def as_dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    return [e.as_dict() for e in tracker.events] if tracker else []


async def turn(writer, sender: str, n: int, session_start: bool = False) -> None:
    tracker = await writer.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    now = time.time()
    if session_start:
        tracker.update(ActionExecuted("action_session_start", timestamp=now))
        tracker.update(SessionStarted(timestamp=now))
    tracker.update(UserUttered(f"message {n}", {"name": "greet", "confidence": 0.9}, timestamp=now))
    tracker.update(SlotSet("device", f"laptop {n}", timestamp=now))
    tracker.update(BotUttered(f"answer {n}", timestamp=now))
    tracker.update(ActionExecuted("action_listen", timestamp=now))
    await writer.save(tracker)


async def main(url: str) -> None:
    sender = f"check-{time.time_ns()}"
    ours, other = store(RedactingSQLTrackerStore, url), store(RedactingSQLTrackerStore, url)
    rasa = store(SQLTrackerStore, url)

    async def same() -> list[dict]:
        expected = as_dicts(await rasa.retrieve(sender))
        got = as_dicts(await ours.retrieve(sender))
        assert got == expected, (len(got), len(expected))
        return got

    assert await ours.retrieve(sender) is None
    await turn(ours, sender, 0, session_start=True)
    for n in range(1, 6):
        await turn(ours, sender, n)
        assert len(await same()) == 2 + 4 * (n + 1)
    assert (await ours.retrieve(sender)).get_slot("device") == "laptop 5"
    await turn(other, sender, 6)  # another process answers this customer
    assert (await same())[-3]["value"] == "laptop 6"
    # Rows removed behind the cache's back (a clean-up job): it reads everything again.
    with rasa.session_scope() as session:
        table = rasa.SQLEvent.__table__
        last = session.execute(sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender)).scalar_one()
        session.execute(table.delete().where(table.c.sender_id == sender, table.c.id < last - 8))
        session.commit()
    await same()
    await turn(ours, sender, 7, session_start=True)  # a new session: only its events
    got = await same()
    assert got[0]["name"] == "action_session_start" and len(got) == 6
    assert (await ours.retrieve_full_tracker(sender)).events  # every session, Rasa's way
    print("same events as Rasa's store")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
