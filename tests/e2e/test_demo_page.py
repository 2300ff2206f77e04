"""The demo help page: the chat widget embedded with one script tag, answering through socket.io.
The widget itself is tested in test_widget.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_demo_page_embeds_the_widget_open_and_it_answers(stack, page) -> None:
    page.goto(f"{stack.handoff_url}/")
    expect(page.get_by_role("heading", name="How can we help?")).to_be_visible()
    expect(page.get_by_text("hands you to a person with a ticket number")).to_be_visible()
    # one script tag, served by the handoff API, configured with the Rasa server's public URL
    script = page.locator("script[src='/widget/tier0-widget.js']")
    expect(script).to_have_count(1)
    assert script.get_attribute("data-server-url") == stack.rasa_url
    assert page.locator("script").count() == 1  # nothing else: no framework, no CDN

    # the demo page opens the widget; its greeting is there before anything is sent
    expect(page.get_by_role("region", name="Nimbus Assistant")).to_be_visible()
    expect(page.locator(".t0-bot").first).to_contain_text("Hi! I'm the Nimbus assistant")
    box = page.get_by_role("textbox", name="Your message")
    box.fill("hello")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".t0-user .t0-text").last).to_have_text("hello")
    expect(page.locator(".t0-bot").nth(1)).to_contain_text("Nimbus assistant", timeout=30_000)


def test_markup_typed_by_a_customer_shows_as_text(stack, page) -> None:
    page.goto(f"{stack.handoff_url}/")
    page.evaluate("window.__pwned = false")
    box = page.get_by_role("textbox", name="Your message")
    box.fill('<img src=x onerror="window.__pwned=true">hi')
    box.press("Enter")
    expect(page.locator(".t0-user .t0-text").last).to_have_text('<img src=x onerror="window.__pwned=true">hi')
    expect(page.locator(".t0-bot").nth(1)).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__pwned") is False
    assert page.locator("tier0-chat-widget .t0-log img").count() == 0
