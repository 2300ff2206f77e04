"""Assigning an inbox group to an intent (insights/nlu_export.py) on a copy of bot/data/nlu: the
examples land inside the intent's block, every other byte stays, nothing is duplicated, and unknown
intents are refused. (tests/e2e/test_insights.py validates and retrains on such a copy.)"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from insights.nlu_export import ExportError, UnknownIntent, assign, training_text

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain.yml"


@pytest.fixture
def nlu(tmp_path: Path) -> Path:
    copy = tmp_path / "nlu"
    shutil.copytree(ROOT / "bot/data/nlu", copy)
    return copy


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.yml"))}


def examples(path: Path, intent: str) -> list[str]:
    for item in yaml.safe_load(path.read_text())["nlu"]:
        if item.get("intent") == intent:
            return [line[2:] for line in item["examples"].splitlines()]
    return []


def test_examples_are_appended_inside_the_intents_block_and_nothing_else_changes(nlu: Path) -> None:
    before = digests(nlu)
    howto = nlu / "howto.yml"
    old = howto.read_text()
    result = assign(
        ["my uploads never finish", "How do I share a file?", "my uploads never finish!", "files won't upload"],
        "ask_howto",
        nlu,
        DOMAIN,
    )
    assert result.path == howto and result.added == ["my uploads never finish", "files won't upload"]
    assert result.skipped == [
        ("How do I share a file?", "already an example of ask_howto"),
        ("my uploads never finish!", "repeated in this group"),
    ]
    new = howto.read_text()
    # exactly two lines more, right after the block's last example, with its indentation
    last_example = [line for line in old.splitlines(keepends=True) if line.startswith("    - ")][-1]
    cut = old.index(last_example) + len(last_example)
    assert new == old[:cut] + "    - my uploads never finish\n    - files won't upload\n" + old[cut:]
    assert examples(howto, "ask_howto")[-2:] == ["my uploads never finish", "files won't upload"]
    assert {k: v for k, v in digests(nlu).items() if k != "howto.yml"} == {
        k: v for k, v in before.items() if k != "howto.yml"
    }
    assert "Added 2 examples to" in result.summary() and "skipped" in result.summary()
    # Run again: everything is in the data now, nothing is written.
    again = assign(["my uploads never finish", "files won't upload"], "ask_howto", nlu, DOMAIN)
    assert again.added == [] and howto.read_text() == new


def test_an_example_of_another_intent_is_never_duplicated(nlu: Path) -> None:
    result = assign(["I forgot my password"], "ask_howto", nlu, DOMAIN)
    assert result.added == [] and result.skipped == [("I forgot my password", "already an example of password_reset")]


def test_an_intent_that_is_not_in_the_domain_is_refused_and_nothing_is_written(nlu: Path) -> None:
    before = digests(nlu)
    with pytest.raises(UnknownIntent, match="intent 'file_upload' is not in domain.yml; add it there"):
        assign(["my uploads never finish"], "file_upload", nlu, DOMAIN)
    assert digests(nlu) == before


def test_a_block_in_the_middle_of_a_file_with_comments_and_no_final_newline(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    text = (
        'version: "3.1"\n'
        "# the writers' own comment\n"
        "nlu:\n"
        "- intent: greet   # hello\n"
        "  examples: |\n"
        "      - hi\n"
        "      - [hello](greeting) there\n"
        "\n"
        "- intent: goodbye\n"
        "  examples: |\n"
        "      - bye"
    )
    (nlu / "chat.yml").write_text(text)
    assign(["hiya"], "greet", nlu, DOMAIN)
    assign(["see ya"], "goodbye", nlu, DOMAIN)
    written = (nlu / "chat.yml").read_text()
    assert written == text.replace("there\n\n", "there\n      - hiya\n\n") + "\n      - see ya\n"
    assert examples(nlu / "chat.yml", "greet") == ["hi", "[hello](greeting) there", "hiya"]
    # "hello there" is already there once its annotation is removed
    assert assign(["Hello there"], "greet", nlu, DOMAIN).added == []


def test_a_domain_intent_without_examples_gets_a_file_of_its_own(tmp_path: Path, nlu: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(DOMAIN.read_text().replace("intents:\n", "intents:\n  - file_upload\n", 1))
    result = assign(["my uploads never finish"], "file_upload", nlu, domain)
    assert result.new_block and result.path == nlu / "file_upload.yml"
    assert examples(result.path, "file_upload") == ["my uploads never finish"]


def test_customer_text_becomes_one_safe_line() -> None:
    assert training_text("my key [ABCDE](license_key)\nwon't\x00 work") == "my key (ABCDE)(license_key) won't work"
    with pytest.raises(ExportError, match="does not exist"):
        assign(["x"], "greet", Path("/nonexistent/nlu"), DOMAIN)
