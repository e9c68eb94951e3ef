"""The dashboard's pages: the register, one account, the compliance overview and the export.

What a person may see is decided in data.dashboard (the viewer's visible accounts, the
account detail, the export); these handlers only show it, and narrow or order it as asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.keys import CLOCK, SETTINGS, STORE
from bot.web.dashboard import labels, trail
from bot.web.dashboard.app_keys import NUDGE_CONFIG
from bot.web.dashboard.auth import signed_in
from bot.web.dashboard.charts import Bar, Stack, bar_chart, horizontal_bar_chart, stacked_bar_chart
from bot.web.dashboard.render import Visit, page, words_for
from bot.web.dashboard.table import Choice
from bot.web.dashboard.translation import L_, Words
from data import (
    dashboard,
    dashboard_accessibility,
    dashboard_charts,
    dashboard_consent,
    dashboard_moderation,
    dashboard_register,
    rota,
)
from data import dashboard_overview as overview
from data.dashboard_register import SORTS
from data.errors import Invalid, NotAllowed, NotFound
from data.models import AccountStatus
from data.policy import NudgeConfig
from data.workdays import local_date
from dialogs import glossary

EXPORT_TYPES = {"csv": "text/csv", "json": "application/json"}


@signed_in
async def register_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    now, config = request.app[CLOCK](), request.app[NUDGE_CONFIG]
    choice = Choice.from_query(request.query)
    async with request.app[STORE].read() as session:
        found = await dashboard_register.register_page(
            session, visit.viewer, choice.wanted(), now=now, config=config
        )
    words = words_for(request, visit)
    return page(
        request,
        "register.html",
        {
            "nav": "register",
            "rows": found.rows,
            "found": found,
            "total": found.total,
            "choice": choice,
            "sorts": SORTS,
            "units": found.units,
            "platforms": found.platforms,
            "statuses": [(s.value, labels.label(words, labels.STATUS, s.value))
                         for s in AccountStatus],
            "compliance": [(k, words.gettext(v)) for k, v in labels.COMPLIANCE.items()],
            "labels": labels,
        },
        visit=visit,
        words=words,
    )


@signed_in
async def account_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    settings, now, config = request.app[SETTINGS], request.app[CLOCK](), request.app[NUDGE_CONFIG]
    today = local_date(now, settings.zone)
    async with request.app[STORE].read() as session:
        try:
            detail = await dashboard.account_detail(
                session, visit.viewer, request.match_info["number"], zone=settings.zone
            )
        except (NotFound, NotAllowed):
            # One answer for both: account numbers are sequential, and a 403 would tell whoever
            # tries them which accounts exist.
            return page(request, "error.html", {"problem": "unknown_account"}, visit=visit,
                        status=404)
        account = detail.account
        assert account.id is not None
        state = (await overview.account_states(session, now, config, [account])).get(account.id)
        moderated = await dashboard_moderation.account_moderation(session, visit.viewer, account)
        consents = await dashboard_consent.account_consents(session, visit.viewer, account)
        a11y = await dashboard_accessibility.account_checks(session, visit.viewer, account)
        duty = (
            await rota.duty_on(
                session, account_id=account.id, day=today, calendar=config.monitoring,
                zone=settings.zone,
            )
            if account.status == AccountStatus.ACTIVE.value
            else None
        )
    words = words_for(request, visit)
    return page(
        request,
        "account.html",
        {
            "nav": "register",
            "detail": detail,
            "moderation": moderated,
            "consents": consents,
            "a11y": a11y,
            "account": account,
            "state": state,
            "on_duty": duty,
            # Coverage counts weekdays with holiday duty (data.dashboard_overview).
            "holiday_duty": config.holiday_duty,
            "today": today,
            "now": now,
            "ages": {q.id: age(words, now - q.received_at) for q in detail.questions},
            "labels": labels,
            "trail": trail,
            "glossary": glossary,
        },
        visit=visit,
        words=words,
    )


def age(words: Words, elapsed: timedelta) -> str:
    """How long ago, roughly: hours under two days, then days."""
    hours = max(0, int(elapsed.total_seconds() // 3600))
    if hours < 48:
        return words.ngettext("%(num)s hour", "%(num)s hours", hours)
    return words.ngettext("%(num)s day", "%(num)s days", hours // 24)


@signed_in
async def compliance_page(request: web.Request, visit: Visit) -> web.StreamResponse:
    now, config = request.app[CLOCK](), request.app[NUDGE_CONFIG]
    async with request.app[STORE].read() as session:
        found = await dashboard_charts.overview(session, visit.viewer, now, config)
        accounts = await dashboard.visible_accounts(session, visit.viewer)
        removals = await dashboard_moderation.removals_per_month(
            session, accounts, now=now, zone=config.zone
        )
        waiting = await dashboard.waiting_notices(session, visit.viewer)
    words = words_for(request, visit)
    return page(
        request,
        "compliance.html",
        {
            "nav": "compliance",
            "now": now,
            "waiting": waiting,
            "overview": found,
            "removals": removals,
            "removal_months": [m.strftime("%Y-%m") for m, _ in removals[0].months]
            if removals else [],
            "charts": charts(words, found),
            "definitions": definitions(words, config),
            # Coverage then owes every weekday (data.dashboard_overview): the page says so.
            "holiday_duty": config.holiday_duty,
            "accounts": found.accounts,
            "labels": labels,
        },
        visit=visit,
        words=words,
    )


def coverage(week: overview.WeekCoverage) -> float | None:
    return week.monitored / week.owed if week.owed else None


def percent_sign(words: Words) -> str:
    """"%" as the language writes it after a number ("50%", "50 %")."""
    return words.percent(0.0).replace("0", "", 1)


def charts(words: Words, found: overview.Overview) -> dict[str, Any]:
    t = words.gettext
    weeks = [
        Bar(
            t(L_("W%(week)s"), week=w.monday.isocalendar().week),
            None if (share := coverage(w)) is None else share * 100,
            words.percent(share),
        )
        for w in found.weeks
    ]
    ages = [
        Bar(labels.label(words, labels.QUESTION_AGE, b.key), b.count, str(b.count))
        for b in found.question_ages
    ]
    # Short month names, with the year beneath the first month and each January.
    months = [
        Stack(
            words.month(m.month),
            (m.on_time, m.late, m.overdue),
            sub=str(m.month.year) if i == 0 or m.month.month == 1 else "",
        )
        for i, m in enumerate(found.archiving)
    ]
    platforms = [Bar(labels.platform(b.key), b.count, str(b.count)) for b in found.per_platform]
    units = [Bar(b.key, b.count, str(b.count)) for b in found.per_unit]
    nothing = t(L_("Nothing to show yet."))
    return {
        "coverage": bar_chart(
            "chart-coverage",
            t(L_("Monitoring coverage per week")),
            t(L_("Share of the owed working days that were monitored, for each of the last "
                 "52 weeks. The table below has the numbers.")),
            weeks, maximum=100, axis_suffix=percent_sign(words), label_every=4, empty=nothing,
        ),
        "ages": horizontal_bar_chart(
            "chart-question-ages",
            t(L_("Open questions by age")),
            t(L_("How long the open questions have waited. The table below has the numbers.")),
            ages, empty=t(L_("No open questions.")),
        ),
        "archiving": stacked_bar_chart(
            "chart-archiving",
            t(L_("Archiving per month")),
            t(L_("Archivings due each month of the last twelve: done on time, done late, and "
                 "overdue. The table below has the numbers.")),
            [t(L_("On time")), t(L_("Late")), t(L_("Overdue"))],
            months, empty=nothing,
        ),
        "platforms": horizontal_bar_chart(
            "chart-platforms",
            t(L_("Active accounts per platform")),
            t(L_("The number of active accounts on each platform. The table below has the "
                 "numbers.")),
            platforms, empty=nothing,
        ),
        "units": horizontal_bar_chart(
            "chart-units",
            t(L_("Active accounts per unit")),
            t(L_("The number of active accounts of each unit. The table below has the "
                 "numbers.")),
            units, empty=nothing,
        ),
    }


def definitions(words: Words, config: NudgeConfig) -> list[tuple[str, str]]:
    """What each compliance state means, with the configured limits filled in (the same
    definitions as data/dashboard_overview.py's)."""
    t = words.gettext
    hours = int(config.question_after.total_seconds() // 3600)
    return [
        (labels.label(words, labels.COMPLIANCE, "ok"), t(L_("None of the states below."))),
        (
            labels.label(words, labels.COMPLIANCE, "monitoring_gap"),
            t(
                L_("Monitoring covered less than %(target)s of the owed working days among the "
                   "last %(days)s working days, or none of the last %(recent)s owed working "
                   "days was monitored. A day counts as monitored when someone on the team "
                   "checked in with “Monitored today”."),
                target=words.percent(overview.COVERAGE_TARGET),
                days=overview.COVERAGE_WORKING_DAYS,
                recent=overview.RECENT_WORKING_DAYS,
            ),
        ),
        (
            labels.label(words, labels.COMPLIANCE, "questions_late"),
            t(L_("A question from the public has waited %(hours)s hours or more for an answer."),
              hours=hours),
        ),
        (
            labels.label(words, labels.COMPLIANCE, "archive_due"),
            t(L_("The next archiving of the profile page is due today or within %(days)s "
                 "days."), days=config.archive_before_days),
        ),
        (
            labels.label(words, labels.COMPLIANCE, "archive_overdue"),
            t(L_("The due date of the next archiving has passed. Postponing it does not move "
                 "the due date.")),
        ),
        (
            labels.label(words, labels.COMPLIANCE, "inactive"),
            t(L_("No content logged for %(content)s days, or nothing monitored for "
                 "%(monitoring)s working days."),
              content=config.inactivity_content_days,
              monitoring=config.inactivity_monitoring_working_days),
        ),
        (
            labels.label(words, labels.COMPLIANCE, "closed"),
            t(L_("The account is closed and owes nothing more.")),
        ),
    ]


@signed_in
async def export(request: web.Request, visit: Visit) -> web.StreamResponse:
    fmt = request.query.get("format")
    if fmt is None:
        return page(request, "export.html", {"nav": "export"}, visit=visit)
    what = request.query.get("what", "register")
    now: datetime = request.app[CLOCK]()
    try:
        dashboard.check_export(fmt, what)
    except Invalid:
        return page(request, "error.html", {"problem": "export", "nav": "export"},
                    visit=visit, status=400)
    day = local_date(now, request.app[SETTINGS].zone).isoformat()
    # Streamed a chunk of rows at a time: memory stays flat however large the register is.
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{EXPORT_TYPES[fmt]}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="kontobot-{what}-{day}.{fmt}"',
            "Cache-Control": "no-store",
        }
    )
    async with request.app[STORE].read() as session:
        pieces = await dashboard.export_for(session, visit.viewer, fmt, what)
        await response.prepare(request)
        async for piece in pieces:
            await response.write(piece.encode())
    await response.write_eof()
    return response
