"""The six customer journeys of the web widget, in Debian's Chromium, through the real stack:
trained model, action server, handoff service with its staff pages, the demo account backend's
mail outbox. Each journey ends with a screenshot in test-artifacts/ (the `page` fixture) and an
accessibility check of the widget in the page (axe-core)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.mail import read_outbox
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import create_staff, screenshot, user_turns

pytestmark = pytest.mark.e2e

REPLY_TIMEOUT_S = 30
# Rasa sends a turn's messages one after another: a turn is over when no new one came for this long.
QUIET_S = 0.8
STAFF_EMAIL = "kim@nimbus.example"
STAFF_PASSWORD = "journey-test-password"


class Widget:
    """What a customer does with the widget on the demo help page, and what they see."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/")
        expect(self.input).to_be_visible()  # the demo page opens the widget

    @property
    def input(self) -> Locator:
        return self.page.get_by_label("Your message")

    @property
    def bot_messages(self) -> Locator:
        return self.page.locator(".t0-msg.t0-bot")

    def say(self, text: str) -> str:
        before = self.bot_messages.count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.replies_after(before)

    def tap(self, title_part: str) -> str:
        """Tap a quick-reply button of the latest answer whose title contains `title_part`."""
        before = self.bot_messages.count()
        self.page.locator(".t0-reply:enabled").filter(has_text=re.compile(re.escape(title_part), re.I)).last.click()
        return self.replies_after(before)

    def replies_after(self, before: int) -> str:
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while self.bot_messages.count() <= before:
            assert time.monotonic() < deadline, "no reply from the assistant"
            time.sleep(0.1)
        count = -1
        while count != self.bot_messages.count():
            count = self.bot_messages.count()
            time.sleep(QUIET_S)
        expect(self.page.locator(".t0-typing")).to_be_hidden()
        return "\n".join(self.bot_messages.nth(i).inner_text() for i in range(before, count))

    def talk_to_a_person(self) -> str:
        """The control in the widget's header, always there (replies may offer one too)."""
        before = self.bot_messages.count()
        self.page.locator(".t0-header").get_by_role("button", name="Talk to a person").click()
        return self.replies_after(before)

    def button_titles(self) -> list[str]:
        return [b.inner_text() for b in self.page.locator(".t0-reply:enabled").all()]

    def ticket_number(self) -> str:
        banner = self.page.locator(".t0-ticket")
        expect(banner).to_be_visible()
        return re.search(r"NIM-\d{6}", banner.inner_text()).group(0)


def emailed_code(stack, email: str) -> str:
    body = read_outbox(stack.outbox, to=email)[-1].get_body().get_content()
    return re.search(r"\b(\d{6})\b", body).group(1)


def reach_first_step(widget: Widget, problem: str) -> str:
    """Describe a problem, answer the flow's diagnostic questions with their buttons; the reply
    that holds Step 1."""
    reply = widget.say(problem)
    for _ in range(8):
        if "Step 1" in reply:
            break
        titles = widget.button_titles()
        last = widget.bot_messages.last.inner_text().lower()
        if "neighbour" in last or "networks" in last:
            reply = widget.tap("yes")
        elif any("evening" in t.lower() for t in titles):
            reply = widget.tap("evening")
        elif titles:
            reply = widget.tap(titles[0])
        else:
            reply = widget.say("no error message")
    assert "Step 1" in reply, reply
    return reply


@pytest.fixture
def widget(stack, page: Page) -> Widget:
    w = Widget(page, stack.handoff_url)
    w.open()
    return w


@pytest.fixture(scope="module")
def staff_login(stack) -> tuple[str, str]:
    """A staff account made with the service's own command, as an administrator would."""
    create_staff(stack, STAFF_EMAIL, "Kim", STAFF_PASSWORD)
    return STAFF_EMAIL, STAFF_PASSWORD


def log_in_as_staff(page: Page, stack, login: tuple[str, str]) -> None:
    page.goto(f"{stack.handoff_url}/staff")
    page.get_by_label("Email").fill(login[0])
    page.get_by_label("Password").fill(login[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("table")).to_be_visible()


def open_staff_ticket(page: Page, stack, login: tuple[str, str], ticket_id: str) -> None:
    log_in_as_staff(page, stack, login)
    page.get_by_role("link", name=ticket_id).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket_id)


# --- 1. password reset ------------------------------------------------------------------------


def test_password_reset_with_the_emailed_code_then_a_rating(stack, widget: Widget, page: Page) -> None:
    reply = widget.say("I forgot my password and can't get in")
    assert "one-time code" in reply and "Which email" in reply
    assert "6-digit code" in widget.say("alex@example.com")
    reply = widget.say(emailed_code(stack, "alex@example.com"))
    assert "reset link" in reply and "alex@example.com" in reply
    mail = read_outbox(stack.outbox, to="alex@example.com")[-1]
    assert "reset" in mail["Subject"].lower()
    # the customer follows the link from the mail and chooses a new password
    link = re.search(r"https?://\S+token=\S+", mail.get_body().get_content()).group(0)
    reset_tab = page.context.new_page()
    reset_tab.goto(link)
    reset_tab.get_by_label("New password", exact=True).fill("a-new-long-password")
    reset_tab.get_by_label("Repeat the new password").fill("a-new-long-password")
    reset_tab.get_by_role("button", name="Set new password").click()
    expect(reset_tab.get_by_role("status")).to_contain_text("password has been changed")
    reset_tab.close()
    # back in the chat: the rating question, answered with a tap
    assert "rate it from 1" in reply.lower()
    assert widget.button_titles() == ["1", "2", "3", "4", "5"]
    assert "Thanks for your feedback" in widget.tap("5")
    assert_accessible(page, "password reset journey")


# --- 2. a knowledge-base answer -----------------------------------------------------------------


def test_an_open_question_is_answered_from_the_kb_with_a_working_link(stack, widget: Widget, page: Page) -> None:
    reply = widget.say("how do I get back a file I deleted by mistake?")
    assert "Did this help?" in reply
    answer = widget.bot_messages.filter(has=page.locator("strong")).last
    expect(answer.locator("strong").first).to_have_text(re.compile("restore", re.I))  # **title**, not asterisks
    citation = page.locator(".t0-cite").last
    expect(citation).to_have_attribute("href", re.compile(r"/help/articles/restore-deleted-files$"))
    expect(citation).to_have_attribute("target", "_blank")
    with page.context.expect_page() as new_tab:
        citation.click()
    article = new_tab.value
    article.wait_for_load_state()
    expect(article.locator("article h1")).to_contain_text(re.compile("restore", re.I))
    article.close()
    reply = widget.tap("Yes, that helped")
    assert "glad that helped" in reply and "rate it from 1" in reply  # resolved: the rating question follows
    assert_accessible(page, "KB answer journey")


# --- 3. Wi-Fi troubleshooting -------------------------------------------------------------------


def test_wifi_flow_step_by_step_simpler_wording_then_a_ticket(stack, widget: Widget, page: Page) -> None:
    reply = reach_first_step(widget, "my wifi keeps dropping every evening on my laptop, windows 11")
    assert "Step 1" in reply, reply
    technical = reply.split("Step 1", 1)[1]
    simpler = widget.say("I don't understand, explain it simpler please")
    assert "simpler words" in simpler and simpler.split("Step 1", 1)[1] != technical
    screenshot(page, "journey3-simpler-wording")
    reply = widget.tap("No, still")
    steps = 2
    while "Did that fix it?" in reply:
        reply = widget.tap("No, still")
        steps += 1
    assert steps >= 3
    assert "all the steps I have" in reply and "Did this help?" in reply
    expect(page.locator(".t0-cite").last).to_have_attribute("href", re.compile("/help/articles/"))
    reply = widget.tap("No")
    ticket_id = widget.ticket_number()
    assert ticket_id in reply
    assert_accessible(page, "Wi-Fi journey")


# --- 4. talk to a person, and the staff member's view -------------------------------------------


def test_talk_to_a_person_then_staff_see_transcript_steps_and_reason(
    stack, widget: Widget, page: Page, staff_login
) -> None:
    reach_first_step(widget, "my wifi keeps dropping every evening on my laptop, windows 11")
    assert "Step 2" in widget.tap("No, still")  # step 1 is recorded as tried
    reply = widget.talk_to_a_person()
    ticket_id = widget.ticket_number()
    assert ticket_id in reply
    assert_accessible(page, "handoff journey")
    screenshot(page, "journey4-widget-ticket")

    # a staff member logs in, in the same browser, and finds everything the customer said and tried
    open_staff_ticket(page, stack, staff_login, ticket_id)
    transcript = page.locator("ol.chat")
    expect(transcript).to_contain_text("my wifi keeps dropping every evening on my laptop, windows 11")
    expect(transcript).to_contain_text("Talk to a person")  # the button's title, as the customer saw it
    expect(transcript).to_contain_text("Step 1")  # the bot's side too
    expect(page.locator(".ticket-head .meta")).to_contain_text("customer asked")
    expect(page.get_by_role("region", name="Summary")).to_contain_text("Wi-Fi")
    steps = page.get_by_role("region", name="Steps already tried")
    expect(steps.locator("tbody tr")).to_have_count(1)
    expect(steps.locator(".outcome")).to_contain_text("did not fix it")


# --- 5. reload in the middle of a conversation --------------------------------------------------


def test_a_reload_keeps_the_history_and_the_conversation_goes_on(stack, widget: Widget, page: Page) -> None:
    reply = widget.say("my wifi keeps dropping on my laptop")
    assert "questions" in reply
    history = [widget.bot_messages.nth(i).inner_text() for i in range(widget.bot_messages.count())]
    widget.input.fill("half-typed words")
    page.reload()
    expect(widget.input).to_be_visible()
    expect(widget.bot_messages).to_have_count(len(history))
    assert [widget.bot_messages.nth(i).inner_text() for i in range(len(history))] == history
    expect(widget.input).to_have_value("half-typed words")  # a draft survives too
    # the same conversation continues: the next answer is the flow's next question, not a new start
    titles = widget.button_titles()
    reply = widget.tap(titles[0]) if titles else widget.say("windows 11")
    assert "Hi!" not in reply and ("?" in reply or "Step 1" in reply)
    # one conversation in Rasa's tracker store holds the turns from before and after the reload
    sender = page.evaluate(
        "() => { const k = Object.keys(localStorage).find((k) => k.startsWith('tier0-widget:'));"
        " return JSON.parse(localStorage.getItem(k)).sessionId; }"
    )
    said = user_turns(stack, sender, 2)
    assert said[0] == "my wifi keeps dropping on my laptop" and len(said) == 2, said
    assert_accessible(page, "reload journey")


# --- 6. hostile input ---------------------------------------------------------------------------

PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>**bold?** [x](javascript:alert(1))'


def test_markup_from_a_customer_is_text_in_the_widget_and_the_staff_transcript(
    stack, widget: Widget, page: Page, staff_login
) -> None:
    page.evaluate("window.__pwned = 0")
    widget.say(PAYLOAD)
    mine = page.locator(".t0-msg.t0-user").last
    expect(mine).to_contain_text(PAYLOAD)
    assert mine.locator("img, script, a, strong").count() == 0
    widget.talk_to_a_person()
    ticket_id = widget.ticket_number()
    assert page.evaluate("window.__pwned") == 0
    assert_accessible(page, "hostile input journey")
    screenshot(page, "journey6-widget")

    open_staff_ticket(page, stack, staff_login, ticket_id)
    page.evaluate("window.__pwned = 0")
    expect(page.locator("ol.chat")).to_contain_text(PAYLOAD)
    assert page.locator("ol.chat img, ol.chat script").count() == 0
    page.reload()  # the page as served, with nothing set by the test
    assert page.evaluate("typeof window.__pwned") == "undefined"
