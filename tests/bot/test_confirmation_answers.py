"""Every yes/no question a capability puts through confirm_form has the answer it registered
(bot/actions/asking.py on_answer): a yes is never silently dropped."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import bot.actions
from bot.actions.asking import ANSWERS, on_answer

ACTIONS = Path(bot.actions.__file__).parent


def test_every_question_asked_through_confirm_form_has_a_registered_answer() -> None:
    for module in pkgutil.iter_modules([str(ACTIONS)]):  # as the action server registers the package
        importlib.import_module(f"bot.actions.{module.name}")
    asked = {
        pending
        for path in ACTIONS.glob("*.py")
        for pending in re.findall(r"\bconfirm\(\s*\"(\w+)\"", path.read_text(encoding="utf-8"))
    }
    assert asked and asked <= set(ANSWERS), sorted(asked - set(ANSWERS))


def test_one_answer_per_question() -> None:
    import pytest

    with pytest.raises(ValueError, match="a second answer handler"):
        on_answer("offer_person")(lambda dispatcher, tracker, yes: None)  # type: ignore[arg-type,return-value]
