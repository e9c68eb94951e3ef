"""The dashboard's pages over a small register (tests/bot/web/conftest.py): who sees what,
filters and sorting, one account, the compliance charts, escaping, language and headers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from markupsafe import escape

from bot.keys import DELIVERER
from bot.web.dashboard.translation import Words
from data import people
from dialogs import glossary
from dialogs.i18n import Translator
from tests.bot.web.conftest import (
    EVIL_NAME,
    EVIL_QUESTION,
    Browser,
    World,
    register_numbers,
    running,
    sign_in,
    text_of,
)
from tests.helpers import T0, Clock

NEURO, MEDICINE, CLOSED = "SOME-2027-0001", "SOME-2027-0002", "SOME-2027-0003"
SIGNED_IN_PAGES = [
    "/dashboard",
    f"/dashboard/accounts/{NEURO}",
    f"/dashboard/accounts/{CLOSED}",
    "/dashboard/compliance",
    "/dashboard/export",
    "/dashboard/help",
]


@pytest.fixture
async def comms(client: TestClient[Any, Any], world: World) -> Browser:
    return await sign_in(client, world, world.eva)


@pytest.fixture
async def anna(client: TestClient[Any, Any], world: World) -> Browser:
    return await sign_in(client, world, world.anna)


# Who sees what.


async def test_the_comms_office_sees_every_account(comms: Browser) -> None:
    body = await comms.page("/dashboard")
    assert register_numbers(body) == [NEURO, MEDICINE, CLOSED]
    assert "3 shown of 3" in text_of(body)


async def test_a_team_member_sees_only_their_accounts(anna: Browser) -> None:
    body = await anna.page("/dashboard")
    assert register_numbers(body) == [NEURO]
    assert "ki_medicine" not in body


async def test_a_manager_sees_the_accounts_they_manage(
    client: TestClient[Any, Any], world: World
) -> None:
    filip = await sign_in(client, world, world.filip)
    assert register_numbers(await filip.page("/dashboard")) == [MEDICINE, CLOSED]


async def test_someone_elses_account_is_not_shown(anna: Browser) -> None:
    body = await anna.page(f"/dashboard/accounts/{MEDICINE}", expect=404)
    assert "No such account" in body
    assert "ki_medicine" not in body
    # Nor is it told from a number no account has: numbers are sequential, and an answer
    # that differed would say which accounts exist.
    unknown = await anna.page("/dashboard/accounts/SOME-2027-0099", expect=404)
    # (The page's language links name its own address.)
    assert unknown.replace("SOME-2027-0099", "?") == body.replace(MEDICINE, "?")


async def test_the_compliance_page_counts_only_the_viewers_accounts(
    comms: Browser, anna: Browser
) -> None:
    everything = text_of(await comms.page("/dashboard/compliance"))
    own = text_of(await anna.page("/dashboard/compliance"))
    # Active accounts per platform: Instagram and X for the office, Instagram for Anna.
    assert "Instagram 1 X 1" in everything
    assert "Instagram 1" in own and "X 1" not in own


# The register: filters and sorting.


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("platform=x", [MEDICINE]),
        ("platform=instagram", [NEURO]),
        ("unit=Department+of+Medicine", [MEDICINE, CLOSED]),
        ("status=closed", [CLOSED]),
        ("status=active", [NEURO, MEDICINE]),
        ("compliance=closed", [CLOSED]),
        ("compliance=questions_late", [NEURO]),
        ("q=bo+ek", [NEURO]),
        ("q=MEDICINE.OLD", [CLOSED]),
        ("q=filip", [MEDICINE, CLOSED]),
        # Filip Sjö, typed with ö as one character or as o and a combining diaeresis (as some
        # keyboards and pasted text give it): normalised where it enters, as chat text is.
        ("q=sj%C3%B6", [MEDICINE, CLOSED]),
        ("q=sjo%CC%88", [MEDICINE, CLOSED]),
        ("q=nobody", []),
        ("unit=Department+of+Medicine&status=active", [MEDICINE]),
        # Not a choice: ignored, not an error.
        ("compliance=bogus&sort=bogus&dir=sideways", [NEURO, MEDICINE, CLOSED]),
        # Not a page number (digits int() refuses, thousands of digits): the first page.
        ("page=%C2%B2", [NEURO, MEDICINE, CLOSED]),
        ("page=%EF%BC%92", [NEURO, MEDICINE, CLOSED]),
        ("page=" + "9" * 5000, [NEURO, MEDICINE, CLOSED]),
    ],
)
async def test_filters_narrow_the_register(comms: Browser, query: str, numbers: list[str]) -> None:
    body = await comms.page(f"/dashboard?{query}")
    assert register_numbers(body) == numbers
    if not numbers:
        assert "No account matches the filters." in body


async def test_the_filter_form_keeps_what_was_chosen(comms: Browser) -> None:
    body = await comms.page("/dashboard?platform=x&q=%3Cb%3Emed&status=active")
    assert '<option value="x" selected>X</option>' in body
    assert '<option value="active" selected>Active</option>' in body
    assert 'value="&lt;b&gt;med"' in body
    for control in ("filter-unit", "filter-platform", "filter-status", "filter-compliance",
                    "filter-q"):
        assert f'<label for="{control}">' in body and f'id="{control}"' in body
    assert '<a href="/dashboard">Clear the filters</a>' in body


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("", [NEURO, MEDICINE, CLOSED]),
        ("sort=number&dir=desc", [CLOSED, MEDICINE, NEURO]),
        ("sort=handle", [CLOSED, MEDICINE, NEURO]),  # ki.medicine.old, ki_medicine, ki_neuro...
        ("sort=platform", [CLOSED, NEURO, MEDICINE]),  # facebook, instagram, x
        ("sort=manager&dir=desc", [MEDICINE, CLOSED, NEURO]),  # Filip, Filip, Dan
        ("sort=status&dir=desc", [CLOSED, NEURO, MEDICINE]),
        ("sort=compliance&dir=desc", [CLOSED, NEURO, MEDICINE]),
    ],
)
async def test_sorting_orders_the_register(comms: Browser, query: str, numbers: list[str]) -> None:
    assert register_numbers(await comms.page(f"/dashboard?{query}")) == numbers


async def test_column_headings_are_sort_links_that_say_how_they_sort(comms: Browser) -> None:
    body = await comms.page("/dashboard?sort=handle&platform=x")
    assert '<th scope="col" aria-sort="ascending">' in body
    assert body.count("aria-sort=") == 1
    # The sorted column reverses itself; the others sort ascending; filters are kept.
    assert 'href="/dashboard?platform=x&amp;sort=handle&amp;dir=desc"' in body
    assert 'href="/dashboard?platform=x&amp;sort=unit&amp;dir=asc"' in body
    body = await comms.page("/dashboard?sort=handle&dir=desc")
    assert '<th scope="col" aria-sort="descending">' in body


async def test_compliance_is_written_out_not_only_coloured(comms: Browser) -> None:
    text = text_of(await comms.page("/dashboard?compliance=questions_late"))
    assert "Questions late" in text
    text = text_of(await comms.page("/dashboard?status=closed"))
    assert "Closed Closed" in text  # the status, then the compliance state


# One account.


async def test_an_account_page_shows_its_team_questions_and_trail(anna: Browser) -> None:
    body = await anna.page(f"/dashboard/accounts/{NEURO}")
    text = text_of(body)
    assert "SOME-2027-0001: Instagram ki_neuroscience" in text
    # The rota order: the requester first, then the team; Monday 1 March is Anna's day.
    assert re.search(r'<ol class="team">\s*<li>Anna Berg <strong class="on-duty">'
                     r"on duty today</strong></li>\s*<li>Bo Ek</li>", body)
    assert "Daily: the next person in order each day someone is on duty" in text
    assert "Immediate manager Dan Holm" in text
    # The question, open for three days, past the 24-hour target.
    assert "Open , waiting 3 days" in text or "Open, waiting 3 days" in text
    assert "Questions late" in text
    # The audit trail, oldest first, with local times (registered 10:00 Stockholm).
    trail = text[text.index("Audit trail"):]
    assert trail.index("Approved the request") < trail.index("Registered the account") < (
        trail.index("Logged a question")
    )
    assert "2027-01-20 10:00" in trail
    assert "The account is open." in text


async def test_a_closed_account_shows_its_closure(comms: Browser) -> None:
    text = text_of(await comms.page(f"/dashboard/accounts/{CLOSED}"))
    assert "Closed by Cia Lund" in text
    assert "Reason Merged" in text
    assert "https://archive.example/ki.medicine.old" in text
    assert "Closed the account SOME-2027-0003." in text


@pytest.mark.parametrize(
    ("lang", "sentences"),
    [
        ("en", ["Anna Berg Sent the request to Dan Holm for approval.",
                "Dan Holm Approved the request as immediate manager.",
                "kontobot Registered the account as SOME-2027-0001, with Dan Holm as manager and "
                "Anna Berg, Bo Ek responsible.",
                "Anna Berg Logged a question from the public."]),
        ("sv", ["Anna Berg Skickade ansökan till Dan Holm för beslut.",
                "Dan Holm Godkände ansökan som närmaste chef.",
                "kontobot Registrerade kontot som SOME-2027-0001, med Dan Holm som chef och "
                "Anna Berg, Bo Ek som ansvariga.",
                "Anna Berg Registrerade en fråga från allmänheten."]),
    ],
)
async def test_the_audit_trail_reads_as_sentences(
    comms: Browser, lang: str, sentences: list[str]
) -> None:
    comms.cookies["kontobot_lang"] = lang
    body = await comms.page(f"/dashboard/accounts/{NEURO}")
    trail = body[body.index('id="audit-heading"'):]
    text = text_of(trail)
    for sentence in sentences:
        assert sentence in text
    # No codes or ids: what the data layer records is said in words.
    for raw in ("decision", "approve", "stage", "manager_id", "request_id", "round", "_"):
        assert raw not in text, raw
    closed = text_of(await comms.page(f"/dashboard/accounts/{CLOSED}"))
    reason, where = ("Reason", "Where") if lang == "en" else ("Skäl", "Var")
    assert f"{reason} : Merged" in closed or f"{reason}: Merged" in closed
    assert f"{where} : https://archive.example/ki.medicine.old" in closed or (
        f"{where}: https://archive.example/ki.medicine.old" in closed
    )


class Grid(HTMLParser):
    """One table of a page (by its class) as text: its column headings and its rows' cells."""

    def __init__(self, table_class: str) -> None:
        super().__init__()
        self.table_class = table_class
        self.inside = False
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.inside = dict(attrs).get("class") == self.table_class
        elif self.inside and tag == "thead":
            self.in_head = True
        elif self.inside and tag == "tr" and not self.in_head:
            self.rows.append([])
        elif self.inside and tag in ("th", "td"):
            self.cell = []
        elif self.cell is not None and tag in ("ul", "li", "p", "br", "div"):
            self.cell.append(" ")  # a line of its own: not run into the words before it

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "thead":
            self.in_head = False
        elif self.inside and tag in ("th", "td") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.headings if self.in_head else self.rows[-1]).append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def audit_trail(body: str) -> Grid:
    grid = Grid("audit")
    grid.feed(body)
    assert grid.rows, "no audit trail on the page"
    return grid


@pytest.mark.parametrize(
    ("lang", "headings", "closed", "notes"),
    [
        ("en", ["When", "Who", "What"], "Closed the account SOME-2027-0003.",
         "Reason: Merged Where: https://archive.example/ki.medicine.old"),
        ("sv", ["När", "Vem", "Vad"], "Stängde kontot SOME-2027-0003.",
         "Skäl: Merged Var: https://archive.example/ki.medicine.old"),
    ],
)
async def test_the_audit_trail_has_no_empty_column_and_notes_beneath_their_sentence(
    comms: Browser, lang: str, headings: list[str], closed: str, notes: str
) -> None:
    comms.cookies["kontobot_lang"] = lang
    for number in (NEURO, CLOSED):
        grid = audit_trail(await comms.page(f"/dashboard/accounts/{number}"))
        assert grid.headings == headings
        for row in grid.rows:
            assert len(row) == len(headings), row
        # Every column says something in some row: none stands empty under its heading.
        for column, heading in enumerate(headings):
            assert any(row[column] for row in grid.rows), heading
    # What someone wrote when closing stands with the sentence, beneath it.
    assert [closed, notes] in ([row[2][: len(closed)], row[2][len(closed):].strip()]
                               for row in grid.rows)


@pytest.mark.parametrize("lang", ["en", "sv"])
async def test_an_account_is_described_in_the_chats_words(comms: Browser, lang: str) -> None:
    # One glossary (dialogs.glossary): the page names each particular as the chat does.
    tr = Translator(lang)
    comms.cookies["kontobot_lang"] = lang
    body = await comms.page(f"/dashboard/accounts/{NEURO}")
    for key, term in glossary.FIELDS.items():
        if key not in ("team", "manager_reason"):
            assert f"<dt>{escape(tr(term))}</dt>" in body, term
    assert f"<dd>{escape(tr(glossary.SCOPES['unit']))}</dd>" in body
    assert f"<dd>{escape(tr(glossary.RESPONSE_TIMES['24h']))}</dd>" in body
    if lang == "sv":
        for chats in ("Verksamhetsnytta", "Ersättare vid semester", "Inom 24 timmar"):
            assert chats in body
        for dashboards in ("Nytta<", "Semesterbevakning", ">24h<", ">Svarstid<"):
            assert dashboards not in body


async def test_account_numbers_are_found_whatever_their_case(comms: Browser) -> None:
    await comms.page(f"/dashboard/accounts/{NEURO.lower()}")


# The compliance overview.


async def test_the_compliance_page_has_charts_with_tables_and_definitions(comms: Browser) -> None:
    body = await comms.page("/dashboard/compliance")
    charts = re.findall(r'<svg [^>]*role="img"[^>]*aria-labelledby="([^"]+)"', body)
    assert charts == ["chart-coverage-title", "chart-question-ages-title",
                      "chart-archiving-title", "chart-platforms-title", "chart-units-title"]
    for chart in charts:
        assert f'<title id="{chart}">' in body
    captions = re.findall(r"<caption[^>]*>([^<]+)</caption>", body)
    # One table per chart, besides the offices' notices waiting for a place, when any wait
    # (whether they do here depends on how far delivery got; tested on its own).
    captions = [c for c in captions if c != "Notices waiting for a place, oldest first"]
    assert len(captions) == 5, captions
    assert "Monitoring coverage per week, last 52 weeks, newest first" in captions
    text = text_of(body)
    # The open question is three days old; Department of Medicine has one active account.
    assert "3–7 days 1" in text
    assert "Department of Medicine 1" in text
    for state in ("Monitoring gap", "Questions late", "Archiving due", "Archiving overdue",
                  "Inactive"):
        assert re.search(rf"<dt>{state}</dt>\s*<dd>", body), state
    assert "24 hours or more" in text


HOLIDAY_DUTY = "Holiday duty is on: someone is on duty on the weekday public holidays"


async def test_the_compliance_page_says_when_coverage_counts_the_holiday_duties(
    world: World, clock: Clock
) -> None:
    for setting, said, days in (("on", True, "weekdays"), ("off", False, "working days")):
        async with running(world, clock, holiday_duty=setting) as client:
            comms = await sign_in(client, world, world.eva, clock.now)
            text = text_of(await comms.page("/dashboard/compliance"))
            assert (HOLIDAY_DUTY in text) is said, setting
            account = text_of(await comms.page(f"/dashboard/accounts/{NEURO}"))
            assert f"Monitoring coverage, last 20 {days}" in account, setting


@pytest.mark.parametrize("lang", ["en", "sv"])
async def test_the_archiving_chart_counts_in_whole_numbers_by_month_name(
    client: TestClient[Any, Any], world: World, clock: Clock, lang: str
) -> None:
    # Half a year on, the first archivings are due and overdue: the chart has columns.
    clock.advance(timedelta(days=230))
    comms = await sign_in(client, world, world.eva, clock.now)
    comms.cookies["kontobot_lang"] = lang
    body = await comms.page("/dashboard/compliance")
    start = body.index('id="chart-archiving"')
    chart = body[start : body.index("</svg>", start)]
    assert "<rect" in chart
    shown = re.findall(r'class="chart-label[^"]*"[^>]*>([^<]+)<', chart)
    # Twelve months by name, the year beneath the first month and beneath January.
    words = Words(lang, ZoneInfo("Europe/Stockholm"))
    month, expected = date(clock.now.year - 1, clock.now.month, 1), []
    for number in range(12):
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        expected.append(words.month(month))
        if number == 0 or month.month == 1:
            expected.append(str(month.year))
    assert shown == expected
    axis = re.findall(r'text-anchor="end">([^<]+)<', chart)
    assert axis and all(tick.isdigit() for tick in axis), axis


# Escaping.


async def test_people_typed_text_is_escaped(comms: Browser, anna: Browser) -> None:
    for browser, path in [
        (comms, "/dashboard"),
        (comms, f"/dashboard/accounts/{MEDICINE}"),
        (anna, f"/dashboard/accounts/{NEURO}"),
        (comms, "/dashboard?q=%3Cscript%3E"),
    ]:
        body = await browser.page(path)
        assert "<script" not in body, path
    register = await comms.page("/dashboard")
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in register
    assert EVIL_NAME in text_of(register)
    account = await anna.page(f"/dashboard/accounts/{NEURO}")
    assert EVIL_QUESTION in text_of(account)


# Language.


async def test_the_language_switch_sets_a_cookie_and_goes_back(
    comms: Browser, client: TestClient[Any, Any]
) -> None:
    response = await comms.get("/dashboard/language?lang=sv&next=/dashboard/compliance")
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/compliance"
    assert response.cookies["kontobot_lang"].value == "sv"
    comms.cookies["kontobot_lang"] = "sv"
    body = await comms.page("/dashboard/compliance")
    assert '<html lang="sv">' in body
    assert "Efterlevnad i överblick" in body and "Logga ut" in body
    comms.cookies["kontobot_lang"] = "en"
    assert '<html lang="en">' in await comms.page("/dashboard")


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/dashboard", "/web/api/people", "javascript:x"]
)
async def test_the_language_switch_only_goes_back_to_the_dashboard(
    comms: Browser, back: str
) -> None:
    response = await comms.get("/dashboard/language", params={"lang": "en", "next": back})
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"


async def test_the_language_follows_the_person_then_the_default(
    client: TestClient[Any, Any], world: World
) -> None:
    async with world.store.transaction() as session:
        await people.set_locale(session, now=T0, person_id=world.anna, locale="sv")
    anna = await sign_in(client, world, world.anna)
    assert '<html lang="sv">' in await anna.page("/dashboard")
    # Without a session: the configured default (English in these tests).
    assert '<html lang="en">' in await Browser(client).page("/dashboard/help")
    assert '<html lang="sv">' in await Browser(client, {"kontobot_lang": "sv"}).page(
        "/dashboard/help"
    )


# Headers and structure.


@pytest.mark.parametrize(
    "path", ["/dashboard", "/dashboard/help", "/dashboard/static/dashboard.css",
             "/dashboard/sign-in?token=x", "/dashboard/language?lang=sv"]
)
async def test_security_headers(client: TestClient[Any, Any], path: str) -> None:
    response = await Browser(client).get(path)
    # A page, a redirect, how to sign in, or (the made-up link) why it cannot sign in.
    assert response.status in (200, 303, 401, 403)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_other_routes_get_no_dashboard_headers(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert "Content-Security-Policy" not in response.headers


async def test_pages_are_not_cached(comms: Browser) -> None:
    response = await comms.get("/dashboard")
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_stylesheet_is_served_from_here(client: TestClient[Any, Any]) -> None:
    response = await client.get("/dashboard/static/dashboard.css")
    assert response.status == 200
    assert response.content_type == "text/css"
    assert ":focus-visible" in await response.text()


class Outline(HTMLParser):
    """The parts of a page the accessibility basics are about."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "label":
            self.labels.add(dict(attrs).get("for") or "")

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
async def test_every_page_has_the_landmarks_and_labels(comms: Browser, path: str) -> None:
    outline = Outline()
    outline.feed(await comms.page(path))
    tags = outline.tags
    assert tags[0] == ("html", {"lang": "en"})
    assert outline.count("h1") == 1
    for landmark in ("header", "main", "footer"):
        assert outline.count(landmark) == 1, landmark
    assert outline.count("nav") == 2  # the dashboard's and the language switch
    assert all(attrs.get("aria-label") for tag, attrs in tags if tag == "nav")
    # The skip link comes first and leads to the main content.
    first_link = next(attrs for tag, attrs in tags if tag == "a")
    assert first_link == {"class": "skip-link", "href": "#main"}
    assert ("main", {"id": "main", "tabindex": "-1"}) in tags
    # Every visible form control has a label; every table a caption and scoped headings.
    for tag, attrs in tags:
        if tag in ("input", "select") and attrs.get("type") != "hidden":
            assert attrs.get("id") in outline.labels, attrs
        if tag == "th":
            assert attrs.get("scope") in ("col", "row"), attrs
    assert outline.count("table") == outline.count("caption")


# The offices' notices that wait for a place.


async def test_notices_waiting_for_an_office_are_listed_for_the_comms_office(
    client: TestClient[Any, Any], comms: Browser, anna: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    # This server has no chat platform: it said at start that neither office has a place.
    started = " ".join(r.getMessage() for r in caplog.get_records("setup"))
    assert "no platform has the place 'registry' configured" in started
    assert "no platform has the place 'comms' configured" in started
    # Delivery keeps the openings' and the closing's notices instead of dropping them.
    deliverer = client.server.app[DELIVERER]
    while await deliverer.deliver_due(T0 + timedelta(minutes=5)):
        pass
    body = text_of(await comms.page("/dashboard/compliance"))
    assert "Notices waiting for an office" in body
    assert "Registry Office An account was closed SOME-2027-0003" in body
    assert "Communications Office A new account was opened SOME-2027-0001" in body
    assert "Notices waiting for an office" not in text_of(
        await anna.page("/dashboard/compliance")
    )
