"""YAML with line numbers: PyYAML's node graph (`compose`) keeps where every key and value starts,
which `safe_load` throws away. Used to point a writer at the line to fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from authoring.problems import Problem


class YamlError(Exception):
    """A file that is not valid YAML, as a Problem at the line the parser stopped."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


def compose(path: Path) -> yaml.Node | None:
    """The node graph of a YAML file; None for an empty file. Raises YamlError with the line."""
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.compose(f, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line, message = describe(exc)
        raise YamlError(Problem(path, line, message)) from exc
    except UnicodeDecodeError as exc:
        raise YamlError(Problem(path, 1, f"not UTF-8 text: {exc}")) from exc


def describe(exc: yaml.MarkedYAMLError, first_line: int = 1) -> tuple[int, str]:
    """(line, one-line message) of a YAML syntax error. The parser notices a mistake where it
    stops (problem_mark); what it was reading when it went wrong (context_mark) is often the line
    to fix, so both are named. `first_line` is the file line of the text's first line."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + first_line if mark else first_line
    message = f"not valid YAML: {exc.problem or exc.context}"
    if exc.context and exc.context_mark is not None and exc.context_mark.line + first_line != line:
        message += f" ({exc.context} from line {exc.context_mark.line + first_line})"
    return line, message


def line_of(node: yaml.Node) -> int:
    """1-based line where a node starts."""
    return node.start_mark.line + 1


def mapping_items(node: yaml.Node | None) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping node; nothing for any other node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield key.value, key, value


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of `key` in a mapping node, or None."""
    return next((value for name, _, value in mapping_items(node) if name == key), None)


def sequence(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def walk(node: yaml.Node | None) -> Iterator[yaml.Node]:
    """Every node below (and including) `node`, depth first."""
    if node is None:
        return
    yield node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from walk(key)
            yield from walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from walk(item)


def scalar_values(node: yaml.Node | None, key: str) -> Iterator[tuple[str, int]]:
    """(value, line) of every `key: <scalar>` anywhere below `node` (e.g. every `intent:` of a
    story, also inside `or:` blocks and `user:` steps)."""
    for n in walk(node):
        for name, _, value in mapping_items(n):
            if name == key and isinstance(value, yaml.ScalarNode) and value.value:
                yield value.value, line_of(value)
