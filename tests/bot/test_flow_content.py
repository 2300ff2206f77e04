"""The troubleshooting content (bot/flows/) and the domain agree, and diagnosis answers change the path."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from bot.actions.flow_content import FlowError, load_flows

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
BOOK = load_flows()
TROUBLESHOOTING_INTENTS = {
    "wifi_dropout", "no_internet", "vpn_issue", "printer_issue", "browser_issue",
    "app_crash", "email_sync", "slow_device", "install_update",
}  # fmt: skip


def test_every_troubleshooting_intent_has_a_flow_with_a_real_article() -> None:
    assert set(BOOK.flows) == TROUBLESHOOTING_INTENTS
    for flow in BOOK.flows.values():
        assert (ROOT / "kb/articles" / f"{flow.kb_article}.md").exists(), flow.kb_article


def test_every_question_has_a_slot_an_ask_action_and_a_place_in_the_form() -> None:
    required = DOMAIN["forms"]["diagnosis_form"]["required_slots"]
    for name in BOOK.questions:
        assert f"q_{name}" in DOMAIN["slots"]
        assert f"action_ask_q_{name}" in DOMAIN["actions"]
        assert f"q_{name}" in required


def test_every_step_has_both_wordings_and_they_differ() -> None:
    for flow in BOOK.flows.values():
        for step in flow.steps:
            assert step.text("plain") != step.text("technical"), (flow.intent, step.id)


@pytest.mark.parametrize("intent", sorted(TROUBLESHOOTING_INTENTS))
def test_any_combination_of_answers_leaves_at_least_three_steps(intent: str) -> None:
    flow = BOOK.flows[intent]
    choices = [[*BOOK.questions[q].options, "unknown"] for q in flow.questions if BOOK.questions[q].options]
    named = [q for q in flow.questions if BOOK.questions[q].options]
    for combo in itertools.islice(itertools.product(*choices), 5000):
        assert len(flow.path(dict(zip(named, combo, strict=True)), BOOK.questions)) >= 3, combo


def test_answers_change_the_wifi_path() -> None:
    flow = BOOK.flows["wifi_dropout"]
    crowded_evenings = flow.path({"timing": "evenings", "neighbours": "yes", "scope": "one"}, BOOK.questions)
    everywhere = flow.path({"timing": "always", "neighbours": "no", "scope": "all"}, BOOK.questions)
    assert crowded_evenings[0].id == "change-wifi-channel"
    assert "change-wifi-channel" not in [s.id for s in everywhere]
    assert everywhere[0].id == "restart-router"


def test_one_phrase_belongs_to_one_option(tmp_path: Path) -> None:
    (tmp_path / "troubleshooting").mkdir()
    bank = (ROOT / "bot/flows/questions.yml").read_text()
    (tmp_path / "questions.yml").write_text(bank.replace('say: [cable, ethernet', 'say: ["wi fi", cable, ethernet', 1))
    with pytest.raises(FlowError, match="questions.yml.*'wi fi' is said for both"):
        load_flows(tmp_path)


def test_a_broken_flow_file_is_named_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "troubleshooting").mkdir()
    (tmp_path / "questions.yml").write_text((ROOT / "bot/flows/questions.yml").read_text())
    bad = tmp_path / "troubleshooting" / "wifi_dropout.yml"
    bad.write_text(
        "intent: wifi_dropout\ntitle: x\nkb_article: x\nquestions: [scope]\n"
        "steps:\n  - {id: a, title: a, when: {timing: [evenings]}, plain: a, technical: b}\n"
    )
    with pytest.raises(FlowError, match="wifi_dropout.yml.*timing"):
        load_flows(tmp_path)
    bad.write_text("intent: [unclosed\n")
    with pytest.raises(FlowError, match="wifi_dropout.yml: not valid YAML"):
        load_flows(tmp_path)


def test_the_running_bot_picks_up_an_edited_flow_file_and_keeps_the_last_good_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from bot.actions import flow_content
    from bot.actions.understanding.options import match_option

    shutil.copytree(flow_content.FLOWS_DIR, tmp_path / "flows")
    monkeypatch.setenv("BOT_FLOWS_DIR", str(tmp_path / "flows"))
    monkeypatch.setattr(flow_content, "_book", flow_content._Book())
    monkeypatch.setattr(flow_content, "RECHECK_SECONDS", 0.0)
    scope = flow_content.flow_book().questions["scope"]
    assert match_option(scope, "zorbly glimp") is None
    bank = tmp_path / "flows/questions.yml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace('say: ["only this",', 'say: ["zorbly glimp", "only this",', 1))
    assert match_option(flow_content.flow_book().questions["scope"], "zorbly glimp") == "one"
    bank.write_text("questions: [not, a, mapping", encoding="utf-8")  # a broken edit
    assert match_option(flow_content.flow_book().questions["scope"], "zorbly glimp") == "one"
