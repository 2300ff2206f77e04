"""Every intent the domain lists is usable end to end: it has training examples (the NLU can
predict it), it is handled (a rule or story in the training data says what the bot does next) and
at least one test story covers it (`make test` proves the bot still does that). Intents used in
the data or the test stories but missing from the domain are named too, at their line.

Rasa's own `rasa data validate` misses the first and last: it does not read the test stories, and
an intent without examples or without a rule only shows when a customer meets it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from authoring.problems import Problem
from authoring.yaml_lines import YamlError, compose, get, line_of, mapping_items, scalar_values, sequence

# Rasa's default intents may appear in stories without being listed in the domain. Of these, the
# ones below are never learnt from examples (the FallbackClassifier predicts nlu_fallback; the
# others come from "/restart"-style payloads), so they need no training data even when listed.
# out_of_scope is a default intent too, but Tier0 lists and trains it as a class like any other
# (bot/data/nlu/out_of_scope.yml), so when listed it is checked like any other.
RASA_DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
# Intents only the rule-based post-processors set (bot/nlu/), and Rasa's own.
NOT_TRAINED = frozenset({"restart", "back", "session_start", "nlu_fallback", "give_email", "vague_problem"})


@dataclass
class Usage:
    """Where intents occur: intent -> [(file, line)]."""

    domain: dict[str, tuple[Path, int]] = field(default_factory=dict)
    examples: dict[str, list[tuple[Path, int, int]]] = field(default_factory=lambda: defaultdict(list))
    handled: dict[str, list[tuple[Path, int]]] = field(default_factory=lambda: defaultdict(list))
    tested: dict[str, list[tuple[Path, int]]] = field(default_factory=lambda: defaultdict(list))


def _yaml_files(folder: Path) -> list[Path]:
    return sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]) if folder.is_dir() else []


def _count_examples(node: yaml.Node | None) -> int:
    """Examples of an `examples: |` block (one `- text` per line) or a list of `- text:` items."""
    if node is None:
        return 0
    if isinstance(node, yaml.ScalarNode):
        return sum(1 for line in node.value.splitlines() if line.strip().startswith("- ") and line.strip()[2:].strip())
    return len(sequence(node))


def _read_domain(domain: Path, usage: Usage, problems: list[Problem]) -> None:
    root = compose(domain)
    intents = get(root, "intents")
    if intents is None:
        problems.append(Problem(domain, 1, "the domain lists no intents (an 'intents:' list is missing)"))
        return
    for item in sequence(intents):
        # `- greet` or `- greet: {use_entities: [...]}`
        if isinstance(item, yaml.ScalarNode):
            name, line = item.value, line_of(item)
        else:
            first = next(mapping_items(item), None)
            if first is None:
                problems.append(Problem(domain, line_of(item), "an intent entry is neither a name nor 'name: {...}'"))
                continue
            name, line = first[0], line_of(first[1])
        if name in usage.domain:
            problems.append(
                Problem(domain, line, f"intent '{name}' is listed twice (also line {usage.domain[name][1]})")
            )
            continue
        usage.domain[name] = (domain, line)


def _files(folder: Path, problems: list[Problem]) -> list[tuple[Path, yaml.Node | None]]:
    """(path, node graph) of every YAML file under `folder`; a broken file becomes a Problem and the
    others are still read, so one typo does not hide the rest of the findings."""
    out = []
    for path in _yaml_files(folder):
        try:
            out.append((path, compose(path)))
        except YamlError as exc:
            problems.append(exc.problem)
    return out


def _read_training_data(folder: Path, usage: Usage, problems: list[Problem]) -> None:
    """NLU blocks give examples; rules and stories say which intents the dialogue handles."""
    for path, root in _files(folder, problems):
        for item in sequence(get(root, "nlu")):
            intent = get(item, "intent")
            if isinstance(intent, yaml.ScalarNode):
                # A retrieval intent `faq/opening_hours` is listed in the domain as `faq`.
                name = intent.value.split("/", 1)[0]
                usage.examples[name].append((path, line_of(intent), _count_examples(get(item, "examples"))))
        for section in ("rules", "stories"):
            for name, line in scalar_values(get(root, section), "intent"):
                usage.handled[name].append((path, line))


def _read_test_stories(folder: Path, usage: Usage, problems: list[Problem]) -> None:
    for path, root in _files(folder, problems):
        for section in ("stories", "rules"):
            for name, line in scalar_values(get(root, section), "intent"):
                usage.tested[name].append((path, line))


def check(domain: Path, data_dir: Path, test_stories_dir: Path) -> list[Problem]:
    """Problems with the intents of `domain` against the training data and the test stories."""
    problems: list[Problem] = []
    usage = Usage()
    try:
        _read_domain(domain, usage, problems)
    except YamlError as exc:
        problems.append(exc.problem)
    except OSError as exc:
        problems.append(Problem(domain, 1, f"cannot be read: {exc.strerror or exc}"))
    before = len(problems)
    _read_training_data(data_dir, usage, problems)
    data_broken = len(problems) > before
    before = len(problems)
    _read_test_stories(test_stories_dir, usage, problems)
    tests_broken = len(problems) > before
    if not usage.domain:
        return sorted(problems)

    # A file that does not parse hides what it uses: the checks that depend on it would only
    # repeat the YAML error as "not handled" for every intent it held, so they wait for the fix.
    for name, (path, line) in usage.domain.items():
        if not data_broken and name not in NOT_TRAINED and not sum(n for *_, n in usage.examples.get(name, [])):
            problems.append(
                Problem(
                    path, line, f"intent '{name}' has no training examples (add '- intent: {name}' to bot/data/nlu/)"
                )
            )
        if not data_broken and not usage.handled.get(name):
            problems.append(
                Problem(
                    path,
                    line,
                    f"intent '{name}' is not handled: no rule or story in bot/data/ uses it "
                    "(add a rule in bot/data/rules/ that answers it)",
                )
            )
        if not tests_broken and not usage.tested.get(name):
            problems.append(
                Problem(path, line, f"intent '{name}' has no test story (add one in tests/stories/ that uses it)")
            )

    known = set(usage.domain) | RASA_DEFAULT_INTENTS
    for name, places in usage.examples.items():
        if name not in known:
            for path, line, _ in places:
                problems.append(
                    Problem(path, line, f"intent '{name}' has training examples but is not listed in the domain")
                )
        for path, line, count in places:
            if count == 0:
                problems.append(Problem(path, line, f"intent '{name}': this block has no examples"))
    for label, where in (("a rule or story", usage.handled), ("a test story", usage.tested)):
        for name, places in where.items():
            if name not in known:
                problems += [
                    Problem(path, line, f"{label} uses intent '{name}', which the domain does not list")
                    for path, line in places
                ]
    return sorted(problems)


def intent_count(domain: Path) -> int:
    """How many intents the domain lists (for the "all good" line)."""
    try:
        return len(sequence(get(compose(domain), "intents")))
    except (YamlError, OSError):
        return 0
