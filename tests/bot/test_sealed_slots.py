"""A licence key the action server needs again travels through Rasa sealed: the tracker store
sees ciphertext only, and a tampered value is worth nothing."""

from __future__ import annotations

import pytest

from bot.actions import sealed_slots
from bot.actions.settings import ActionSettings

KEY = "NMB8X-3LD7Q-W4K9M-2RV5T"


@pytest.fixture(autouse=True)
def seal_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ActionSettings(_env_file=None, slot_seal_secret="a-test-seal-secret-of-enough-length")
    monkeypatch.setattr(sealed_slots, "get_settings", lambda: settings)


def test_a_sealed_key_reads_back_and_shows_nothing_of_the_key() -> None:
    sealed = sealed_slots.seal(KEY)
    assert sealed.startswith("sealed:") and KEY not in sealed and "NMB8X" not in sealed
    assert sealed_slots.unseal(sealed) == KEY
    assert sealed_slots.seal(KEY) != sealed  # a fresh nonce each time


def test_markers_pass_through_and_tampering_gives_none() -> None:
    assert sealed_slots.unseal("[no key]") == "[no key]" and sealed_slots.unseal(None) is None
    sealed = sealed_slots.seal(KEY)
    assert sealed_slots.unseal(sealed[:-4] + "AAAA") is None


def test_another_secret_cannot_open_it(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = sealed_slots.seal(KEY)
    other = ActionSettings(_env_file=None, slot_seal_secret="another-seal-secret-of-enough-length")
    monkeypatch.setattr(sealed_slots, "get_settings", lambda: other)
    assert sealed_slots.unseal(sealed) is None
