"""The dashboard in a real browser: signed in from the web chat's `/dashboard`, as people do.

`kontobot serve` runs as a subprocess on a SQLite file seeded beforehand through the domain
operations (the demo people and three accounts, registered relative to the wall clock the
server reads). Debian's chromium is driven through Playwright, never a downloaded browser;
waiting is Playwright's own, never fixed sleeps. axe-core (npm, package-lock.json) is injected
into every page; screenshots of each page in both languages go to
test-artifacts/screenshots/dashboard/.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.web import demo
from bot.web.dashboard.translation import Words
from data import monitoring, people, questions, signin
from data.db import Store
from data.migrate import migrate
from data.workdays import Calendar
from dialogs.i18n import Translator
from hub.identities import Identities
from tests.helpers.accounts import register
from tests.helpers.browser import BROKEN_DATES, BROKEN_WORDS, chromium, require_chromium
from tests.helpers.server import KONTOBOT, ROOT, Server, cli_env, serving

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots" / "dashboard"
ZONE = ZoneInfo("Europe/Stockholm")
WAIT = 15_000  # ms; every expectation below waits at most this long for the page to show it
LANGUAGES = ("en", "sv")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# What a reader sees go wrong: the page scrolling sideways, text running out of its box (a
# table may scroll inside its own box), chart labels too small to read (and, on a desktop,
# with BROKEN_WORDS, a word broken across lines).
LAYOUT = r"""() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
  }
  for (const element of document.querySelectorAll("main *")) {
    if (element.closest("svg")) continue;
    const style = getComputedStyle(element);
    if (style.overflowX !== "visible" || style.display.startsWith("inline")) continue;
    if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1) {
      const text = element.textContent.trim().slice(0, 40);
      problems.push(`runs out of its box: ${element.tagName}.${element.className} "${text}"`);
    }
  }
  for (const label of document.querySelectorAll("svg.chart text")) {
    const height = label.getBoundingClientRect().height;
    if (height < 10) problems.push(`chart text too small to read: ${label.textContent} (${height}px)`);
  }
  return problems;
}"""
T = TypeVar("T")

require_chromium()

from playwright.sync_api import (  # noqa: E402  (only once chromium is known to be there)
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
)


def words(lang: str) -> Words:
    return Words(lang, ZONE)


en, sv = words("en"), words("sv")


def run(work: Coroutine[Any, Any, T]) -> T:
    """Domain operations from these synchronous tests: in a thread with an event loop of its
    own, apart from the one Playwright drives the browser with."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


# --- the register the browser sees ------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    url: str
    # Demo person key -> person id.
    ids: dict[str, int]
    # A short name -> the account's number.
    numbers: dict[str, str]


async def seed(url: str, now: datetime) -> Seeded:
    """The demo people and three accounts: Björn is on the team of one of them only; Eva, of
    the communications office, sees all three."""
    store = Store.from_url(url)
    try:
        await migrate(store.engine)
        registered = now - timedelta(days=40)
        await demo.seed(Identities(store, lambda: registered))
        async with store.transaction() as session:
            ids = {}
            for person in demo.DEMO_PEOPLE:
                found = await people.find_by_identity(session, "web", person.key)
                assert found is not None and found.id is not None
                ids[person.key] = found.id
        neuro = await register(
            store, requester=ids["anna"], team=(ids["bjorn"],), manager=ids["cecilia"],
            now=registered, handle="ki_neuro_demo", unit="Department of Neuroscience",
        )
        oncology = await register(
            store, requester=ids["cecilia"], team=(ids["filip"],), manager=ids["david"],
            now=registered + timedelta(days=1), platform="facebook", handle="kioncology",
            unit="Department of Oncology-Pathology",
        )
        library = await register(
            store, requester=ids["anna"], team=(ids["filip"],), manager=ids["cecilia"],
            now=registered + timedelta(days=2), platform="linkedin", handle="ki-library",
            unit="University Library",
        )
        assert neuro.id is not None and library.id is not None
        calendar = Calendar()
        async with store.transaction() as session:
            await questions.log_question(
                session, account_id=neuro.id, actor_id=ids["bjorn"],
                text="When is the next open day?", now=now - timedelta(days=3),
            )
            # The library's team has monitored every working day of the last four weeks.
            for back in range(28, 0, -1):
                day = (now - timedelta(days=back)).astimezone(ZONE).date()
                if calendar.is_working_day(day):
                    at = datetime.combine(day, time(10), tzinfo=ZONE).astimezone(UTC)
                    await monitoring.check_in(
                        session, account_id=library.id, person_id=ids["anna"], day=day,
                        kind="monitored", now=at, calendar=calendar, zone=ZONE,
                    )
        numbers = {"neuro": neuro.number, "oncology": oncology.number, "library": library.number}
        return Seeded(url, ids, numbers)
    finally:
        await store.close()


def key_of(server: Server) -> bytes:
    """The key `serve` made on its first start, in var/ of its working directory."""
    return (server.log.parent / "var" / "secret.key").read_text().strip().encode()


async def expired_link(url: str, person_id: int, key: bytes) -> str:
    """A link issued 11 minutes ago: one minute past its lifetime."""
    return await issued_link(url, person_id, key, ago=timedelta(minutes=11))


async def issued_link(url: str, person_id: int, key: bytes, *, ago: timedelta) -> str:
    """A sign-in link issued `ago` before now (the server's wall clock)."""
    store = Store.from_url(url)
    try:
        async with store.transaction() as session:
            return await signin.issue_link(
                session, key=key, person_id=person_id, now=datetime.now(UTC) - ago,
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    folder = tmp_path_factory.mktemp("dashboard")
    return run(seed(f"sqlite:///{folder / 'kontobot.db'}", datetime.now(UTC)))


@pytest.fixture(scope="module")
def server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(seeded.url, tmp_path_factory.mktemp("serve")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


# --- a person in the browser ------------------------------------------------------------------


class Visitor:
    """One person's browser (a context of its own: its own cookies), the problems its pages
    report, and the pages of the dashboard as they read them."""

    def __init__(self, browser: Browser, server: Server, **options: Any) -> None:
        self.server = server
        self.context: BrowserContext = browser.new_context(
            viewport=DESKTOP, accept_downloads=True, **options
        )
        self.problems: list[str] = []
        self.page = self.watch(self.context.new_page())

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # A 401 or 403 the test asks for is reported by the browser as a failed resource.
        if message.type in ("error", "assert") and "status of 40" not in message.text:
            where = message.location.get("url", "")
            self.problems.append(f"console {message.type}: {message.text} ({where})")

    def close(self) -> None:
        self.context.close()

    def link_from_chat(self, key: str, name: str, locale: str) -> Page:
        """In the web chat as `name`, type /dashboard and open the link; the sign-in page."""
        page = self.page
        # Links from earlier in the conversation (an earlier test's), not to be mistaken for
        # the new one while the page is still loading the history.
        history = page.request.get(f"{self.server.url}/web/api/messages?as={key}").text()
        earlier = history.count("/dashboard/sign-in?token=")
        page.goto(self.server.url)
        person = page.locator("#people button", has_text=name)
        person.click()
        expect(person).to_have_attribute("aria-current", "true", timeout=WAIT)
        expect(page.locator("html")).to_have_attribute("lang", locale, timeout=WAIT)
        box = page.locator("#say")
        box.fill("/dashboard")
        box.press("Enter")
        links = page.locator("#log article.bot a[href^='/dashboard/sign-in']")
        expect(links).to_have_count(earlier + 1, timeout=WAIT)
        link = links.last
        expect(link).to_have_text(Translator(locale)("Open the dashboard"))
        # Its own tab, as the chat opens it.
        with self.context.expect_page() as opened:
            link.click()
        tab = self.watch(opened.value)
        expect(tab.locator("form[action='/dashboard/sign-in'] button")).to_be_visible(
            timeout=WAIT
        )
        return tab

    def sign_in(self, key: str, name: str, locale: str) -> Page:
        """From the chat's link to the register, signed in."""
        tab = self.link_from_chat(key, name, locale)
        press_sign_in(tab)
        expect(tab).to_have_url(f"{self.server.url}/dashboard", timeout=WAIT)
        w = words(locale)
        expect(tab.get_by_role("heading", level=1)).to_have_text(
            w.gettext("Register of accounts"), timeout=WAIT
        )
        expect(tab.locator("header")).to_contain_text(
            w.gettext("Signed in as %(name)s", name=name), timeout=WAIT
        )
        return tab


def press_sign_in(page: Page) -> None:
    """The sign-in page's one button."""
    page.locator("form[action='/dashboard/sign-in'] button").click()


def rows(page: Page) -> list[str]:
    """The account numbers of the register's rows, top to bottom."""
    return page.locator("table.register tbody th[scope=row]").all_inner_texts()


def in_language(page: Page, lang: str) -> None:
    """Switch with the dashboard's own language links, back to the same page."""
    page.locator(f"nav.languages a[hreflang={lang}]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang, timeout=WAIT)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def cli_export(url: str, what: str) -> bytes:
    done = subprocess.run(  # noqa: S603
        [str(KONTOBOT), "export", "--format", "csv", "--what", what],
        env=cli_env(url),
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout


# --- the journeys -----------------------------------------------------------------------------


def test_the_comms_office_sees_filters_opens_and_downloads_the_whole_register(
    browser: Browser, server: Server, seeded: Seeded
) -> None:
    eva = Visitor(browser, server)
    try:
        tab = eva.sign_in("eva", "Eva Ek", "sv")
        numbers = seeded.numbers
        assert rows(tab) == sorted(numbers.values())
        expect(tab.locator("table.register")).to_contain_text("Björn Berg")
        expect(tab.locator("table.register")).to_contain_text("Department of Oncology-Pathology")

        # Filtered by platform: the Facebook account alone, and the choice stays chosen.
        tab.get_by_label(sv.gettext("Platform"), exact=True).select_option("facebook")
        tab.get_by_role("button", name=sv.gettext("Show accounts")).click()
        expect(tab).to_have_url(re.compile(r"platform=facebook"), timeout=WAIT)
        expect(tab.locator("table.register tbody tr")).to_have_count(1, timeout=WAIT)
        assert rows(tab) == [numbers["oncology"]]
        expect(tab.get_by_label(sv.gettext("Platform"), exact=True)).to_have_value("facebook")
        # Searched by a person's name instead: the accounts Filip is on the team of.
        tab.get_by_role("link", name=sv.gettext("Clear the filters")).click()
        expect(tab.locator("table.register tbody tr")).to_have_count(3, timeout=WAIT)
        tab.get_by_label(sv.gettext("Search"), exact=True).fill("Filip")
        tab.get_by_label(sv.gettext("Search"), exact=True).press("Enter")
        expect(tab.locator("table.register tbody tr")).to_have_count(2, timeout=WAIT)
        assert rows(tab) == sorted([numbers["oncology"], numbers["library"]])

        # One account: its team, its question, its audit trail.
        tab.get_by_role("link", name=sv.gettext("Clear the filters")).click()
        tab.get_by_role("link", name=numbers["neuro"], exact=True).click()
        expect(tab).to_have_url(f"{server.url}/dashboard/accounts/{numbers['neuro']}")
        heading = tab.get_by_role("heading", level=1)
        expect(heading).to_contain_text(numbers["neuro"], timeout=WAIT)
        expect(heading).to_contain_text("ki_neuro_demo")
        main = tab.locator("main")
        expect(main).to_contain_text("Björn Berg")
        expect(main).to_contain_text("When is the next open day?")

        # The register as CSV, byte for byte what `kontobot export` writes.
        tab.get_by_role("link", name=sv.gettext("Export"), exact=True).click()
        expect(tab.get_by_role("heading", level=1)).to_have_text(sv.gettext("Export"))
        csv = sv.gettext("%(what)s as CSV", what=sv.gettext("The register"))
        with tab.expect_download() as downloading:
            tab.get_by_role("link", name=csv, exact=True).click()
        download = downloading.value
        assert download.suggested_filename.endswith(".csv"), download.suggested_filename
        got = Path(download.path()).read_bytes()
        assert got == cli_export(seeded.url, "register")
        assert all(number.encode() in got for number in numbers.values())

        # The compliance charts are there, each with its table.
        tab.get_by_role("link", name=sv.gettext("Compliance"), exact=True).click()
        expect(tab.locator("main svg").first).to_be_visible(timeout=WAIT)
        assert tab.locator("main table caption").count() >= 1
        assert eva.problems == []
    finally:
        eva.close()


def test_a_team_member_sees_only_their_own_accounts(
    browser: Browser, server: Server, seeded: Seeded
) -> None:
    bjorn = Visitor(browser, server)
    try:
        tab = bjorn.sign_in("bjorn", "Björn Berg", "sv")
        numbers = seeded.numbers
        assert rows(tab) == [numbers["neuro"]]
        expect(tab.locator("header")).not_to_contain_text(sv.gettext("communications office"))
        # Another account, asked for by its address, is not shown.
        response = tab.goto(f"{server.url}/dashboard/accounts/{numbers['oncology']}")
        assert response is not None and response.status == 404
        expect(tab.get_by_role("heading", level=1)).to_have_text(sv.gettext("No such account"))
        expect(tab.locator("main")).not_to_contain_text("kioncology")
        # His export holds his account only.
        tab.goto(f"{server.url}/dashboard/export")
        csv = sv.gettext("%(what)s as CSV", what=sv.gettext("The register"))
        with tab.expect_download() as downloading:
            tab.get_by_role("link", name=csv, exact=True).click()
        got = Path(downloading.value.path()).read_bytes()
        assert numbers["neuro"].encode() in got
        assert numbers["oncology"].encode() not in got
        assert numbers["library"].encode() not in got
        assert bjorn.problems == []
    finally:
        bjorn.close()


def test_a_used_or_expired_link_is_refused(
    browser: Browser, server: Server, seeded: Seeded
) -> None:
    anna = Visitor(browser, server)
    someone_else = Visitor(browser, server)
    try:
        tab = anna.link_from_chat("anna", "Anna Andersson", "en")
        link = tab.url
        press_sign_in(tab)
        expect(tab).to_have_url(f"{server.url}/dashboard", timeout=WAIT)
        assert rows(tab) == sorted([seeded.numbers["neuro"], seeded.numbers["library"]])

        # The same link again, in another browser: refused, and nobody is signed in there. (Its
        # pages are in the server's language, Swedish: nobody there is known.)
        page = someone_else.page
        page.goto(link)
        # Said on opening it: no button that cannot work.
        expect(page.get_by_role("heading", level=1)).to_have_text(
            sv.gettext("This sign-in link cannot be used"), timeout=WAIT
        )
        expect(page.locator("main")).to_contain_text(
            sv.gettext("The link has already been used: each link signs in once.")
        )
        response = page.goto(f"{server.url}/dashboard")
        assert response is not None and response.status == 401

        # A link issued 11 minutes ago: expired.
        token = run(expired_link(seeded.url, seeded.ids["anna"], key_of(server)))
        page.goto(f"{server.url}/dashboard/sign-in?token={token}")
        expect(page.locator("main")).to_contain_text(
            sv.gettext("The link has expired: a link works for 10 minutes after the bot sent it."),
            timeout=WAIT,
        )
        response = page.goto(f"{server.url}/dashboard")
        assert response is not None and response.status == 401
        expect(page.get_by_role("heading", level=1)).to_have_text(
            sv.gettext("How to sign in to the dashboard")
        )
        assert anna.problems == [] and someone_else.problems == []
    finally:
        anna.close()
        someone_else.close()


def test_on_a_phone_the_registers_hint_stays_in_view_as_its_table_scrolls(
    browser: Browser, server: Server, seeded: Seeded
) -> None:
    eva = Visitor(browser, server)
    try:
        tab = eva.sign_in("eva", "Eva Ek", "sv")
        tab.set_viewport_size(PHONE)
        for lang in LANGUAGES:
            in_language(tab, lang)
            hint = tab.get_by_text(words(lang).gettext("Select a column heading to sort by it."))
            table = tab.locator("table.register")
            # The table is wider than the phone: it scrolls sideways in its own box.
            wrap = tab.locator(".table-wrap", has=table)
            assert wrap.evaluate("(box) => box.scrollWidth > box.clientWidth")
            # The page scrolled down to the table (the window only: scrolling the hint into
            # view would scroll the table's box too).
            wrap.evaluate("(box) => window.scrollBy(0, box.getBoundingClientRect().top - 300)")
            for end in ("box.scrollWidth", "0"):
                wrap.evaluate(f"(box) => {{ box.scrollLeft = {end}; }}")
                # Whole, on the screen, above the table, wherever the table is scrolled to.
                expect(hint).to_be_in_viewport(ratio=1, timeout=WAIT)
                said, rows_at = hint.bounding_box(), table.bounding_box()
                assert said is not None and rows_at is not None
                assert said["y"] + said["height"] <= rows_at["y"]
        assert eva.problems == []
    finally:
        eva.close()


# --- every page: screenshots, and axe-core ----------------------------------------------------


def tour(visitor: Visitor, seeded: Seeded, check: Any) -> None:
    """Every page of the dashboard in both languages, `check(page, name)` on each: signed in as
    the communications office, then signed out (help, a refused link)."""
    tab = visitor.sign_in("eva", "Eva Ek", "sv")
    base = visitor.server.url
    signed_in = {
        "register": "/dashboard",
        "account": f"/dashboard/accounts/{seeded.numbers['neuro']}",
        "compliance": "/dashboard/compliance",
        "export": "/dashboard/export",
    }
    for lang in LANGUAGES:
        for name, path in signed_in.items():
            tab.goto(f"{base}{path}")
            in_language(tab, lang)
            check(tab, f"{name}-{lang}")
        # A number that is in no register: the page that says so.
        tab.goto(f"{base}/dashboard/accounts/SOME-1999-0001")
        check(tab, f"no-such-account-{lang}")
    # Signing out, then signed out (the cookies gone): how to sign in, a refused link.
    tab.goto(f"{base}/dashboard")
    tab.locator("form.sign-out button").click()
    expect(tab.locator("form.sign-out")).to_have_count(0, timeout=WAIT)
    for lang in LANGUAGES:
        in_language(tab, lang)
        check(tab, f"signed-out-{lang}")
    visitor.context.clear_cookies()
    key = key_of(visitor.server)
    fresh = run(issued_link(seeded.url, seeded.ids["eva"], key, ago=timedelta(0)))
    token = run(expired_link(seeded.url, seeded.ids["eva"], key))
    for lang in LANGUAGES:
        tab.goto(f"{base}/dashboard/help")
        in_language(tab, lang)
        check(tab, f"help-{lang}")
        # Opened, a link that works offers its button (used up only when pressed), and one
        # that has expired says so at once.
        tab.goto(f"{base}/dashboard/sign-in?token={fresh}")
        expect(tab.locator("form[action='/dashboard/sign-in'] button")).to_be_visible(
            timeout=WAIT
        )
        check(tab, f"sign-in-{lang}")
        tab.goto(f"{base}/dashboard/sign-in?token={token}")
        expect(tab.locator("main .notice")).to_be_visible(timeout=WAIT)
        check(tab, f"refused-{lang}")


def test_every_page_in_both_languages(browser: Browser, server: Server, seeded: Seeded) -> None:
    visitor = Visitor(browser, server)

    def check(page: Page, name: str) -> None:
        lang = name.rsplit("-", 1)[1]
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        expect(page.get_by_role("main")).to_have_count(1)
        shot(page, name)
        problems[name] = page.evaluate(LAYOUT) + page.evaluate(BROKEN_WORDS, "main")
        # And on a phone.
        page.set_viewport_size(PHONE)
        shot(page, f"{name}-390")
        problems[f"{name}-390"] = page.evaluate(LAYOUT) + page.evaluate(BROKEN_DATES, "main")
        page.set_viewport_size(DESKTOP)

    problems: dict[str, list[str]] = {}
    try:
        tour(visitor, seeded, check)
        assert visitor.problems == []
        assert {name: found for name, found in problems.items() if found} == {}
    finally:
        visitor.close()


def axe_source() -> str:
    if AXE.exists():
        return AXE.read_text(encoding="utf-8")
    if os.environ.get("CI"):
        pytest.fail(f"{AXE} is missing: under CI `npm ci` installs it", pytrace=False)
    pytest.skip(f"{AXE} is missing: run `npm ci` to check the pages with axe-core")


def test_axe_finds_nothing_serious_on_any_page(
    browser: Browser, server: Server, seeded: Seeded
) -> None:
    axe = axe_source()
    # The pages allow no script: only this context lets the test inject axe.
    visitor = Visitor(browser, server, bypass_csp=True)
    found: dict[str, list[str]] = {}
    checked: list[str] = []

    def check(page: Page, name: str) -> None:
        page.add_script_tag(content=axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        assert result["testEngine"]["name"] == "axe-core", result.get("testEngine")
        checked.append(name)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[name] = serious

    try:
        tour(visitor, seeded, check)
        assert len(checked) == 18, checked
        assert found == {}
    finally:
        visitor.close()
