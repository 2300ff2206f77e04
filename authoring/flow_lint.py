"""`make validate`'s check of the troubleshooting flows (bot/flows/): what the action server would
refuse to load (a step depending on a question its flow never asks, an unknown option, a typed
phrase claimed by two options of one question, a device name giving an unknown answer)."""

from __future__ import annotations

import re
from pathlib import Path

from authoring.problems import Problem
from bot.actions.flow_content import FlowError, load_flows

QUOTED = re.compile(r"'([^']+)'")


def check(folder: Path) -> list[Problem]:
    try:
        load_flows(folder)
    except FlowError as exc:
        message = str(exc)
        path_text, _, reason = message.partition(": ")
        path = Path(path_text) if path_text.endswith(".yml") else folder / "questions.yml"
        return [Problem(path, line_naming(path, QUOTED.findall(reason)), reason or message)]
    return []


def line_naming(path: Path, names: list[str]) -> int:
    """The first line that names the first quoted thing of the message (a phrase, a step)."""
    if not names or not path.is_file():
        return 1
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if names[0] in line:
            return number
    return 1
