"""Teach a flow question new answers: an inbox group of unmatched answers becomes `say` phrases of
one option in bot/flows/questions.yml, and a group that is no answer at all is marked as noise.

The question bank is written by hand (flow-style lists wrapped by the writers, comments), so it is
edited in place, not re-emitted by a YAML round trip: PyYAML's node graph says where the option's
`say` list ends, the new phrases go in there, and every other byte stays. The result must load as
flows (bot/actions/flow_content.load_flows: no phrase claimed by two options of a question) before
it atomically replaces the file; the running action server picks it up on its next turn.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.actions.flow_content import FlowError, load_flows
from insights.inbox import normalise

QUESTIONS_FILE = "questions.yml"
# Answers marked "not an answer" in the review inbox, per question: they leave the inbox. Kept next
# to the flows so the whole team shares the decision and it is versioned with them.
NOISE_FILE = "noise.yml"
NOISE_HEADER = (
    "# Answers to flow questions that the review inbox marked as noise (not an answer to teach):\n"
    "# they are no longer listed there. Written by `python -m insights inbox noise` and /staff/inbox.\n"
)
# A flow list is wrapped before it grows past this many characters (the file's own style).
LINE_WIDTH = 110
_write_lock = threading.Lock()


class VariantError(ValueError):
    """Nothing was written; the message says why."""


@dataclass
class VariantResult:
    question: str
    option: str
    path: Path
    diff: str
    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (text, why)
    written: bool = False
    asked: str = ""  # the question as customers saw it (for the page that shows the diff)

    def summary(self) -> str:
        verb = "Added" if self.written else "Would add"
        n = len(self.added)
        said = f"{verb} {n} answer{'s' if n != 1 else ''} to option {self.option!r} of {self.question!r} in {self.path}"
        if self.skipped:
            said += "; skipped " + "; ".join(f"{text!r} ({why})" for text, why in self.skipped)
        return said + "."


def _node(mapping: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(mapping, yaml.MappingNode):
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _key_node(mapping: yaml.Node, key: str) -> yaml.Node:
    return next(k for k, _ in mapping.value if isinstance(k, yaml.ScalarNode) and k.value == key)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _append_to_flow_list(text: str, say: yaml.SequenceNode, phrases: list[str]) -> str:
    end = say.end_mark.index - 1  # the closing bracket
    if text[end] != "]":
        raise VariantError("the option's `say` list is not a [..] list where expected")
    items = [_quoted(p) for p in phrases]
    lead = ", " if say.value else ""
    line_start = _line_start(text, end)
    # Continuation lines line up under the first item, as the writers wrap them.
    indent = " " * (say.start_mark.column + 1)
    out, width = "", end - line_start
    for i, item in enumerate(items):
        sep = lead if i == 0 else ", "
        if width + len(sep) + len(item) + 1 > LINE_WIDTH and (say.value or i):
            out += sep.rstrip() + "\n" + indent + item
            width = len(indent) + len(item)
        else:
            out += sep + item
            width += len(sep) + len(item)
    return text[:end] + out + text[end:]


def _add_phrases(text: str, question: str, option: str, phrases: list[str]) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    node = _node(_node(_node(_node(root, "questions"), question), "options"), option)
    if node is None:
        raise VariantError(f"{question!r} has no option {option!r}")
    if isinstance(node, yaml.ScalarNode):
        # `windows: "Windows"`: the short form becomes {title, say}.
        key = _key_node(_node(_node(_node(root, "questions"), question), "options"), option)
        indent = " " * (key.start_mark.column + 2)
        start, end = node.start_mark.index, node.end_mark.index
        block = f"\n{indent}title: {text[start:end]}\n{indent}say: [{', '.join(_quoted(p) for p in phrases)}]"
        return text[: key.end_mark.index] + ":" + block + text[end:]
    say = _node(node, "say")
    if isinstance(say, yaml.SequenceNode) and say.flow_style:
        return _append_to_flow_list(text, say, phrases)
    if isinstance(say, yaml.SequenceNode):  # a block list: a "- item" line each, after the last
        last = say.value[-1]
        prefix = text[_line_start(text, last.start_mark.index) : last.start_mark.index]
        return _after_line(text, last.end_mark.index, "".join(f"\n{prefix}{_quoted(p)}" for p in phrases))
    if say is not None:
        raise VariantError(f"the `say` of {question}/{option} is not a list")
    # A mapping without `say`: a line after its last value, at the indentation of its keys.
    indent = " " * node.value[0][0].start_mark.column
    last_value = node.value[-1][1]
    return _after_line(text, last_value.end_mark.index, f"\n{indent}say: [{', '.join(_quoted(p) for p in phrases)}]")


def _after_line(text: str, index: int, insert: str) -> str:
    """`insert` at the end of the line that holds `index`."""
    at = text.find("\n", index)
    at = len(text) if at < 0 else at
    return text[:at] + insert + text[at:]


def _check(folder: Path, new_text: str) -> None:
    """The edited bank must load as flows (copied beside the real ones, never in place)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "flows"
        shutil.copytree(folder, copy)
        (copy / QUESTIONS_FILE).write_text(new_text, encoding="utf-8")
        try:
            load_flows(copy)
        except FlowError as exc:
            raise VariantError(str(exc).replace(str(copy), str(folder))) from exc


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_variants(flows_dir: Path, question: str, option: str, texts: list[str], write: bool) -> VariantResult:
    """Add `texts` as `say` phrases of `option`; with write=False only the diff is made."""
    path = flows_dir / QUESTIONS_FILE
    with _write_lock:
        book = load_flows(flows_dir)
        if question not in book.questions:
            raise VariantError(f"no question {question!r} in {path}: only diagnosis questions take new answers")
        bank = book.questions[question]
        if option not in bank.options:
            raise VariantError(f"{question!r} has no option {option!r} (options: {', '.join(bank.options)})")
        claimed = {normalise(p): value for value in bank.options for p in bank.phrases(value)}
        result = VariantResult(question, option, path, "")
        for text in dict.fromkeys(normalise(t) for t in texts):
            if not text:
                continue
            if text in claimed:
                owner = claimed[text]
                result.skipped.append((text, "already this option" if owner == option else f"already option {owner!r}"))
            else:
                result.added.append(text)
        if not result.added:
            return result
        old = path.read_text(encoding="utf-8")
        new = _add_phrases(old, question, option, result.added)
        _check(flows_dir, new)
        result.diff = "".join(
            difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path.name}", f"b/{path.name}"
            )
        )
        if write:
            _replace(path, new)
            result.written = True
        return result


def answered_phrases(flows_dir: Path) -> dict[str, set[str]]:
    """Question -> normalised answers it already understands as a whole (an option's value,
    title or `say` phrase) or that were marked as noise: the inbox leaves them out."""
    known = {
        name: {normalise(p) for value in q.options for p in q.phrases(value)}
        for name, q in load_flows(flows_dir).questions.items()
    }
    for question, texts in read_noise(flows_dir).items():
        known.setdefault(question, set()).update(texts)
    return known


def read_noise(flows_dir: Path) -> dict[str, set[str]]:
    """Question -> normalised answers marked as noise."""
    path = flows_dir / NOISE_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    noise = (data or {}).get("noise") or {}
    return {str(q): {normalise(str(t)) for t in texts or []} for q, texts in noise.items()}


def mark_noise(flows_dir: Path, question: str, texts: list[str]) -> list[str]:
    """Record the answers as noise for this question; returns the ones newly marked."""
    path = flows_dir / NOISE_FILE
    with _write_lock:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
        noise = {str(q): [str(t) for t in v or []] for q, v in ((data or {}).get("noise") or {}).items()}
        known = set(noise.get(question, []))
        new = [t for t in dict.fromkeys(normalise(t) for t in texts) if t and t not in known]
        if new:
            noise.setdefault(question, []).extend(new)
            body = yaml.safe_dump({"noise": noise}, allow_unicode=True, sort_keys=True, width=LINE_WIDTH)
            if path.is_file():
                _replace(path, NOISE_HEADER + body)
            else:
                path.write_text(NOISE_HEADER + body, encoding="utf-8")
        return new
