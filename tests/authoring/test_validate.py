"""`make validate` (authoring/): every problem is named with its file and line, the shipped data
passes, and one broken thing in a copy of the project is found where it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from authoring import domain_coverage, flow_lint, kb_lint
from authoring.problems import Problem
from bot.actions.kb import NO_THEN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the parts of the project the checks read, to break one thing at a time."""
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("bot/data", "bot/flows", "tests/stories", "kb/articles", "kb/eval"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def line_containing(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def coverage(root: Path) -> list[Problem]:
    return domain_coverage.check(root / "domain.yml", root / "bot/data", root / "tests/stories")


def lint(root: Path) -> list[Problem]:
    return kb_lint.check(root / "kb/articles", root / "kb/eval/questions.tsv")


def formatted(problems: list[Problem], root: Path) -> list[str]:
    return [p.format(root) for p in problems]


def add_intent(root: Path, name: str, *, examples: bool = True, rule: bool = True) -> int:
    """Adds `name` to the domain (returns its line) with, optionally, examples and a rule."""
    domain = root / "domain.yml"
    domain.write_text(domain.read_text().replace("intents:\n", f"intents:\n  - {name}\n", 1))
    if examples:
        (root / "bot/data/nlu/extra.yml").write_text(
            f'version: "3.1"\nnlu:\n- intent: {name}\n  examples: |\n    - can i get my money back\n    - refund\n'
        )
    if rule:
        (root / "bot/data/rules/extra.yml").write_text(
            f'version: "3.1"\nrules:\n  - rule: {name}\n    steps:\n      - intent: {name}\n'
            "      - action: action_answer_from_kb\n"
        )
    return line_containing(domain, f"  - {name}")


def test_the_shipped_data_and_articles_pass() -> None:
    assert coverage(ROOT) == []
    assert lint(ROOT) == []


def test_an_intent_without_a_test_story_is_named_at_its_domain_line(project: Path) -> None:
    line = add_intent(project, "ask_refund")
    assert formatted(coverage(project), project) == [
        f"domain.yml:{line}: intent 'ask_refund' has no test story (add one in tests/stories/ that uses it)"
    ]


def test_an_intent_without_examples_or_rule_gets_one_line_for_each(project: Path) -> None:
    line = add_intent(project, "ask_refund", examples=False, rule=False)
    messages = formatted(coverage(project), project)
    assert len(messages) == 3 and all(m.startswith(f"domain.yml:{line}: intent 'ask_refund'") for m in messages)
    assert any("no training examples" in m for m in messages)
    assert any("is not handled" in m for m in messages)
    assert any("no test story" in m for m in messages)


def test_intents_the_domain_does_not_list_are_named_where_they_are_used(project: Path) -> None:
    story = project / "tests/stories/test_troubleshooting.yml"  # affirm is in other test stories too
    story.write_text(story.read_text().replace("intent: affirm", "intent: affirmative", 1))
    nlu = project / "bot/data/nlu/extra.yml"
    nlu.write_text('version: "3.1"\nnlu:\n- intent: ask_refund\n  examples: |\n    - refund please\n')
    assert formatted(coverage(project), project) == [
        "bot/data/nlu/extra.yml:3: intent 'ask_refund' has training examples but is not listed in the domain",
        f"tests/stories/test_troubleshooting.yml:{line_containing(story, 'intent: affirmative')}: "
        "a test story uses intent 'affirmative', which the domain does not list",
    ]


def test_nlu_fallback_needs_no_domain_entry_and_out_of_scope_is_checked_like_any_intent(project: Path) -> None:
    # nlu_fallback is in rules and test stories but not the domain: fine (Rasa's own intent).
    assert "nlu_fallback" not in (project / "domain.yml").read_text()
    (project / "bot/data/nlu/out_of_scope.yml").unlink()
    line = line_containing(project / "domain.yml", "  - out_of_scope")
    assert formatted(coverage(project), project) == [
        f"domain.yml:{line}: intent 'out_of_scope' has no training examples (add '- intent: out_of_scope' to "
        "bot/data/nlu/)"
    ]


def test_a_typed_phrase_claimed_by_two_options_is_named_at_its_line(project: Path) -> None:
    bank = project / "bot/flows/questions.yml"
    bank.write_text(bank.read_text().replace("say: [cable, ethernet", 'say: ["wi fi", cable, ethernet', 1))
    problems = flow_lint.check(project / "bot/flows")
    assert len(problems) == 1 and "'wi fi' is said for both" in problems[0].message
    assert problems[0].path == bank and problems[0].line == line_containing(bank, '"wi fi"')


def test_a_yaml_mistake_is_reported_once_at_its_line(project: Path) -> None:
    rules = project / "bot/data/rules/chitchat.yml"
    rules.write_text(rules.read_text() + "  - rule: broken\n    steps:\n      - intent: greet\n     - action: x\n")
    problems = coverage(project)
    assert len(problems) == 1, problems  # not also "not handled" for every intent of that file
    assert problems[0].path == rules and problems[0].line == len(rules.read_text().splitlines())
    assert "not valid YAML" in problems[0].message


def test_a_dead_link_between_articles_is_named_with_file_and_line(project: Path) -> None:
    article = project / "kb/articles/account-locked.md"
    article.write_text(
        article.read_text()
        + "\nSee [the reset article](/help/articles/reset-password), [a relative one](reset-password.md),\n"
        "[our site](https://nimbus.example/pricing) and [the old page](/help/articles/unlock-account).\n"
        "Also [this one](./unlock-now.md#steps).\n"
    )
    assert formatted(lint(project), project) == [
        f"kb/articles/account-locked.md:{line_containing(article, 'old page')}: dead link to "
        "'/help/articles/unlock-account': no article 'unlock-account'",
        f"kb/articles/account-locked.md:{line_containing(article, 'this one')}: dead link to "
        "'./unlock-now.md#steps': no article 'unlock-now'",
    ]


def test_a_duplicate_id_names_both_files(project: Path) -> None:
    copy = project / "kb/articles/zz-account-locked-copy.md"
    shutil.copy(project / "kb/articles/account-locked.md", copy)
    assert formatted(lint(project), project) == [
        "kb/articles/zz-account-locked-copy.md:2: duplicate id 'account-locked' (also in account-locked.md:2)"
    ]


def test_front_matter_problems_point_at_the_line(project: Path) -> None:
    articles = project / "kb/articles"
    broken = articles / "account-locked.md"
    broken.write_text(broken.read_text().replace("title: Account locked", "title: [Account locked", 1))
    no_url = articles / "reset-password.md"
    no_url.write_text("".join(line for line in no_url.read_text().splitlines(True) if not line.startswith("url:")))
    empty = articles / "support-hours.md"
    head = empty.read_text().split("---", 2)[1]
    empty.write_text(f"---{head}---\n\n")
    wrong_url = articles / "refund-policy.md"
    wrong_url.write_text(wrong_url.read_text().replace("url: /help/articles/refund-policy", "url: /refunds", 1))
    messages = formatted(lint(project), project)
    assert messages[0].startswith(f"kb/articles/account-locked.md:{line_containing(broken, 'tags:')}: ")
    assert "front matter is not valid YAML" in messages[0] and "from line 3" in messages[0]
    assert messages[1:] == [
        f"kb/articles/refund-policy.md:{line_containing(wrong_url, 'url:')}: url '/refunds' is not where the help "
        "site serves this article (/help/articles/refund-policy)",
        "kb/articles/reset-password.md:1: front matter lacks url",
        f"kb/articles/support-hours.md:{len(empty.read_text().splitlines()) - 1}: the article body is empty",
    ]


def test_an_article_task_the_assistant_cannot_do_is_named_at_its_line(project: Path) -> None:
    article = project / "kb/articles/refund-policy.md"
    article.write_text(article.read_text().replace("task: billing_question", "task: refund_payment", 1))
    problems = formatted(kb_lint.check(project / "kb/articles", tasks=frozenset(NO_THEN)), project)
    assert problems == [
        f"kb/articles/refund-policy.md:{line_containing(article, 'task:')}: task 'refund_payment' is none the "
        f"assistant can do ({', '.join(sorted(NO_THEN))})"
    ]


def test_an_eval_question_for_a_missing_article_is_named(project: Path) -> None:
    questions = project / "kb/eval/questions.tsv"
    questions.write_text(questions.read_text() + "where is my invoice\tinvoices-2019\n")
    line = len(questions.read_text().splitlines())
    assert formatted(lint(project), project) == [f"kb/eval/questions.tsv:{line}: no article 'invoices-2019'"]


def run_validate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "authoring.validate", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_the_command_passes_on_the_shipped_project() -> None:
    result = run_validate("--no-rasa")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validate: all checks passed" in result.stdout


def test_the_command_runs_rasa_too_and_fails_with_file_and_line(project: Path) -> None:
    """The whole `make validate` on a broken copy: our finding and one only Rasa makes (a response
    nothing uses), each as file:line, exit status 1."""
    line = add_intent(project, "ask_refund")
    domain = project / "domain.yml"
    domain.write_text(domain.read_text().replace("responses:\n", "responses:\n  utter_refund_info:\n  - text: x\n", 1))
    result = run_validate("--root", str(project))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"domain.yml:{line}: intent 'ask_refund' has no test story (add one in tests/stories/ that uses it)" in lines
    response_line = line_containing(domain, "utter_refund_info:")
    assert (
        f"domain.yml:{response_line}: rasa data validate: The utterance 'utter_refund_info' is not used in any "
        "story or rule." in lines
    )
    assert lines[-1] == "validate: 2 problem(s); fix them and run `make validate` again"
