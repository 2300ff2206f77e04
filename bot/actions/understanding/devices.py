"""Device names ("Galaxy S21", "my MacBook Air", "Surface Pro") as answers to the device and OS
questions at once, from the lexicon in bot/flows/devices.yml."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.actions.flow_content import DeviceName, flow_book
from bot.actions.understanding.text import normalise


@lru_cache(maxsize=1)
def _compiled() -> list[tuple[re.Pattern[str], DeviceName]]:
    return [(re.compile(rf"\b(?:{d.pattern})\b"), d) for d in flow_book().devices]


def device_facts(text: str) -> dict[str, str]:
    """{"device": ..., "os": ...} for the first device name in the text; {} when there is none."""
    said = normalise(text)
    for pattern, name in _compiled():
        if pattern.search(said):
            return {"device": name.device, **({"os": name.os} if name.os else {})}
    return {}
