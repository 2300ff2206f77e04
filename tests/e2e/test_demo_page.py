"""The demo help page's chat box in a real browser, through the socket.io channel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_demo_page_chat_answers_through_socketio(stack, page) -> None:
    page.goto(f"{stack.handoff_url}/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    box = page.get_by_label("Your message")
    box.fill("hello")
    box.press("Enter")
    expect(page.locator(".msg.user").last).to_have_text("hello")
    expect(page.locator(".msg.bot").first).to_contain_text("Nimbus assistant", timeout=30_000)

    box.fill("how do I restore a file I deleted by mistake?")
    page.get_by_role("button", name="Send").click()
    link = page.locator(".msg.bot a[href*='/help/articles/']").first
    expect(link).to_be_visible(timeout=30_000)
    expect(page.locator(".msg.bot strong").first).to_be_visible()  # **title** is bold, not asterisks
    assert link.get_attribute("target") == "_blank"
    # the cited article opens
    with page.context.expect_page() as new_tab:
        link.click()
    article = new_tab.value
    article.wait_for_load_state()
    expect(article.locator("article h1")).to_be_visible()


def test_markup_typed_by_a_customer_shows_as_text(stack, page) -> None:
    page.goto(f"{stack.handoff_url}/")
    page.evaluate("window.__pwned = false")
    box = page.get_by_label("Your message")
    box.fill('<img src=x onerror="window.__pwned=true">hi')
    box.press("Enter")
    expect(page.locator(".msg.user").last).to_have_text('<img src=x onerror="window.__pwned=true">hi')
    expect(page.locator(".msg.bot").first).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__pwned") is False
    assert page.locator(".chat-log img").count() == 0
