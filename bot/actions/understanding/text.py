"""Customer text as words to match: lower case, accents and punctuation gone, and a word equality
that forgives one typo (two letters swapped, one missing, extra or wrong) in longer words."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from common.text import normalise


def words(text: str) -> list[str]:
    return normalise(text).split()


def allowed_typos(word: str) -> int:
    # Short words carry too little to guess from: "win" and "wan" are different answers.
    if len(word) >= 8:
        return 2
    if len(word) >= 5:
        return 1
    return 0


@lru_cache(maxsize=65536)
def same_word(said: str, expected: str) -> bool:
    """Equal, a plural of it, or within the typo allowance (Damerau-Levenshtein)."""
    if said == expected or said.rstrip("s") == expected.rstrip("s") and min(len(said), len(expected)) >= 3:
        return True
    allowance = allowed_typos(expected)
    if not allowance or abs(len(said) - len(expected)) > allowance or said[0] != expected[0] and allowance < 2:
        return False
    return DamerauLevenshtein.distance(said, expected, score_cutoff=allowance) <= allowance


def find_phrase(said: list[str], phrase: list[str], fuzzy: bool = True) -> tuple[int, int, bool] | None:
    """Where the words of `phrase` occur in a row in `said`: (start, end, exact), exact matches first."""
    n = len(phrase)
    if not n or n > len(said):
        return None
    fuzzy_hit = None
    for i in range(len(said) - n + 1):
        window = said[i : i + n]
        if window == phrase:
            return i, i + n, True
        if fuzzy and fuzzy_hit is None and all(same_word(w, p) for w, p in zip(window, phrase, strict=True)):
            fuzzy_hit = (i, i + n, False)
    return fuzzy_hit
