"""The embeddable chat widget (web/widget/src, served as /widget/tier0-widget.js) in Debian's
Chromium against the real stack: rendering, keyboard use, accessibility (axe-core), persistence
across reloads, an unreachable server (a TCP proxy in the test cut and restored), safe Markdown."""

from __future__ import annotations

import asyncio
import html
import http.server
import json
import re
import threading

import httpx
import pytest
from playwright.sync_api import Page, expect

from harness.stack import free_port
from tests.e2e.accessibility import assert_accessible, axe_results
from tests.e2e.conftest import user_turns

pytestmark = pytest.mark.e2e

TITLE = "Nimbus Assistant"
HOST = "tier0-chat-widget"
GREETING = "Ask me about sign-in, Wi-Fi, apps, licences or billing."
BOT_GREET = "Tell me what's going on"  # the bot's own answer to "hello"
KB_QUESTION = "how do I restore a file I deleted by mistake?"
NOT_SENT = "Not sent yet: will send when reconnected"

# The focused element, inside the widget's shadow root if that is where focus is.
DEEP_FOCUS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    cls: String(el.className || ""),
    name: el.getAttribute("aria-label") || el.textContent.trim(),
    outline: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    inWidget: el.getRootNode() !== document,
  };
}"""


# --- helpers ---------------------------------------------------------------------------------


def open_demo(page: Page, stack) -> None:
    page.goto(f"{stack.handoff_url}/")
    expect(page.get_by_role("region", name=TITLE)).to_be_visible()  # data-open="true" on the demo page


def composer(page: Page):
    return page.get_by_role("textbox", name="Your message")


def say(page: Page, text: str) -> None:
    box = composer(page)
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".t0-user .t0-text").last).to_have_text(text)


def bot_messages(page: Page):
    return page.locator(".t0-bot")


def expect_code_then_email_question(page: Page) -> None:
    """The reply to "my account is locked": why a one-time code, then the email question. Waits for
    the last bubble (the widget shows them one after another; the one before it is only the last for
    a moment, which a slow machine can miss)."""
    expect(bot_messages(page).last).to_contain_text("Which email address", timeout=30_000)
    expect(bot_messages(page).filter(has_text="one-time code").last).to_be_visible()


class HostSite:
    """Host pages that are not ours, on their own origin (a small HTTP server in the test). Served
    from 127.0.0.1 for real: Chromium refuses loopback requests from a page Playwright fulfilled."""

    def __init__(self, port: int = 0) -> None:
        self.pages: dict[str, bytes] = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                body = site.pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, html_text: str) -> str:
        self.pages[path] = html_text.encode()
        return self.url + path


@pytest.fixture(scope="module")
def host_site(stack):
    site = HostSite(int(stack.env["TIER0_TEST_HOST_SITE_PORT"]))  # an origin Rasa's CORS allows
    yield site
    site.server.shutdown()


def host_page(page: Page, stack, site: HostSite, server_url: str | None, **data: str) -> None:
    """Open a host page embedding the widget with one script tag from the handoff API."""
    attrs = {"server-url": server_url} if server_url else {}
    attrs |= {key.replace("_", "-"): value for key, value in data.items()}
    tag_attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in attrs.items())
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title>'
        # hostile host styles: the widget's shadow root must not care
        "<style>button { background: red !important; font-size: 40px; } div { border: 5px solid lime; }</style>"
        "</head><body><main><h1>A shop page</h1></main>"
        f'<script src="{stack.handoff_url}/widget/tier0-widget.js" {tag_attrs} async></script></body></html>'
    )
    page.goto(site.add(f"/page-{len(site.pages)}", body))


def stored_state(page: Page) -> dict:
    """The widget's localStorage entry (persist on)."""
    raw = page.evaluate(
        "() => { const k = Object.keys(localStorage).find((k) => k.startsWith('tier0-widget:v1:'));"
        " return k ? localStorage.getItem(k) : null; }"
    )
    assert raw, "nothing stored in localStorage"
    return json.loads(raw)


def tab_until(page: Page, predicate, presses: int = 25, key: str = "Tab") -> list[dict]:
    """Press Tab (or Shift+Tab) until the focused element matches; returns what was focused on the way."""
    seen = []
    for _ in range(presses):
        page.keyboard.press(key)
        focus = page.evaluate(DEEP_FOCUS)
        seen.append(focus)
        if focus and predicate(focus):
            return seen
    raise AssertionError(f"never reached the element with {key}; focused: {[f and f['name'] for f in seen]}")


def assert_focus_visible(focus: dict) -> None:
    assert focus["outline"] != "none" and focus["outlineWidth"] >= 2, f"no visible focus on {focus}"


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the Rasa server; can be cut (connections dropped, nothing
    accepted), restored, and can hold back the server's replies. Runs its own event loop in a thread."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.flowing: asyncio.Event | None = None

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def start(self) -> TcpProxy:
        self.thread.start()
        self._call(self._init())
        self.restore()
        return self

    async def _init(self) -> None:
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer, hold=False), self._pipe(up_reader, writer, hold=True))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hold: bool) -> None:
        try:
            while data := await reader.read(65536):
                if hold:
                    await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()
            self.writers.discard(writer)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()  # a reset, like a dropped network
        self.writers.clear()

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def hold_replies(self, hold: bool) -> None:
        self.loop.call_soon_threadsafe(self.flowing.clear if hold else self.flowing.set)

    def close(self) -> None:
        self._call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def proxy(stack):
    p = TcpProxy(int(stack.rasa_url.rsplit(":", 1)[1])).start()
    yield p
    p.close()


# --- 1. rendering through the real stack -----------------------------------------------------


def test_greeting_reply_and_a_kb_answer_with_markdown_and_citation(stack, page) -> None:
    open_demo(page, stack)
    expect(bot_messages(page).first).to_contain_text(GREETING)  # local greeting, no round trip
    expect(bot_messages(page).first).to_contain_text("Assistant:")  # screen-reader prefix
    say(page, "hello")
    expect(bot_messages(page).nth(1)).to_contain_text(BOT_GREET, timeout=30_000)

    say(page, KB_QUESTION)
    answer = page.locator(".t0-bot", has=page.locator("a[href*='/help/articles/']")).last
    expect(answer).to_be_visible(timeout=30_000)
    bold = answer.locator(".t0-text strong").first
    expect(bold).to_be_visible()  # **title** is bold, not asterisks
    assert "**" not in answer.locator(".t0-text").inner_text()
    link = answer.locator(".t0-text a[href*='/help/articles/']").first
    assert link.get_attribute("target") == "_blank"
    assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
    # The citation card (the bot's custom payload) under the answer, and quick replies after it
    cite = answer.locator(".t0-cite")
    expect(cite).to_contain_text("Source:")
    expect(cite).to_have_attribute("target", "_blank")
    expect(cite).to_have_attribute("rel", "noopener noreferrer")
    expect(page.get_by_role("button", name="Yes, that helped")).to_be_enabled()
    expect(page.locator(".t0-typing")).to_be_hidden()

    with page.context.expect_page() as new_tab:
        link.click()
    article = new_tab.value
    article.wait_for_load_state()
    expect(article.locator("article h1")).to_be_visible()


def test_typing_indicator_shows_until_the_reply(stack, page, proxy, host_site) -> None:
    host_page(page, stack, host_site, f"http://127.0.0.1:{proxy.port}", title=TITLE, open="true")
    say(page, "hello")
    expect(bot_messages(page).nth(1)).to_contain_text(BOT_GREET, timeout=30_000)
    proxy.hold_replies(True)  # the server's answer is held back in the proxy
    say(page, "thanks")
    typing = page.locator(".t0-typing")
    expect(typing).to_be_visible()
    expect(typing).to_contain_text("Assistant is typing")
    proxy.hold_replies(False)
    expect(bot_messages(page).nth(2)).to_be_visible(timeout=30_000)
    expect(typing).to_be_hidden()


# --- 2. keyboard only ------------------------------------------------------------------------


def test_keyboard_only(stack, page) -> None:
    open_demo(page, stack)
    # From the top of the page, Tab reaches the launcher; it is a toggle with a visible focus ring
    seen = tab_until(page, lambda f: f["name"] == f"Open chat: {TITLE}")
    assert_focus_visible(seen[-1])
    launcher = page.get_by_role("button", name=f"Open chat: {TITLE}")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Enter")  # close
    expect(page.get_by_role("region", name=TITLE)).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")  # open: focus goes to the message box
    expect(page.get_by_role("region", name=TITLE)).to_be_visible()
    focus = page.evaluate(DEEP_FOCUS)
    assert focus["tag"] == "textarea"
    assert_focus_visible(focus)

    page.keyboard.type("I can't log in to nimbus")
    page.keyboard.press("Enter")
    expect(page.locator(".t0-user .t0-text").last).to_have_text("I can't log in to nimbus")
    expect(page.get_by_role("button", name="It says my account is locked")).to_be_visible(timeout=30_000)

    # Shift+Enter is a new line, not a send
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert composer(page).input_value() == "first line\nsecond line"
    expect(page.locator(".t0-user")).to_have_count(1)
    composer(page).fill("")

    # Back from the message box: the quick replies, then "Talk to a person", all with focus rings
    seen = tab_until(page, lambda f: f["name"] == "Talk to a person", key="Shift+Tab")
    replies = [f for f in seen if "t0-reply" in f["cls"]]
    assert {f["name"] for f in replies} >= {"It says my account is locked", "I forgot my password"}
    for f in [*replies, seen[-1]]:
        assert_focus_visible(f)
    # Choose a quick reply with the keyboard: its title is shown, the buttons are spent, focus stays
    tab_until(page, lambda f: f["name"] == "It says my account is locked")
    page.keyboard.press("Enter")
    expect(page.locator(".t0-user .t0-text").last).to_have_text("It says my account is locked")
    expect(page.get_by_role("button", name="It says my account is locked")).to_be_disabled()
    assert page.evaluate(DEEP_FOCUS)["tag"] == "textarea"
    expect_code_then_email_question(page)

    # Escape closes the panel and gives focus back to the launcher
    page.keyboard.press("Escape")
    expect(page.get_by_role("region", name=TITLE)).to_be_hidden()
    focus = page.evaluate(DEEP_FOCUS)
    assert focus["name"] == f"Open chat: {TITLE}"
    assert_focus_visible(focus)


# --- 3. accessibility, desktop and phone -----------------------------------------------------


def _conversation_with_buttons(page: Page) -> None:
    say(page, "I can't log in to nimbus")
    expect(page.get_by_role("button", name="It says my account is locked")).to_be_visible(timeout=30_000)


def test_axe_sees_inside_the_shadow_root(stack, page) -> None:
    open_demo(page, stack)
    # A planted violation inside the shadow root must be reported: proof that axe covers the widget.
    page.evaluate(
        "(host) => document.querySelector(host).shadowRoot.querySelector('.t0-log')"
        ".append(Object.assign(document.createElement('button'), {id: 'planted'}))",
        HOST,
    )
    found = axe_results(page)
    names = [v["id"] for v in found["violations"]]
    assert "button-name" in names, names
    planted = next(v for v in found["violations"] if v["id"] == "button-name")
    assert any("planted" in n["target"] for n in planted["nodes"])


def test_accessible_on_desktop(stack, page) -> None:
    open_demo(page, stack)
    _conversation_with_buttons(page)
    assert_accessible(page, "desktop 1280x720, conversation with quick replies")
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("status").first).to_be_attached()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    launcher = page.get_by_role("button", name=f"Open chat: {TITLE}")
    expect(launcher).to_have_attribute("aria-controls", "t0-panel")


def test_accessible_and_fits_a_phone_screen(stack, page) -> None:
    page.set_viewport_size({"width": 360, "height": 640})
    open_demo(page, stack)
    _conversation_with_buttons(page)
    say(page, "It says my account is locked")  # a longer conversation: the log must scroll, not the page
    expect_code_then_email_question(page)
    assert_accessible(page, "phone 360x640, conversation with quick replies")

    panel = page.get_by_role("region", name=TITLE).bounding_box()
    assert panel == {"x": 0, "y": 0, "width": 360, "height": 640}, panel  # the panel is the screen
    sizes = page.evaluate(
        f"""() => {{
          const root = document.querySelector('{HOST}').shadowRoot;
          const panel = root.querySelector('.t0-panel'), log = root.querySelector('.t0-log');
          return {{page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                   panel: [panel.scrollWidth, panel.clientWidth], log: [log.scrollWidth, log.clientWidth],
                   inputFont: getComputedStyle(root.querySelector('textarea')).fontSize}};
        }}"""
    )
    for part in ("page", "panel", "log"):
        assert sizes[part][0] <= sizes[part][1], f"{part} overflows horizontally: {sizes}"
    assert sizes["inputFont"] == "16px"
    for control in (
        composer(page),
        page.get_by_role("button", name="Send"),
        page.get_by_role("button", name="Talk to a person"),
        page.get_by_role("button", name="Close chat"),
    ):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 640, box
    # closed, only the launcher is left, above the page
    page.get_by_role("button", name="Close chat").click()
    expect(page.get_by_role("button", name=f"Open chat: {TITLE}")).to_be_visible()


# --- 4. persistence --------------------------------------------------------------------------


def test_reload_keeps_the_conversation_and_the_draft(stack, page) -> None:
    open_demo(page, stack)
    say(page, "I forgot my password")
    expect(bot_messages(page).last).to_contain_text("Which email address", timeout=30_000)
    session_id = stored_state(page)["sessionId"]
    assert session_id
    composer(page).fill("a draft I have not sent")

    page.reload()
    expect(page.get_by_role("region", name=TITLE)).to_be_visible()
    expect(bot_messages(page).last).to_contain_text("Which email address")
    expect(page.locator(".t0-user .t0-text")).to_have_text(["I forgot my password"])
    expect(composer(page)).to_have_value("a draft I have not sent")

    # The same Rasa conversation goes on: the bot still expects the email address it asked for
    say(page, "taylor@example.com")
    expect(bot_messages(page).last).to_contain_text("6-digit code", timeout=30_000)
    assert stored_state(page)["sessionId"] == session_id
    said = user_turns(stack, session_id, 2)
    assert said == ["I forgot my password", "taylor@example.com"], said
    expect(composer(page)).to_have_value("")  # the draft went with the message


def test_talk_to_a_person_shows_the_ticket_banner_across_reloads(stack, page) -> None:
    open_demo(page, stack)
    page.get_by_role("button", name="Talk to a person").click()
    banner = page.locator(".t0-ticket")
    expect(banner).to_have_text(re.compile(r"Your ticket: NIM-\d{6}"), timeout=30_000)
    ticket = banner.locator("strong").inner_text()
    expect(bot_messages(page).last).to_contain_text(ticket)  # the bot's own words say the same
    # The tapped button's title travels as metadata: the staff see what the customer saw
    r = httpx.get(f"{stack.handoff_url}/api/tickets/{ticket}", headers={"Authorization": f"Bearer {stack.bot_token}"})
    customer = [t["text"] for t in r.json()["transcript"] if t["sender"] == "customer"]
    assert customer == ["Talk to a person"], customer
    page.reload()
    expect(page.locator(".t0-ticket")).to_have_text(f"Your ticket: {ticket}")


def test_without_persistence_a_reload_starts_afresh(stack, page, host_site) -> None:
    host_page(page, stack, host_site, stack.rasa_url, title=TITLE, open="true", persist="false")
    say(page, "hello")
    expect(bot_messages(page).nth(1)).to_contain_text(BOT_GREET, timeout=30_000)
    composer(page).fill("kept anyway")
    page.reload()
    expect(bot_messages(page)).to_have_count(1)  # only the greeting
    expect(page.locator(".t0-user")).to_have_count(0)
    expect(composer(page)).to_have_value("kept anyway")  # drafts are kept either way
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('tier0-widget'))") == []


# --- 5. an unreachable server ----------------------------------------------------------------


def test_messages_wait_while_the_server_is_unreachable_and_go_out_after(stack, page, proxy, host_site) -> None:
    host_page(page, stack, host_site, f"http://127.0.0.1:{proxy.port}", title=TITLE, open="true", persist="true")
    say(page, "hello")
    expect(bot_messages(page).nth(1)).to_contain_text(BOT_GREET, timeout=30_000)
    # Rasa acknowledges a message after the whole turn, a moment after its reply: cut only then, or
    # "hello" rightly goes back in the queue and the counts below are off by one.
    page.wait_for_function(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('tier0-widget:v1:')).some((k) =>"
        " JSON.parse(localStorage.getItem(k)).messages.some((m) => m.text === 'hello' && m.status === 'sent'))",
        timeout=30_000,
    )

    proxy.cut()
    status = page.get_by_role("status").filter(has_text="can't be reached")
    expect(status).to_contain_text("Retrying", timeout=15_000)
    say(page, KB_QUESTION)
    expect(composer(page)).to_have_value("")
    queued = page.locator(".t0-user").last
    expect(queued).to_contain_text(NOT_SENT)
    assert [m["status"] for m in stored_state(page)["messages"] if m["text"] == KB_QUESTION] == ["queued"]

    # Still queued after a reload while the server is away
    page.reload()
    expect(page.get_by_role("status").filter(has_text="can't be reached")).to_be_visible(timeout=15_000)
    expect(page.locator(".t0-user").last).to_contain_text(NOT_SENT)
    say(page, "thanks")  # a second one, sent in order after the first
    expect(page.locator(".t0-pending")).to_have_count(2)

    proxy.restore()
    expect(page.locator(".t0-pending")).to_have_count(0, timeout=20_000)
    expect(page.get_by_role("status").filter(has_text="Connected again")).to_be_visible(timeout=10_000)
    expect(page.locator(".t0-bot a[href*='/help/articles/']").first).to_be_visible(timeout=30_000)
    expect(page.locator(".t0-user .t0-text")).to_have_text(["hello", KB_QUESTION, "thanks"])
    expect(page.get_by_role("status").filter(has_text="Connected again")).to_be_hidden(timeout=10_000)
    said = user_turns(stack, stored_state(page)["sessionId"], 3)
    assert said == ["hello", KB_QUESTION, "thanks"]  # each once, in order


# --- 6. safe rendering -----------------------------------------------------------------------

HOSTILE = [
    "<script>window.__pwned = true</script>hi",
    '<img src=x onerror="window.__pwned = true">',
    "[click me](javascript:window.__pwned=true)",
    '<a href="javascript:window.__pwned=true">link</a>',
    '<iframe src="javascript:window.__pwned=true"></iframe>',
    '<svg><script>window.__pwned=true</script></svg><svg onload="window.__pwned=true"></svg>',
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD10cnVlPC9zY3JpcHQ+)",
    '<p onclick="window.__pwned=true" style="position:fixed">styled</p>',
    '<form action="https://evil.example"><input name=x></form>',
]

RENDER = """(cases) => cases.map((md) => {
  const box = document.createElement("div");
  box.append(window.Tier0Widget._renderMarkdown(md));
  document.body.append(box);  // live in the page: anything that could run, would
  return box.innerHTML;
})"""


def test_markdown_renderer_makes_hostile_markup_inert(stack, page) -> None:
    open_demo(page, stack)
    page.evaluate("window.__pwned = false")
    rendered = page.evaluate(RENDER, HOSTILE)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is False
    for source, out in zip(HOSTILE, rendered, strict=True):
        lowered = out.lower()
        for bad in (
            "<script",
            "<img",
            "<iframe",
            "<svg",
            "<form",
            "<input",
            "javascript:",
            "data:",
            "onerror",
            "onload",
            "onclick",
            "style=",
        ):
            assert bad not in lowered, f"{source!r} rendered as {out!r}"

    good = page.evaluate(
        RENDER,
        [
            "**Bold** and _em_ with [an article](https://help.example/a), [relative](/help/articles/x) "
            "and [mail](mailto:help@example.com)\nnext line\n\n- one\n- two\n\n`code`"
        ],
    )[0]
    assert "<strong>Bold</strong>" in good and "<em>em</em>" in good
    assert "<br>" in good and "<ul>" in good and "<code>code</code>" in good
    links = re.findall(r"<a [^>]*>", good)
    assert len(links) == 3, good
    for a in links:
        assert 'target="_blank"' in a and 'rel="noopener noreferrer"' in a, a
    assert 'href="/help/articles/x"' in good and 'href="mailto:help@example.com"' in good


def test_customer_text_with_markup_is_shown_as_text(stack, page) -> None:
    open_demo(page, stack)
    page.evaluate("window.__pwned = false")
    hostile = '<img src=x onerror="window.__pwned=true">**not bold** [x](javascript:alert(1))'
    say(page, hostile)
    expect(bot_messages(page).nth(1)).to_be_visible(timeout=30_000)
    assert page.evaluate("window.__pwned") is False
    assert page.locator(f"{HOST} .t0-user img, {HOST} .t0-user strong, {HOST} .t0-user a").count() == 0


# --- configuration ---------------------------------------------------------------------------


def test_missing_server_url_logs_an_error_and_renders_nothing(stack, page, host_site) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    host_page(page, stack, host_site, None, title="Shop help")
    page.wait_for_function("window.Tier0Widget !== undefined")
    assert page.locator(HOST).count() == 0
    assert any("serverUrl is missing" in e for e in errors), errors


def test_host_styles_do_not_reach_in_and_colours_follow_the_config(stack, page, host_site) -> None:
    host_page(page, stack, host_site, stack.rasa_url, title="Shop help", primary_color="#ffd400", open="true")
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_visible()
    colours = send.evaluate(
        "(b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color, getComputedStyle(b).fontSize]"
    )
    # yellow brand colour: dark text on it (white would fail contrast), host's red/40px ignored
    assert colours == ["rgb(255, 212, 0)", "rgb(17, 17, 17)", "15px"], colours
    assert_accessible(page, "host page with a light brand colour")


def test_a_paste_over_the_limit_is_refused_and_the_counter_appears(stack, page, host_site) -> None:
    host_page(page, stack, host_site, stack.rasa_url, title=TITLE, open="true", max_length="50")
    box = composer(page)
    expect(box).to_have_attribute("maxlength", "50")
    box.fill("x" * 30)
    counter = page.locator(".t0-counter")
    expect(counter).to_be_hidden()
    box.fill("x" * 41)
    expect(counter).to_have_text("41 / 50 characters")
    box.evaluate(
        """(el) => {
          const data = new DataTransfer();
          data.setData("text/plain", "y".repeat(20));
          el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.get_by_role("alert")).to_contain_text("That paste is too long")
    expect(box).to_have_value("x" * 41)  # nothing was cut or lost
