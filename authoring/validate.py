"""`make validate`: every check a content writer needs before training, one `file:line: message`
per problem, exit status 1 when there is any.

1. intents: examples, a rule or story, a test story for each (authoring/domain_coverage.py);
2. KB articles: front matter, duplicate ids, dead links between articles (authoring/kb_lint.py);
3. `rasa data validate` (Rasa's own domain/data/story-conflict checks), run alongside the above.

    .venvs/app/bin/python -m authoring.validate [--root DIR] [--no-rasa]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from authoring import domain_coverage, flow_lint, kb_lint
from authoring.problems import Problem
from bot.actions.kb import NO_THEN

PROJECT = Path(__file__).resolve().parents[1]
RASA_BIN = PROJECT / ".venvs/rasa/bin/rasa"

# Rasa 3.6 does not see that forms ask with utter_ask_<slot> and that its fallback uses
# utter_default, so it calls those responses unused; every other warning is a real mistake
# (tests/e2e/test_rasa_stories.py holds the data to the same rule).
BENIGN_WARNINGS = (re.compile(r"'utter_ask_\w+'"), re.compile(r"'utter_default'"))
# Responses a custom action utters by name (dispatcher.utter_message(response="utter_...")) are
# used too, though no rule names them.
UTTERED_BY_ACTION = re.compile(r"""response=["'](utter_\w+)["']""")


def responses_uttered_by_actions(root: Path = PROJECT) -> set[str]:
    """Read from this checkout's action code (the code that runs, whichever data folder is checked)."""
    return {m for path in (root / "bot/actions").rglob("*.py") for m in UTTERED_BY_ACTION.findall(path.read_text())}


def benign(warning: str, root: Path = PROJECT) -> bool:
    """A warning Rasa 3.6 gets wrong: a form's question, the fallback, a response an action utters,
    an intent only a rule-based post-processor sets (bot/nlu/: no NLU examples on purpose)."""
    if any(p.search(warning) for p in BENIGN_WARNINGS):
        return True
    untrained = re.search(r"intent '(\w+)' is listed in the domain file, but is not found in the NLU", warning)
    if untrained and untrained.group(1) in domain_coverage.NOT_TRAINED:
        return True
    unused = re.search(r"utterance '(utter_\w+)' is not used", warning)
    return bool(unused and unused.group(1) in responses_uttered_by_actions(root))


# A warning runs until Rasa's colour reset, or else until the next log line or warning.
WARNING = re.compile(r"UserWarning: (.*?)(?:\x1b\[0m|\n(?=\d{4}-\d\d-\d\d )|\n(?=\S+\.py:\d+: )|\Z)", re.DOTALL)
LOGGED_ERROR = re.compile(r"^\d{4}-\d\d-\d\d \S+ (?:ERROR|CRITICAL)\s+\S+\s+-\s+(.*)", re.MULTILINE)
MORE_INFO = re.compile(r"\s*More info at \S+\s*$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Layout:
    """Where the project keeps what the checks read (all relative to the project folder)."""

    root: Path
    domain: Path
    config: Path
    data: Path
    test_stories: Path
    flows: Path
    articles: Path
    kb_questions: Path

    @classmethod
    def of(cls, root: Path) -> Layout:
        return cls(
            root=root,
            domain=root / "domain.yml",
            config=root / "config.yml",
            data=root / "bot/data",
            test_stories=root / "tests/stories",
            flows=root / "bot/flows",
            articles=root / "kb/articles",
            kb_questions=root / "kb/eval/questions.tsv",
        )


def start_rasa_validate(layout: Layout) -> subprocess.Popen[str]:
    """`rasa data validate` in the Rasa environment; started first because it takes seconds
    (TensorFlow import) while the other checks take milliseconds."""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3")
    command = [
        str(RASA_BIN),
        "data",
        "validate",
        "--data",
        str(layout.data),
        "--domain",
        str(layout.domain),
        "--config",
        str(layout.config),
    ]
    return subprocess.Popen(
        command, cwd=layout.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _locate(message: str, layout: Layout) -> tuple[Path, int] | None:
    """The first line that mentions a name the message quotes ('utter_x', 'greett'): in the file
    the message names, if it names one, else the domain first (responses, actions, slots are
    defined there), then the training data."""
    quoted = QUOTED.findall(message)
    files = [layout.root / q for q in quoted if (layout.root / q).is_file()]
    names = [q for q in quoted if not (layout.root / q).is_file()]
    candidates = files or [layout.domain, *sorted(layout.data.rglob("*.yml")), layout.config]
    for name in names:
        found = _find_word(name, candidates)
        if found:
            return found
    return (files[0], 1) if files else None


def _find_word(name: str, candidates: list[Path]) -> tuple[Path, int] | None:
    pattern = re.compile(rf"(?<![\w/]){re.escape(name)}(?![\w/])")
    for path in candidates:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            if pattern.search(line.split("#", 1)[0]):
                return path, number
    return None


def rasa_problems(output: str, returncode: int, layout: Layout) -> list[Problem]:
    """Rasa's warnings and errors as Problems, each at the first line naming what it is about."""
    messages: list[str] = []
    for found in WARNING.finditer(output):
        text = " ".join(MORE_INFO.sub("", ANSI.sub("", found.group(1))).split())
        if not benign(text):
            messages.append(text)
    messages += [m.strip() for m in LOGGED_ERROR.findall(ANSI.sub("", output))]
    if returncode != 0 and not messages:
        # A crash or an exception Rasa did not log: its last lines say what happened.
        tail = [line for line in ANSI.sub("", output).splitlines() if line.strip()][-3:]
        messages.append(" / ".join(tail) or f"exited with status {returncode}")
    problems = []
    for message in dict.fromkeys(messages):  # Rasa repeats some messages; keep the first of each
        path, line = _locate(message, layout) or (layout.domain, 1)
        problems.append(Problem(path, line, f"rasa data validate: {message}"))
    return problems


def _said_already(problem: Problem, own: list[Problem]) -> bool:
    """Rasa repeats some of our findings ("intent 'x' not found in the NLU training data"): one
    line per mistake is enough, and ours carries the advice."""
    names = QUOTED.findall(problem.message)
    return any(
        p.path == problem.path and p.line == problem.line and any(f"'{name}'" in p.message for name in names)
        for p in own
    )


def run(layout: Layout, *, with_rasa: bool = True) -> tuple[list[Problem], list[str]]:
    """All problems, and one line per check for the summary."""
    started = time.perf_counter()
    rasa = start_rasa_validate(layout) if with_rasa else None
    notes: list[str] = []
    problems = domain_coverage.check(layout.domain, layout.data, layout.test_stories)
    intents = domain_coverage.intent_count(layout.domain)
    notes.append(f"intents: {intents} in {layout.domain.name}, each with examples, a rule or story and a test story")
    problems += flow_lint.check(layout.flows)
    flows = len(list((layout.flows / "troubleshooting").glob("*.yml"))) if layout.flows.is_dir() else 0
    notes.append(f"flows: {flows} troubleshooting flows, their questions, options and typed phrases")
    kb = kb_lint.check(layout.articles, layout.kb_questions, tasks=frozenset(NO_THEN))
    problems += kb
    articles = len(list(layout.articles.glob("*.md"))) if layout.articles.is_dir() else 0
    notes.append(f"KB: {articles} articles, front matter, unique ids, links between articles, eval questions")
    if rasa is not None:
        output, _ = rasa.communicate()
        found = rasa_problems(output, rasa.returncode, layout)
        if rasa.returncode != 0 and any("not valid YAML" in p.message for p in problems):
            # Rasa stops at the first file it cannot parse, which is reported above at its line.
            found = [p for p in found if "YAML" not in p.message and "yamlchecker" not in p.message]
        problems += [p for p in found if not _said_already(p, problems)]
        notes.append(f"rasa data validate: domain, data, story structure ({time.perf_counter() - started:.1f} s)")
    return problems, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authoring.validate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=PROJECT, help="project folder (default: this checkout)")
    parser.add_argument("--no-rasa", action="store_true", help="skip `rasa data validate` (the fast checks only)")
    args = parser.parse_args(argv)
    layout = Layout.of(args.root.resolve())
    started = time.perf_counter()
    problems, notes = run(layout, with_rasa=not args.no_rasa)
    for problem in problems:
        print(problem.format(layout.root))
    if problems:
        print(f"validate: {len(problems)} problem(s); fix them and run `make validate` again")
        return 1
    for note in notes:
        print(f"  ok  {note}")
    print(f"validate: all checks passed ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
