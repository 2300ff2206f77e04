"""Values a customer gave are shown back as plain text, never as Markdown the widget renders."""

from __future__ import annotations

from bot.actions.plain_text import as_plain, safe_name


def test_markdown_in_a_value_is_escaped() -> None:
    assert as_plain("[click](https://evil.example)") == r"\[click\]\(https://evil.example\)"
    assert as_plain("**bold** `code` <b>") == r"\*\*bold\*\* \`code\` \<b\>"
    assert as_plain("SAM-DESKTOP") == "SAM-DESKTOP"


def test_a_device_name_keeps_only_what_is_harmless() -> None:
    assert safe_name("[click](https://evil.example)", "computer") == "click https evil.example"
    assert safe_name("Sam's laptop", "computer") == "Sam's laptop"
    assert safe_name("](<>)", "computer") == "computer"
    assert len(safe_name("x" * 500, "computer")) == 40
