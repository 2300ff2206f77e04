"""Device names ("Galaxy S21", "my MacBook Air", "Surface Pro") as answers to the device and OS
questions at once, from the lexicon in bot/flows/devices.yml."""

from __future__ import annotations

import re

from bot.actions.flow_content import DeviceName, FlowBook, flow_book
from bot.actions.understanding.text import normalise

_cache: dict[int, tuple[FlowBook, list[tuple[re.Pattern[str], DeviceName]]]] = {}


def _compiled() -> list[tuple[re.Pattern[str], DeviceName]]:
    """The lexicon's patterns, compiled once per loaded flow book (the flows reload on change)."""
    book = flow_book()
    cached = _cache.get(id(book))
    if cached is None or cached[0] is not book:
        _cache.clear()
        cached = _cache[id(book)] = (book, [(re.compile(rf"\b(?:{d.pattern})\b"), d) for d in book.devices])
    return cached[1]


def device_facts(text: str) -> dict[str, str]:
    """{"device": ..., "os": ...} for the first device name in the text; {} when there is none."""
    said = normalise(text)
    for pattern, name in _compiled():
        if pattern.search(said):
            return {"device": name.device, **({"os": name.os} if name.os else {})}
    return {}
