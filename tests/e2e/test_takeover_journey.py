"""The live takeover in two browsers at once (Debian's Chromium, two contexts), over the real stack:
the customer asks for a person in the widget; an agent logs in, opens the ticket and joins;
messages go both ways while the page is open; the customer reloads and still sees the agent's
messages; the agent hands back and the bot answers the next question; the ticket shows every turn
in order with who wrote it. Screenshots of both sides go to test-artifacts/."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.mail import read_outbox
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import ARTIFACTS, create_staff, screenshot
from tests.e2e.test_journeys import Widget, open_staff_ticket

pytestmark = pytest.mark.e2e

AGENT = ("ana.journey@nimbus.example", "Ana Lopez", "ana journey password 7")


@pytest.fixture
def agent_page(browser: Browser):
    """The agent's own browser context: their own cookies, next to the customer's."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors on the staff page: {errors}"


def test_an_agent_joins_from_the_ticket_page_and_the_customer_chats_with_them(
    stack, page: Page, agent_page: Page
) -> None:
    create_staff(stack, *AGENT)
    customer = Widget(page, stack.handoff_url)
    customer.open()
    customer.say("my wifi keeps dropping on my laptop")
    customer.talk_to_a_person()
    ticket_id = customer.ticket_number()

    open_staff_ticket(agent_page, stack, (AGENT[0], AGENT[2]), ticket_id)
    live = agent_page.get_by_role("region", name="Live chat")
    live.get_by_role("button", name="Join conversation").click()
    expect(live).to_contain_text("You hold this chat")

    notice = page.locator(".t0-notice").last
    expect(notice).to_have_text("Ana from Nimbus support has joined the chat.")

    # The customer writes; the agent's open page shows it without a reload, and the bot stays quiet.
    bot_before = page.locator(".t0-msg.t0-bot").count()
    customer.input.fill("hi Ana")  # typing, not sent yet: the agent sees it
    expect(agent_page.locator(".customer-typing")).to_be_visible()
    customer.input.fill("hi Ana, the wifi drops every hour")
    customer.input.press("Enter")
    chat = agent_page.locator("ol.chat")
    expect(chat.locator(".turn-customer").last).to_contain_text("hi Ana, the wifi drops every hour")
    agent_page.wait_for_timeout(2000)
    expect(page.locator(".t0-msg.t0-bot")).to_have_count(bot_before)

    live.get_by_label("Message to the customer").fill("Thanks! Which router model do you have?")
    expect(page.locator(".t0-typing")).to_be_visible()  # the customer sees the agent typing
    expect(page.locator(".t0-typing")).to_contain_text("Ana is typing")
    live.get_by_role("button", name="Send").click()
    from_agent = page.locator(".t0-msg.t0-agent").last
    expect(from_agent).to_contain_text("Thanks! Which router model do you have?")
    expect(from_agent.locator(".t0-author-name")).to_have_text("Ana Lopez")
    expect(from_agent.locator(".t0-avatar")).to_have_text("A")
    assert_accessible(page, "takeover: the customer's widget")
    screenshot(page, "takeover-customer")
    screenshot(agent_page, "takeover-agent")
    # The part of the agent's page they work in: the end of the conversation and the live-chat card.
    top = agent_page.evaluate("document.getElementById('live').getBoundingClientRect().top + window.scrollY")
    height = agent_page.evaluate("document.getElementById('live').getBoundingClientRect().height")
    clip = {"x": 0, "y": max(0, top - 420), "width": 1280, "height": min(top, 420) + height + 10}
    agent_page.screenshot(path=str(ARTIFACTS / "takeover-agent-live.png"), full_page=True, clip=clip)

    # A reload keeps the agent's messages in the widget.
    page.reload()
    expect(customer.input).to_be_visible()
    expect(page.locator(".t0-msg.t0-agent").last).to_contain_text("Which router model do you have?")
    expect(page.locator(".t0-notice").first).to_have_text("Ana from Nimbus support has joined the chat.")

    agent_page.reload()
    agent_page.get_by_role("region", name="Live chat").get_by_role("button", name="Hand back to the assistant").click()
    expect(agent_page.get_by_role("region", name="Live chat")).to_contain_text("Join conversation")
    expect(page.locator(".t0-notice").last).to_contain_text("handing you back to our assistant")

    reply = customer.say("how do I share a file with my colleague?")
    assert "share" in reply.lower()

    # The ticket holds every turn in order, each with who wrote it.
    agent_page.reload()
    turns = agent_page.locator("ol.chat li.turn")
    rows = [
        (t.get_attribute("class").split()[1], t.locator(".sender").inner_text(), t.locator(".text").inner_text())
        for t in turns.all()
    ]
    joined = rows.index(("turn-agent", "Ana Lopez", "Ana from Nimbus support has joined the chat."))
    assert rows[joined + 1] == ("turn-customer", "Customer", "hi Ana, the wifi drops every hour")
    assert rows[joined + 2] == ("turn-agent", "Ana Lopez", "Thanks! Which router model do you have?")
    assert rows[joined + 3][:2] == ("turn-agent", "Ana Lopez") and "handing you back" in rows[joined + 3][2]
    assert rows[joined + 4] == ("turn-customer", "Customer", "how do I share a file with my colleague?")
    assert rows[joined + 5][:2] == ("turn-bot", "Bot")

    # Analytics count the chat: taken over, a first response and a handle time.
    agent_page.goto(f"{stack.handoff_url}/staff/analytics")
    live_figures = agent_page.get_by_role("region", name="Live chat")
    expect(live_figures.locator("#fig-taken_over .value")).not_to_have_text("0")
    expect(live_figures.locator("#fig-first_response .value")).not_to_have_text("–")
    expect(live_figures.locator("#fig-handle_time .value")).not_to_have_text("–")


def test_a_reply_to_a_customer_who_left_goes_by_email_and_its_link_reopens_the_chat(
    stack, page: Page, agent_page: Page, browser: Browser
) -> None:
    create_staff(stack, *AGENT)
    customer = Widget(page, stack.handoff_url)
    customer.open()
    customer.say("my printer shows offline")
    reply = customer.talk_to_a_person()
    assert "type your email address" in reply  # an unverified customer is asked where to write
    ticket_id = customer.ticket_number()
    address = "robin.k@example.org"
    assert f"send the answer to {address}" in customer.say(f"you can reach me at {address}")
    page.goto("about:blank")  # the customer leaves: the widget's socket closes

    open_staff_ticket(agent_page, stack, (AGENT[0], AGENT[2]), ticket_id)
    expect(agent_page.locator(".summary-card")).to_contain_text(f"{address} given, not verified")
    live = agent_page.get_by_role("region", name="Live chat")
    live.get_by_role("button", name="Join conversation").click()
    expect(live).to_contain_text("You hold this chat")
    live.get_by_label("Message to the customer").fill("The printer's driver needs an update: open Settings.")
    live.get_by_role("button", name="Send").click()
    expect(agent_page.locator("ol.chat .turn-agent").last).to_contain_text("driver needs an update")

    mail = wait_for_mail(stack, address)
    body = mail.get_body().get_content()
    assert mail["Subject"] == f"Re: your ticket {ticket_id}"
    assert "Ana Lopez from Nimbus support" in body and "The printer's driver needs an update" in body
    link = re.search(r"http://\S+\?conversation=\S+", body).group(0)
    assert link.startswith(stack.handoff_url + "/?conversation=")

    # The link opens the chat again, in another browser, with its whole history.
    context = browser.new_context()
    back = context.new_page()
    try:
        back.goto(link)
        again = Widget(back, stack.handoff_url)
        expect(again.input).to_be_visible()
        expect(back.locator(".t0-msg.t0-user").first).to_contain_text("my printer shows offline")
        expect(back.locator(".t0-msg.t0-agent").last).to_contain_text("driver needs an update")
        expect(back.locator(".t0-notice").last).to_have_text("Ana from Nimbus support has joined the chat.")
        expect(back.locator(".t0-msg.t0-agent").last.locator(".t0-author-name")).to_have_text("Ana Lopez")
        # ... and goes on in the same conversation: the agent holding it sees the answer.
        again.input.fill("thanks, updating the driver now")
        again.input.press("Enter")
        expect(agent_page.locator("ol.chat .turn-customer").last).to_contain_text("updating the driver now")
        expect(back.get_by_text("Assistant is typing")).to_be_hidden()  # a person holds the chat
        screenshot(back, "takeover-reopened-from-email")
    finally:
        context.close()

    # A damaged link says so, and the widget starts a fresh chat.
    other = browser.new_context()
    try:
        stale = other.new_page()
        stale.goto(link[:-4] + "AAAA")
        expect(stale.locator("p.notice")).to_contain_text("expired or is not valid")
    finally:
        other.close()


def wait_for_mail(stack, address: str, timeout: float = 20):  # noqa: ANN201 - an EmailMessage
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [m for m in read_outbox(stack.outbox, to=address) if "Re: your ticket" in (m["Subject"] or "")]
        if mails:
            return mails[-1]
        time.sleep(0.2)
    raise AssertionError(f"no reply mailed to {address} within {timeout} s")
