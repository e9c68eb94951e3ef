"""`kontobot`: serve, migrate, export, nudges, directory, tokens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.scheduling import nudge_config
from bot.settings import Settings, is_loopback
from data import directory, export, parked, register, retention, tokens
from data.db import Store, UnsupportedDatabase
from data.errors import DomainError, Invalid
from data.migrate import migrate, require_current
from data.terminal import printable
from data.workdays import EPOCH
from dialogs.text import clean
from scheduler import sweep

log = logging.getLogger("kontobot")

# The days an `--as-of` may fall on where KONTOBOT_TIMEZONE is: the working-day calendar counts
# from data.workdays.EPOCH, and the rules look into the next year (Python's last is 9999).
FIRST_DAY = EPOCH
LAST_DAY = date(9998, 12, 31)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="kontobot",
        description="kontobot: KI's social-media account assistant for Slack, Teams and the web.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the bot's HTTP server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=3978, help="port to listen on (default 3978)")
    turns = commands.add_parser(
        "turns", help="run turns, the outbox and the nudges (started by `serve`, not by hand)"
    )
    turns.add_argument("--wake-fd", type=int, required=True, help="the pipe `serve` wakes it on")
    turns.add_argument("--host", default="127.0.0.1", help="the address `serve` listens on")
    turns.add_argument("--web-chat", choices=("on", "off"), default="off")
    commands.add_parser("migrate", help="bring the database schema up to date")
    exporter = commands.add_parser(
        "export",
        help="write the register, its audit trail and the accounts' public documents "
        "(questions, moderation log, case-management marks, purges, consents, accessibility "
        "checks) to standard output",
    )
    exporter.add_argument("--format", choices=("csv", "json"), default="csv")
    exporter.add_argument(
        "--what",
        choices=export.WHATS,
        default="all",
        help="which table: one, records (the public documents) or all (the default); in CSV, "
        "each table with a blank line between",
    )
    package = commands.add_parser(
        "teams-package",
        help="build the Teams app package (manifest and icons) for MICROSOFT_APP_ID",
    )
    package.add_argument(
        "--output", default="kontobot-teams.zip", help="where to write it (default %(default)s)"
    )
    package.add_argument(
        "--app-id", type=_app_id, help="the bot's Microsoft app id (default MICROSOFT_APP_ID)"
    )
    nudges = commands.add_parser("nudges", help="the scheduled reminders")
    nudge_commands = nudges.add_subparsers(dest="nudges_command", required=True, metavar="ACTION")
    run = nudge_commands.add_parser(
        "run", help="run every nudge rule once and owe what is due (delivered by `serve`)"
    )
    run.add_argument(
        "--as-of",
        type=_iso_time,
        help="the time to run as of (ISO 8601; without an offset, local time in "
        "KONTOBOT_TIMEZONE; default now)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="print what would be sent and change nothing"
    )
    # `--as-of` is checked once the time zone is known (main): refused as argparse refuses.
    run.set_defaults(refuse=run.error)
    prune = commands.add_parser(
        "prune",
        help="delete the replies and reminders delivered, the events done or parked, the web "
        "chat's messages and the conversations left unfinished older than the retention (what "
        "`serve`'s scheduler does nightly)",
    )
    prune.add_argument(
        "--as-of",
        type=_iso_time,
        help="the time to count back from, not later than now (ISO 8601; without an offset, "
        "local time in KONTOBOT_TIMEZONE; default now)",
    )
    prune.add_argument(
        "--days", type=_days, help="keep this many days, up to 3650 (default KONTOBOT_RETENTION_DAYS)"
    )
    prune.set_defaults(refuse=prune.error)
    directory_parser = commands.add_parser(
        "directory", help="the organisation's staff directory"
    )
    directory_commands = directory_parser.add_subparsers(
        dest="directory_command", required=True, metavar="ACTION"
    )
    staff = directory_commands.add_parser(
        "import",
        help="import HR's staff list (CSV: email,name,unit,manager_email); a re-import "
        "replaces what the last one said",
    )
    staff.add_argument("file", type=Path, metavar="FILE.csv")
    staff.add_argument(
        "--allow-shrink",
        action="store_true",
        help=f"import even when it removes more than {directory.SHRINK_SHARE:.0%} of "
        f"the entries and more than {directory.SHRINK_PEOPLE} people (otherwise "
        "refused, as a truncated export would be)",
    )
    events = commands.add_parser(
        "inbox",
        help="incoming events parked after every retry: list them, put them back, or discard them",
    )
    events_commands = events.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    events_commands.add_parser("parked", help="list the parked events, the oldest first")
    retry = events_commands.add_parser(
        "retry", help="put parked events back to run, once what failed them is mended"
    )
    retry.add_argument("keys", nargs="*", metavar="KEY", help="the events' keys, as listed")
    retry.add_argument("--all", action="store_true", help="every parked event")
    discard = events_commands.add_parser(
        "discard", help="give parked events up for good: they will never run"
    )
    discard.add_argument("keys", nargs="*", metavar="KEY", help="the events' keys, as listed")
    discard.add_argument("--all", action="store_true", help="every parked event")
    discard.add_argument(
        "--reason", default="", help="why, for the audit trail (e.g. the client's bug number)"
    )
    tokens = commands.add_parser("tokens", help="an account's question-webhook token")
    tokens.add_argument("action", choices=("create", "rotate"))
    tokens.add_argument("account", metavar="ACCOUNT_NUMBER", help="e.g. SOME-2027-0001")
    return top


def _iso_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535")
    return port


def _guid(value: str) -> str | None:
    """A Microsoft app id as Teams' app manifest requires it of `id` and `botId` (a GUID);
    None when `value` is none."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


NOT_A_GUID = "not a Microsoft app id (a GUID such as 00000000-0000-0000-0000-000000000000)"


def _app_id(value: str) -> str:
    app_id = _guid(value)
    if app_id is None:
        raise argparse.ArgumentTypeError(f"{NOT_A_GUID}: {value!r}")
    return app_id


def _days(value: str) -> int:
    # As KONTOBOT_RETENTION_DAYS (bot/settings.py): a cut-off further back leaves the calendar.
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {value!r}") from None
    if not 0 <= days <= 3650:
        raise argparse.ArgumentTypeError(f"{days} is not between 0 and 3650")
    return days


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Their INFO lines (each migration step, each scheduler job added and run) say nothing an
    # operator acts on: our own lines say what was done. Their warnings still show.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValidationError as error:
        # A setting an operator mistyped: named, in a line each, not a traceback.
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            log.error("%s: %s", where, problem["msg"])
        return 2
    if args.command in ("nudges", "prune"):
        # The CLI is where the wall clock is read; below, the time is an argument.
        wall = datetime.now(UTC)
        try:
            # A future day is for a dry run only: a real run would owe rows for that day
            # and move the rules' day forward for good (it never moves back).
            future = args.command == "nudges" and args.dry_run
            args.as_of = _as_of(settings, args.as_of, wall, latest=None if future else wall)
        except ValueError as error:
            args.refuse(f"argument --as-of: {error}")
    try:
        return _run(args, settings)
    except (UnsupportedDatabase, ArgumentError) as error:
        # ArgumentError: a URL SQLAlchemy cannot read at all.
        log.error("KONTOBOT_DATABASE_URL: %s", error)
        return 2
    except BrokenPipeError:
        # What we wrote is no longer read (`kontobot export | head`): nothing more to say,
        # and stdout pointed elsewhere so that closing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except DBAPIError as error:
        # The driver's own message, first line only: SQLAlchemy's text of the error carries
        # the statement and its parameters (e-mail addresses), and a traceback would too.
        orig = error.orig
        log.error("database error: %s", _first_line(orig) if orig else type(error).__name__)
        return 1
    except (RuntimeError, OSError) as error:
        # OSError: a file that cannot be written, a port taken, a host unknown.
        log.error("%s", error)
        return 1


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return serve(settings, args.host, args.port)
    if args.command == "turns":
        return turns(settings, args.host, args.web_chat == "on", args.wake_fd)
    if args.command == "teams-package":
        return _teams_package(settings, args.app_id, Path(args.output))
    if args.command == "nudges":
        sys.stdout.write(asyncio.run(_nudges_run(settings, args.as_of, args.dry_run)))
        return 0
    if args.command == "prune":
        return asyncio.run(_prune(settings, args.as_of, args.days))
    if args.command == "directory":
        return _directory_import(settings, args.file, allow_shrink=args.allow_shrink)
    if args.command == "inbox":
        if args.inbox_command == "parked":
            sys.stdout.write(asyncio.run(_parked(settings)))
            return 0
        if bool(args.keys) == args.all:
            log.error("name the events by their keys, or give --all")
            return 2
        keys = None if args.all else args.keys
        if args.inbox_command == "discard":
            return asyncio.run(_discard(settings, keys, clean(args.reason)))
        return asyncio.run(_retry(settings, keys))
    if args.command == "tokens":
        sys.stdout.write(asyncio.run(_token(settings, args.action, args.account)) + "\n")
        return 0
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        log.info("database is up to date")
        return 0
    asyncio.run(_export(settings, args.format, args.what, sys.stdout))
    return 0


def serve(settings: Settings, host: str, port: int) -> int:
    # Imported here: the server pulls in slack-bolt and botbuilder, which the other commands
    # do not need and which take seconds to import.
    from aiohttp import web

    from bot import exposure
    from bot.app import create_app
    from bot.logs import AccessLog

    decision = settings.web_chat_decision(host)
    web_chat = decision[0]
    if web_chat and not is_loopback(host):
        log.warning("the web chat lets anyone act as any demo person, and it is on at %s", host)
    processes = settings.turn_processes
    if web_chat and processes:
        # The web chat's long polls are woken by this process's own messages only, so a card
        # another process rewrites would not reach the page: with it, turns run here.
        log.info("turns run in the serving process: the web chat is on")
        processes = 0
    app = create_app(
        settings, web_chat_enabled=web_chat, host=host, role="front" if processes else "whole"
    )
    if processes:
        from bot import turn_processes

        command = [sys.executable, "-m", "bot.cli", "turns", "--host", host]
        command += ["--web-chat", "on" if web_chat else "off"]
        turn_processes.attach(app, command, processes, settings.shutdown_grace)
    log.info("kontobot on http://%s:%s/ (web chat %s)", host, port, "on" if web_chat else "off")
    for line in exposure.report(app, host, web_chat=decision):
        log.info("route %s", line)
    for line in exposure.features(settings):
        log.info("feature %s", line)
    app.on_startup.append(_stop_once(settings.shutdown_grace))
    # Our own signal handlers (_stop_once), not aiohttp's: theirs raise again on every signal.
    # Our access log: token-bearing query strings are redacted (bot/logs.py).
    web.run_app(
        app,
        host=host,
        port=port,
        print=_listening,
        handle_signals=False,
        access_log_class=AccessLog,
        # aiohttp's default waits 60 s for requests in progress, whatever the grace says.
        shutdown_timeout=settings.shutdown_grace,
    )
    return 0


def turns(settings: Settings, host: str, web_chat: bool, wake_fd: int) -> int:
    """A turn process of `serve` (bot/turn_processes.py)."""
    from bot.app import create_app
    from bot.turn_processes import run_turns

    app = create_app(settings, web_chat_enabled=web_chat, host=host, role="turns")
    asyncio.run(run_turns(app, wake_fd))
    return 0


def _already_stopping(_number: int, _frame: object) -> None:
    log.info("already stopping")


def _stop_once(grace: float) -> Callable[[object], Awaitable[None]]:
    """An on_startup handler: SIGTERM or Ctrl+C stops the server once (saying so, and for how
    long the turns in progress may still take): a second one must not cut short the turns
    being finished and the inbox being handed back, as aiohttp's own handlers would by raising
    into the shutdown."""

    async def install(_app: object) -> None:
        loop = asyncio.get_running_loop()
        stopping: list[bool] = []
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(
                    number, _stop, loop, stopping, signal.Signals(number).name, grace
                )

    return install


def _stop(loop: asyncio.AbstractEventLoop, stopping: list[bool], name: str, grace: float) -> None:
    from aiohttp.web_runner import GracefulExit

    # Two signals close together are both queued before either runs: stop once.
    if stopping:
        log.info("already stopping")
        return
    stopping.append(True)
    # Said at once: what follows (turns finishing) may take the whole grace.
    log.info("stopping (%s): finishing turns for up to %g s", name, grace)
    for number in (signal.SIGINT, signal.SIGTERM):
        # A plain handler, not the loop's: it outlives the loop, which on closing would
        # put back the default one, and a late signal would kill the process mid-exit.
        loop.remove_signal_handler(number)
        signal.signal(number, _already_stopping)
    raise GracefulExit()


def _listening(message: str) -> None:
    # aiohttp says this once the socket is bound and the app started: the line a service
    # manager (or a test) can wait for.
    log.info("ready: %s", " ".join(message.replace("=", " ").split()))


def _teams_package(settings: Settings, app_id: str | None, output: Path) -> int:
    app_id = app_id or settings.microsoft_app_id
    if not app_id:
        raise RuntimeError("set MICROSOFT_APP_ID (or pass --app-id): the package names the bot")
    guid = _guid(app_id)
    if guid is None:
        raise RuntimeError(f"MICROSOFT_APP_ID is {NOT_A_GUID}: {app_id!r}")
    from bot.teams import package as teams_package

    # The checked form, not the setting as typed: Teams refuses an id padded with spaces.
    teams_package.build(guid, output)
    log.info("Teams app package written to %s", output)
    return 0


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[Store]:
    """kontobot's database as it is, closed afterwards: only serve, turns and migrate make
    one (a SQLite file that is not there is data.db.NoDatabase; one without kontobot's
    current schema is refused by data.migrate.require_current)."""
    store = Store.from_url(settings.database_url, create=False)
    try:
        async with _reaching(settings):
            await require_current(store.engine)
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _reaching(settings: Settings) -> AsyncIterator[None]:
    """A database that cannot be reached (a server down, a database name mistyped) said in
    one line naming it (its password hidden), not as the driver's traceback."""
    try:
        yield
    except (DBAPIError, OSError) as error:
        reason = error.orig if isinstance(error, DBAPIError) else error
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        first = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
        raise RuntimeError(
            f"cannot open the database at {where} (KONTOBOT_DATABASE_URL): {first}"
        ) from None


async def _migrate(settings: Settings) -> None:
    store = Store.from_url(settings.database_url)
    try:
        async with _reaching(settings):
            await migrate(store.engine)
    finally:
        await store.close()


async def _export(settings: Settings, fmt: str, what: str, out: TextIO) -> None:
    """Written a chunk of rows at a time, as it is read: memory stays flat."""
    async with _database(settings) as store:
        async with store.read() as session:
            async for piece in export.stream(session, fmt, what):
                out.write(piece)
        out.flush()


def _as_of(
    settings: Settings, as_of: datetime | None, now: datetime, *, latest: datetime | None
) -> datetime:
    """`--as-of` as an aware UTC time: local in KONTOBOT_TIMEZONE without an offset; `now`
    without it. ValueError saying why when its day where KONTOBOT_TIMEZONE is falls outside
    FIRST_DAY..LAST_DAY (or has none: 0001-01-01T00:00+14:00), or it is after `latest`."""
    if as_of is None:
        return now
    given = as_of if as_of.tzinfo is not None else as_of.replace(tzinfo=settings.zone)
    try:
        utc = given.astimezone(UTC)
        day: date | None = utc.astimezone(settings.zone).date()
    except OverflowError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{as_of.isoformat()} is not between {FIRST_DAY} and {LAST_DAY} in {settings.zone}"
        )
    if latest is not None and utc > latest:
        raise ValueError(
            f"{as_of.isoformat()} is later than now ({latest.isoformat(timespec='seconds')})"
        )
    return utc


async def _prune(settings: Settings, now: datetime, days: int | None) -> int:
    keep = settings.retention_days if days is None else days
    if keep < 1:
        # 0 keeps everything (KONTOBOT_RETENTION_DAYS): a nightly cron job has nothing to do.
        log.info("the retention is 0 days, so everything is kept: nothing is deleted")
        return 0
    async with _database(settings) as store:
        pruned = await retention.prune(store, now=now, days=keep)
    log.info("deleted %s", pruned)
    return 0


async def _nudges_run(settings: Settings, now: datetime, dry_run: bool) -> str:
    async with _database(settings) as store:
        # Always runs the rules: the operator is shown everything due, owed before or not,
        # listed piece by piece of the register (scheduler.sweep.Listing).
        listing = sweep.Listing()
        result = await sweep.sweep(
            store, now, nudge_config(settings), dry_run=dry_run, reuse=False, listing=listing
        )
        table = await listing.table(store)
    if dry_run:
        log.info("dry run as of %s: %s nudge(s), nothing written", now.isoformat(),
                 result.found)
    else:
        log.info("as of %s: %s nudge(s), %s new outbox message(s)", now.isoformat(),
                 result.found, len(result.written))
    return table


def _shown(text: str, width: int) -> str:
    """One line of what an event or its error said, safe to print on a terminal."""
    line = printable(text.strip().split("\n")[0])
    return line if len(line) <= width else line[: width - 1] + "…"


async def _parked(settings: Settings) -> str:
    async with _database(settings) as store, store.read() as session:
        rows = await parked.listed(session)
    log.info("%s parked event(s)%s", len(rows), "" if len(rows) < parked.LISTED else
             f" (the oldest {parked.LISTED} are listed)")
    lines = [("KEY", "PLATFORM", "ATTEMPTS", "RECEIVED", "ERROR")] + [
        (_shown(row.key, 255), row.platform, str(row.attempts),
         row.received_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M"),
         _shown(row.error or "", 100))
        for row in rows
    ]
    widths = [max(len(line[n]) for line in lines) for n in range(5)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


async def _retry(settings: Settings, keys: list[str] | None) -> int:
    async def put_back(session: AsyncSession) -> list[str]:
        return await parked.retry(session, keys=keys, now=datetime.now(UTC))

    return await _on_parked(settings, keys, put_back, "put back to run")


async def _discard(settings: Settings, keys: list[str] | None, reason: str) -> int:
    async def give_up(session: AsyncSession) -> list[str]:
        return await parked.discard(session, keys=keys, now=datetime.now(UTC), reason=reason)

    return await _on_parked(settings, keys, give_up, "discarded")


async def _on_parked(
    settings: Settings,
    keys: list[str] | None,
    act: Callable[[AsyncSession], Awaitable[list[str]]],
    done: str,
) -> int:
    """`act` on parked events in one transaction; their keys printed, and 1 when some of
    `keys` were not parked."""
    async with _database(settings) as store, store.transaction() as session:
        acted = await act(session)
    for key in acted:
        sys.stdout.write(_shown(key, 255) + "\n")
    log.info("%s event(s) %s", len(acted), done)
    missing = sorted(set(keys or ()) - set(acted))
    if missing:
        log.error("not parked (done, still to run, discarded, or unknown): %s",
                  ", ".join(_shown(key, 255) for key in missing))
        return 1
    return 0


async def _token(settings: Settings, action: str, number: str) -> str:
    async with _database(settings) as store, store.transaction() as session:
        account = await register.account_by_number(session, number)
        if account is None or account.id is None:
            raise RuntimeError(f"no account numbered {number}")
        try:
            if action == "create":
                token = await tokens.create_token(
                    session, account_id=account.id, now=datetime.now(UTC)
                )
            else:
                token = await tokens.rotate_token(
                    session, account_id=account.id, now=datetime.now(UTC)
                )
        except DomainError as error:
            raise RuntimeError(_TOKEN_ERRORS.get(error.code, error.code)) from None
    log.info("webhook token for %s %sd; it is shown only now", account.number, action)
    return token


def _directory_import(settings: Settings, path: Path, *, allow_shrink: bool = False) -> int:
    try:
        # utf-8-sig: Excel writes a byte-order mark before the header.
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise RuntimeError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise RuntimeError(f"{path} is not UTF-8 text: save it as CSV UTF-8") from None
    try:
        report = asyncio.run(_import_staff(settings, text, path.name, allow_shrink))
    except Invalid as error:
        if error.code == "directory_empty":
            log.error("nothing was imported: %s has no rows (it would remove everyone)",
                      path.name)
            return 1
        if error.code == "directory_shrink":
            log.error(
                "nothing was imported: %s would remove %s of the %s imported entries "
                "(a truncated export?); give --allow-shrink if they really left",
                path.name, error.params["removed"], error.params["entries"],
            )
            return 1
        if error.code != "directory_rows":
            raise
        problems: list[directory.RowProblem] = error.params["problems"]
        for problem in problems:
            sys.stderr.write(f"{path.name}:{problem.line}: {_row_problem(problem)}\n")
        log.error("nothing was imported: %s row problem(s) in %s", len(problems), path.name)
        return 1
    sys.stdout.write(
        f"added {report.added}, updated {report.updated}, removed (left) {report.removed}, "
        f"unchanged {report.unchanged}; {report.units} unit(s)\n"
    )
    return 0


async def _import_staff(
    settings: Settings, text: str, name: str, allow_shrink: bool
) -> directory.ImportReport:
    async with _database(settings) as store, store.transaction() as session:
        return await directory.import_csv(
            session, text, now=datetime.now(UTC), source_name=name, allow_shrink=allow_shrink
        )


_ROW_PROBLEMS = {
    "header": "the first line must be the header email,name,unit,manager_email (it is {value!r})",
    "columns": "expected 4 columns, found {value}",
    "csv": "not readable as CSV: {value}",
    "email_missing": "no e-mail address",
    "email_malformed": "{value!r} is not an e-mail address",
    "email_duplicate": "{value} is listed twice",
    "name_missing": "no name",
    "name_too_long": "the name is {value} characters long (at most 200)",
    "unit_too_long": "the unit is {value} characters long (at most 200)",
    "manager_malformed": "the manager {value!r} is not an e-mail address",
    "own_manager": "{value} is named as their own manager",
    "manager_unknown": "the manager {value} is nobody in the file and not otherwise known",
}


def _row_problem(problem: directory.RowProblem) -> str:
    return _ROW_PROBLEMS.get(problem.code, problem.code).format(value=problem.value)


_TOKEN_ERRORS = {
    "token_exists": "the account already has a token: use `kontobot tokens rotate`",
    "account_closed": "the account is closed",
}


if __name__ == "__main__":
    raise SystemExit(main())
