"""A customer's message as sentences (spaCy's rule-based sentencizer, the one that chunks the
articles), so a long message can be read one sentence at a time: greetings, apologies and
backstory then do not decide what the problem is."""

from __future__ import annotations

from kb_index.chunking import sentencizer

# Longer messages are cut: the problem is rarely in the eighth sentence, and each one read costs a parse.
MAX_SENTENCES = 6


def sentences(text: str) -> list[str]:
    """The sentences of `text` in order (at most MAX_SENTENCES), blank lines and empty ones gone."""
    found: list[str] = []
    for line in text.splitlines():
        if line.strip():
            found += [s.text.strip() for s in sentencizer()(line.strip()).sents if s.text.strip()]
    return found[:MAX_SENTENCES]
