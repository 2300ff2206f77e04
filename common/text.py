"""Customer text as plain words: lower case, accents, apostrophes and punctuation gone. Standard
library only, so the NLU components (Rasa's environment) and the action server read text alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHE = re.compile(r"['’`´]")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """ "Only THIS one!" -> "only this one"; "Don't" -> "dont"; "Wi-Fi" -> "wi fi"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_WORD.sub(" ", _APOSTROPHE.sub("", plain)).strip()
