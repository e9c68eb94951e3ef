"""The whole journey in a real browser, clicked and typed as people would.

`kontobot serve` runs as a subprocess on a scratch SQLite file; Debian's chromium is driven
through Playwright (never a downloaded browser). Waiting is Playwright's own auto-waiting on
what the page shows, never fixed sleeps. Screenshots of the key moments go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dialogs.explain import REASONS
from dialogs.i18n import CATALOGUE_DIR, DOMAIN, Translator
from tests.helpers.browser import BROKEN_WORDS, chromium, require_chromium
from tests.helpers.journey import SUBMIT, Answer, open_account_answers
from tests.helpers.server import ROOT, Server, serving

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "screenshots"
SWEDISH = CATALOGUE_DIR / "sv" / "LC_MESSAGES" / f"{DOMAIN}.po"
WAIT = 15_000  # ms; every expectation below waits at most this long for the page to show it

en, sv = Translator("en"), Translator("sv")
ACCOUNT = "Instagram ki_neuro_demo"

require_chromium()

from playwright.sync_api import (  # noqa: E402  (only once chromium is known to be there)
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    expect,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with serving(f"sqlite:///{tmp_path / 'kontobot.db'}", tmp_path) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


class Chat:
    """The web chat page, seen through what a person can read and click."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            where = message.location.get("url", "")
            self.problems.append(f"console {message.type}: {message.text} ({where})")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    @property
    def log(self) -> Locator:
        return self.page.locator("#log")

    @property
    def latest(self) -> Locator:
        """The bot's newest message."""
        return self.log.locator("article.bot").last

    def see(self, text: str | re.Pattern[str], where: Locator | None = None) -> None:
        expect(where if where is not None else self.log).to_contain_text(text, timeout=WAIT)

    def act_as(self, name: str, locale: str) -> None:
        person = self.page.locator("#people button", has_text=name)
        person.click()
        expect(person).to_have_attribute("aria-current", "true", timeout=WAIT)
        expect(self.page.locator("html")).to_have_attribute("lang", locale, timeout=WAIT)
        expect(self.page.locator("#conversation-title")).to_contain_text(name, timeout=WAIT)

    def open_conversation(self, name: str) -> None:
        conversation = self.page.locator("#conversations button", has_text=name)
        conversation.click()
        expect(conversation).to_have_attribute("aria-current", "true", timeout=WAIT)

    def say(self, text: str) -> None:
        box = self.page.locator("#say")
        box.fill(text)
        box.press("Enter")
        expect(self.log.locator("article.person").last).to_contain_text(text, timeout=WAIT)

    def question(self, number: int) -> Locator:
        """The latest message once it asks question `number` of 14."""
        self.see(f"question {number} of 14", self.latest)
        return self.latest

    def card(self, text: str) -> Locator:
        """The message that contains `text` once it is there, found by its id from then on
        (so it stays found when it is rewritten in place)."""
        found = self.log.locator("article", has_text=text).last
        expect(found).to_be_visible(timeout=WAIT)
        return self.log.locator(f"#{found.get_attribute('id')}")


def assert_every_control_is_named(page: Page) -> None:
    """What a screen reader announces: every control and group has an accessible name."""
    for role in ("button", "combobox", "listbox", "textbox", "checkbox", "group"):
        every = page.get_by_role(role)
        named = page.get_by_role(role, name=re.compile(r"\S"))
        assert named.count() == every.count(), (
            role,
            [c.evaluate("e => e.outerHTML.slice(0, 200)") for c in every.all()],
        )


def test_a_request_in_the_browser_from_open_account_to_welcome(
    browser: Browser, server: Server
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    chat = Chat(page)
    page.goto(server.url)
    expect(page.locator("#people button")).to_have_count(6, timeout=WAIT)
    answers = {a.step: a for a in open_account_answers(scope="university_wide")}

    # Anna (English) opens the chat: it greets her, and she asks for an account, answering
    # what the account is for on one form and the rest one question at a time.
    chat.act_as("Anna Andersson", "en")
    chat.see(en("Hello {name}, I'm kontobot.", name="Anna Andersson"))
    chat.say("/open-account")
    first = chat.card(en("Which platform is the account on?"))
    first.get_by_role("button", name="Instagram", exact=True).click()
    chat.see(
        en("Tell me about the account on this form and send it. You can also answer one question at a time."),
        chat.latest,
    )
    # The question answered is replaced in the page by what was chosen, with nothing to click.
    chat.see(en("✓ You chose: {answer}", answer="Instagram"), first)
    expect(first.get_by_role("button")).to_have_count(0)
    form = chat.latest
    handle = form.get_by_label(en("What is the account's name or handle on the platform?"))
    # Buttons answered: the focus moves on to the form's first field.
    expect(handle).to_be_focused(timeout=WAIT)
    handle.fill("not a handle!")
    for step in ("purpose", "objectives", "target_group", "benefit", "monitoring", "holiday_cover"):
        question = {
            "purpose": "What is the purpose of the account?",
            "objectives": "What are the account's objectives?",
            "target_group": "Who is the target group?",
            "benefit": "What is the operational benefit?",
            "monitoring": "Who monitors the account on weekdays, all year round?",
            "holiday_cover": "Who substitutes during holidays and other absences?",
        }[step]
        form.get_by_label(en(question)).fill(str(answers[step].text))
    form.get_by_label(
        en("Is the account for a unit, university-wide, or for university administration?")
    ).select_option(label=en("University-wide"))
    form.get_by_role("button", name=en("Send the answers"), exact=True).click()
    # The refused field says why, beside it, and has the focus; everything typed is kept.
    chat.see(en("Some answers need changing: see the note under each."), chat.latest)
    form = chat.latest
    handle = form.get_by_label(en("What is the account's name or handle on the platform?"))
    expect(handle).to_have_attribute("aria-invalid", "true", timeout=WAIT)
    expect(handle).to_be_focused(timeout=WAIT)
    chat.see("That doesn't fit Instagram's rules for a handle.", form)
    expect(form.get_by_label(en("What is the purpose of the account?"))).to_have_value(
        str(answers["purpose"].text)
    )
    chat.shot("01-anna-form-refused")
    handle.fill(str(answers["handle"].text))
    form.get_by_role("button", name=en("Send the answers"), exact=True).click()
    chat.question(3)
    chat.say(str(answers["unit"].text))
    team = chat.question(9)
    team.get_by_label(en("Choose people")).select_option(label="Björn Berg")
    team.get_by_role("button", name=en("Confirm"), exact=True).click()
    manager = chat.question(10)
    manager.get_by_label(en("Choose a person")).select_option(label="Cecilia Carlsson")
    manager.get_by_role("button", name=en("Confirm"), exact=True).click()
    confirmations = chat.question(14)
    expect(confirmations.get_by_role("checkbox")).to_have_count(6)
    confirmations.get_by_role("button", name=en("I confirm all of them"), exact=True).click()
    summary = chat.latest
    chat.see(en("Here is your request. Submit it, edit a field, or cancel."), summary)
    chat.see("Björn Berg", summary)
    chat.see(en("University-wide"), summary)
    chat.shot("02-anna-summary")
    # Every question asked so far is still on the page: each kind of control has a name.
    assert_every_control_is_named(page)
    summary.get_by_role("button", name=en("Submit"), exact=True).click()
    chat.see(
        en(
            "Thank you! Your request has been sent to {manager} for approval. I will tell you when they have decided.",
            manager="Cecilia Carlsson",
        )
    )

    # Cecilia (Swedish), the manager, is away: she hands the decision to Filip.
    chat.act_as("Cecilia Carlsson", "sv")
    # The page's own words follow the person acted as.
    expect(page.locator("#composer button[type=submit]")).to_have_text(sv("Send"), timeout=WAIT)
    expect(page.locator("#say")).to_have_attribute(
        "placeholder", sv("Type /open-account, help, or an answer")
    )
    card = chat.card(sv("Your decision is needed as the immediate manager."))
    chat.see(sv("Request to open an account: {account}", account=ACCOUNT), card)
    chat.shot("03-cecilia-card")
    assert_every_control_is_named(page)
    card.get_by_role("button", name=sv("Hand to another approver"), exact=True).click()
    picker = chat.card(sv("Who should decide instead of you?"))
    picker.get_by_label(sv("Choose a person")).select_option(label="Filip Fors")
    picker.get_by_role("button", name=sv("Hand over"), exact=True).click()
    chat.see(sv("Handed over to {name}. They have been sent the request.", name="Filip Fors"))
    # Her card is rewritten in place: it says who decides now, and offers nothing to click.
    chat.see(sv("Waiting for the decision of {name}.", name="Filip Fors"), card)
    expect(card.get_by_role("button")).to_have_count(0, timeout=WAIT)
    # The wrong person acting: the hand-over form she used is still in her chat (as a Slack
    # ephemeral message would be), and its button still sends. Cecilia is no longer the one who
    # decides, so trying to hand the decision on again is politely refused and changes nothing.
    # This is a real click in the UI on a control that is legitimately still on her screen; a
    # stale Approve button cannot be produced without tampering, because the card is updated.
    picker.get_by_label(sv("Choose a person")).select_option(label="David Dahl")
    picker.get_by_role("button", name=sv("Hand over"), exact=True).click()
    chat.see(sv(REASONS["not_approver"]), chat.latest)
    chat.shot("04-cecilia-refused")

    # Filip (English) approves as the manager.
    chat.act_as("Filip Fors", "en")
    card = chat.card(en("Your decision is needed as the immediate manager."))
    card.get_by_role("button", name=en("Approve"), exact=True).click()
    chat.see(
        en(
            "Approved. The request for {account} now goes to the Director of Communications.",
            account=ACCOUNT,
        )
    )
    chat.see(re.compile(r"Approved by Filip Fors on \d{4}-\d\d-\d\d \d\d:\d\d\."), card)
    expect(card.get_by_role("button", name=en("Approve"), exact=True)).to_have_count(
        0, timeout=WAIT
    )
    chat.shot("05-filip-approved")

    # David (English), the Director of Communications, approves: the account is registered.
    chat.act_as("David Dahl", "en")
    card = chat.card(
        en("Your decision is needed as Director of Communications.")
    )
    # Reject first checks that a reason is given, and only then asks; going back leaves
    # everything as it was.
    card.get_by_role("button", name=en("Reject"), exact=True).click()
    chat.see(en(REASONS["reason_required"]))
    card.get_by_label(en("Reason (needed to reject or ask for changes)")).fill("Not now.")
    card.get_by_role("button", name=en("Reject"), exact=True).click()
    question = chat.card(
        en(
            "Do you want to reject the request for {account}? The requester is told, with your reason. This cannot be undone.",
            account=ACCOUNT,
        )
    )
    question.get_by_role("button", name=en("Go back"), exact=True).click()
    chat.see(en("Nothing has changed: the request still waits for a decision."))
    card.get_by_role("button", name=en("Approve"), exact=True).click()
    registered = re.compile(r"is registered as (SOME-\d{4}-0001)")
    chat.see(registered)
    number_text = chat.log.locator("article", has_text=registered).last.inner_text()
    match = registered.search(number_text)
    assert match is not None, number_text
    number = match.group(1)
    chat.shot("06-david-registered")

    # Eva (Swedish) sees the new account in the Communications Office's channel.
    chat.act_as("Eva Ek", "sv")
    expect(page.locator("#say")).to_be_visible(timeout=WAIT)
    chat.open_conversation("#comms-office")
    expect(page.locator("#composer")).to_be_hidden(timeout=WAIT)
    post = chat.card(sv("New social-media account: {number}", number=number))
    chat.see("Anna Andersson, Björn Berg", post)
    chat.shot("07-eva-comms-office")

    # Björn (Swedish) is welcomed to the team in his own language.
    chat.act_as("Björn Berg", "sv")
    welcome = "Welcome to the team of {account} ({number})!"
    chat.see(sv(welcome, account=ACCOUNT, number=number))
    if SWEDISH.exists():
        # The catalogue is there: the welcome must really be in Swedish.
        assert sv(welcome, account="x", number="y") != en(welcome, account="x", number="y")
    chat.shot("08-bjorn-welcome")

    # Anna hears the outcome and is welcomed too.
    chat.act_as("Anna Andersson", "en")
    chat.see(
        en(
            "Your request for {account} is approved. The account is registered as {number}.",
            account=ACCOUNT,
            number=number,
        )
    )
    chat.see(en(welcome, account=ACCOUNT, number=number))
    chat.shot("09-anna-approved")

    assert chat.problems == []


def test_the_page_tells_when_the_server_refuses(browser: Browser, server: Server) -> None:
    page = browser.new_page()
    chat = Chat(page)
    page.goto(server.url)
    chat.act_as("Anna Andersson", "en")
    # A message too long for the server: the page says so and keeps what was typed.
    box = page.locator("#say")
    page.evaluate("document.getElementById('say').removeAttribute('maxlength')")
    too_long = "x" * 20_000
    box.fill(too_long)
    box.press("Enter")
    status = page.get_by_role("alert")
    expect(status).to_contain_text("didn't go through", timeout=WAIT)
    expect(box).to_have_value(too_long)
    # The next message that works clears the notice.
    box.fill("help")
    box.press("Enter")
    chat.see(en("Hello! Here is what I can do."))
    expect(status).to_be_hidden(timeout=WAIT)
    # A blank message gets an answer too, never silence.
    box.fill("  ")
    box.press("Enter")
    chat.see(en("I found no text in your message. Here is what I can do."))
    # The refused request is the only problem the browser itself reports.
    assert [p for p in chat.problems if "413" not in p] == []
    chat.shot("10-refused-message")


@contextmanager
def page_elsewhere(html: str) -> Iterator[str]:
    """A page of another origin (another port on loopback, so that the browser lets it reach
    loopback at all) whose HTML is `html`; its URL."""
    body = html.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=elsewhere.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{elsewhere.server_address[1]}/"
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()
        thread.join()


def test_a_page_elsewhere_cannot_frame_the_chat(browser: Browser, server: Server) -> None:
    """Framed by a page the developer visits, the chat's buttons could be clicked through a
    decoy: the browser refuses to show the chat in a frame. The server's health check, which
    says nothing of the sort, shows in the same page: framing itself works here."""
    framing = (
        f'<iframe id="health" src="{server.url}/healthz"></iframe>'
        f'<iframe id="chat" src="{server.url}/"></iframe>'
    )
    page = browser.new_page()
    with page_elsewhere(framing) as url, page.expect_console_message(
        lambda message: "frame-ancestors 'none'" in message.text, timeout=WAIT
    ):
        page.goto(url)
    expect(page.frame_locator("#health").locator("body")).to_contain_text('"ok"', timeout=WAIT)
    expect(page.frame_locator("#chat").locator("#people")).to_have_count(0)
    assert [frame.url for frame in page.frames if frame.url.startswith(server.url)] == [
        f"{server.url}/healthz"
    ]


# What a phone shows: every element within the viewport's width (and, with BROKEN_WORDS, no
# word broken across lines).
LAYOUT_PROBLEMS = r"""() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      problems.push(`wider than the viewport: ${element.tagName}.${element.className} ${box.left}..${box.right}`);
    }
  }
  return problems;
}"""

# The placeholders of the boxes shown that run past their box: one cut off mid-word tells
# nothing. Measured as the browser lays the text out, in the box's own font.
PLACEHOLDERS_CUT_OFF = r"""() => [...document.querySelectorAll("input[placeholder]")]
  .filter((input) => input.offsetParent)
  .flatMap((input) => {
    const style = getComputedStyle(input);
    const probe = document.createElement("span");
    probe.style.font = style.font;
    probe.style.whiteSpace = "pre";
    probe.style.position = "absolute";
    probe.textContent = input.placeholder;
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return width > room ? [`#${input.id}: "${input.placeholder}" ${Math.round(width)}px > ${room}px`] : [];
  })"""


def carried(page: Page, server: Server, who: str, action: str) -> str:
    """What `action`'s button carries on the newest message offering it, as the page's
    script sends it (a dialog's: the conversation it belongs to); "" when none does."""
    response = page.request.get(f"{server.url}/web/api/messages", params={"as": who})
    assert response.ok, (response.status, response.text())
    for message in reversed(response.json()["messages"]):
        found = re.search(rf'data-action="{re.escape(action)}" data-value="([^"]*)"',
                          message["html"])
        if found:
            return unescape(found.group(1))
    return ""


def submit_request(page: Page, server: Server, who: str, answers: list[Answer]) -> None:
    """`who` answers every question through the page's own JSON API (as its script does)."""
    for number, answer in enumerate(answers):
        if answer.text is not None:
            path, body = "say", {"text": answer.text}
        else:
            path, body = "act", {"action": answer.action, "value": carried(page, server, who,
                                                                           answer.action),
                                 "selected": list(answer.selected), "text": ""}
        response = page.request.post(
            f"{server.url}/web/api/{path}", data={"as": who, "id": f"phone-{number}", **body}
        )
        assert response.ok, (answer, response.status, response.text())


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_request_card_fits_the_screen(
    browser: Browser, server: Server, width: int, lang: str
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 844})
    chat = Chat(page)
    page.goto(server.url)
    expect(page.locator("#people button")).to_have_count(6, timeout=WAIT)
    # The page greets Anna when it first opens her conversation. Her answers below wait for
    # that: an answer sent while another turn of hers runs is run by a worker after it, and
    # its request returns before (the page learns of the reply by polling).
    expect(chat.latest).to_be_visible(timeout=WAIT)
    # Cecilia reads in Swedish; for the English screenshot she has chosen English first.
    chose = page.request.post(
        f"{server.url}/web/api/locale", data={"as": "cecilia", "locale": lang}
    )
    assert chose.ok, chose.text()
    answers = open_account_answers(
        scope="university_wide",
        purpose="Visa institutionens forskning för blivande masterstudenter och forskare.",
        holiday_cover="Enhetens kommunikatör Kommunikationsavdelningen@ki.se täcker semestrar.",
    )
    submit_request(page, server, "anna", [Answer("open", text="/open-account"), *answers, SUBMIT])
    # Cecilia reads the request on her phone: the longest card the chat shows.
    chat.act_as("Cecilia Carlsson", lang)
    # The whole page is in her language, its heading too.
    expect(page.locator("header.top h1")).to_have_text(f"kontobot {Translator(lang)('web chat')}")
    card = chat.card(Translator(lang)("Your decision is needed as the immediate manager."))
    card.scroll_into_view_if_needed()
    chat.shot(f"web-chat-{width}-{lang}")
    try:
        assert page.evaluate(LAYOUT_PROBLEMS) == []
        assert page.evaluate(BROKEN_WORDS, "#log") == []
        # The message box's hint is whole: in full where it fits, shortened on a phone.
        tr = Translator(lang)
        hint = page.locator("#say")
        expect(hint).to_have_attribute(
            "placeholder",
            tr("Type /open-account, help, or an answer" if width > 390 else "Type help or an answer"),
        )
        assert page.evaluate(PLACEHOLDERS_CUT_OFF) == []
        assert chat.problems == []
    finally:
        page.request.post(f"{server.url}/web/api/locale", data={"as": "cecilia", "locale": "sv"})
