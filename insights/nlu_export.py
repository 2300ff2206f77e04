"""Assign an inbox group to an intent: its messages become training examples of that intent, appended
inside the intent's existing `examples: |` block, in the file that already holds them. Everything
else in the file stays byte for byte as it was (a YAML round trip would re-indent and re-quote the
writers' files), and the result is parsed again before it replaces the file."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from insights.inbox import nlu_examples, normalise, plain_example

_INTENT_LINE = re.compile(r"^(?P<indent>[ ]*)-[ ]+intent:[ ]*(?P<q>[\"']?)(?P<name>[^\"'#\s]+)(?P=q)[ ]*(?:#.*)?$")
_EXAMPLES_KEY = re.compile(r"^(?P<indent>[ ]*)examples:[ ]*\|[-+]?[ ]*(?:#.*)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# One writer at a time in this process (the staff pages); the file is re-read under the lock.
_write_lock = threading.Lock()


class ExportError(ValueError):
    """Nothing was written; the message says why."""


class UnknownIntent(ExportError):
    pass


@dataclass
class ExportResult:
    intent: str
    path: Path
    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (text, why)
    new_block: bool = False

    def summary(self) -> str:
        where = f"{self.path} (intent {self.intent}{', new block' if self.new_block else ''})"
        said = f"Added {len(self.added)} example{'s' if len(self.added) != 1 else ''} to {where}"
        if self.skipped:
            said += "; skipped " + "; ".join(f"{text!r} ({why})" for text, why in self.skipped)
        return said + "."


def domain_intents(domain_path: Path) -> list[str]:
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    intents = []
    for entry in domain.get("intents") or []:
        intents.extend(entry.keys() if isinstance(entry, dict) else [entry])
    return [str(i) for i in intents]


def check_intent(intent: str, domain_path: Path) -> str:
    """The intent, if the domain has it: a new intent needs rules or stories too, which only a
    person can write."""
    intent = intent.strip()
    known = domain_intents(domain_path)
    if intent not in known:
        raise UnknownIntent(
            f"intent {intent!r} is not in {domain_path.name}; add it there (with its rules or stories) first, "
            f"or choose one of: {', '.join(sorted(known))}"
        )
    return intent


def training_text(text: str) -> str:
    """A customer message as one line of Rasa training data: one line, no control characters, and
    square brackets made round so that "[x](y)" is never read as an entity annotation."""
    text = _CONTROL.sub(" ", text).replace("[", "(").replace("]", ")")
    return " ".join(text.split())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _find_block(lines: list[str], intent: str) -> tuple[int, int, str] | None:
    """(index after which to insert, count of examples, indentation of an example line) for the
    intent's `examples: |` block, or None when this file does not hold the intent."""
    for i, line in enumerate(lines):
        found = _INTENT_LINE.match(line.rstrip("\r\n"))
        if not found or found["name"] != intent:
            continue
        item_indent = len(found["indent"])
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > item_indent):
            key = _EXAMPLES_KEY.match(lines[j].rstrip("\r\n"))
            if key:
                key_indent = len(key["indent"])
                last, example_indent, count = j, None, 0
                k = j + 1
                while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) > key_indent):
                    if lines[k].strip():
                        last = k
                        count += 1
                        example_indent = example_indent or " " * _indent(lines[k])
                    k += 1
                return last, count, example_indent or " " * (key_indent + 2)
            j += 1
    return None


def _examples_of(text: str, intent: str) -> list[str]:
    data = yaml.safe_load(text) or {}
    for item in data.get("nlu") or []:
        if isinstance(item, dict) and str(item.get("intent")) == intent:
            return [line.strip()[2:] for line in str(item.get("examples") or "").splitlines() if line.strip()]
    return []


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _home_file(nlu_dir: Path, intent: str) -> tuple[Path, list[str], tuple[int, int, str]] | None:
    """The file holding most of the intent's examples (an intent may be spread over files)."""
    best = None
    for path in sorted(nlu_dir.rglob("*.yml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        block = _find_block(lines, intent)
        if block is not None and (best is None or block[1] > best[2][1]):
            best = (path, lines, block)
    return best


def assign(examples: list[str], intent: str, nlu_dir: Path, domain_path: Path) -> ExportResult:
    """Append `examples` to `intent`'s training examples; those already in the data (under any
    intent) or repeated are skipped and reported."""
    intent = check_intent(intent, domain_path)
    if not nlu_dir.is_dir():
        raise ExportError(f"the NLU data folder {nlu_dir} does not exist")
    with _write_lock:
        existing = nlu_examples(nlu_dir)
        home = _home_file(nlu_dir, intent)
        path = home[0] if home else nlu_dir / f"{intent}.yml"
        result = ExportResult(intent, path, new_block=home is None)
        lines_to_add: list[str] = []
        taken: set[str] = set()
        for example in examples:
            text = training_text(example)
            key = normalise(plain_example(text))
            if not key:
                result.skipped.append((example, "empty"))
            elif key in existing:
                result.skipped.append((example, f"already an example of {existing[key]}"))
            elif key in taken:
                result.skipped.append((example, "repeated in this group"))
            else:
                taken.add(key)
                result.added.append(text)
        if not result.added:
            return result
        if home is None:
            if path.exists():
                raise ExportError(f"{path} exists but has no examples of {intent}; add the intent there by hand")
            before_text = ""
            new_text = 'version: "3.1"\n\nnlu:\n' + f"- intent: {intent}\n  examples: |\n"
            new_text += "".join(f"    - {text}\n" for text in result.added)
        else:
            _, lines, (last, _, indent) = home
            before_text = "".join(lines)
            lines_to_add = [f"{indent}- {text}\n" for text in result.added]
            head, tail = lines[: last + 1], lines[last + 1 :]
            if not head[-1].endswith("\n"):
                newline = "\r\n" if head[-1].endswith("\r") else "\n"
                head[-1] += newline
            new_text = "".join(head + lines_to_add + tail)
        # The file must still be valid YAML with exactly the old examples plus the new ones.
        try:
            before = _examples_of(before_text, intent) if before_text else []
            after = _examples_of(new_text, intent)
        except yaml.YAMLError as exc:
            raise ExportError(f"{path} would not be valid YAML after the change ({exc}); nothing written") from exc
        if after != before + result.added:
            raise ExportError(f"could not append to the examples of {intent} in {path} safely; nothing written")
        _write_atomically(path, new_text)
    return result
