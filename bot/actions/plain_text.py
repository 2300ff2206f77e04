"""Text the customer (or another customer) gave, shown back as plain text: the widget renders the
bot's messages as Markdown, so a device "name" such as `[click](https://evil.example)` would
otherwise become a link in the next key owner's chat."""

from __future__ import annotations

import re

MAX_NAME_CHARS = 40
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
# A device name is a label: letters, digits, spaces and a little punctuation, nothing that renders.
_NOT_IN_A_NAME = re.compile(r"[^\w .'\-]+")


def as_plain(text: str) -> str:
    """`text` with every Markdown character escaped, so it shows as typed."""
    return _MARKDOWN.sub(r"\\\1", text)


def safe_name(text: str, fallback: str) -> str:
    """A short label made of what is harmless in `text` (for names that are stored and shown later)."""
    name = " ".join(_NOT_IN_A_NAME.sub(" ", text).split())[:MAX_NAME_CHARS].strip()
    return name or fallback
