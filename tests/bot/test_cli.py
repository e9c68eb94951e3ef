"""`kontobot` run as operators run it: the installed console script, settings in the environment.

Each command runs as a subprocess in a scratch directory (so no developer `.env` applies); what
a command prints on standard output must be its data alone, with logs on standard error.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.web.demo import seed
from data import export as export_module
from data import migrate, questions, register
from data.db import Store
from data.export import (
    ACCESSIBILITY_COLUMNS,
    AUDIT_COLUMNS,
    CASE_MARK_COLUMNS,
    CONSENT_COLUMNS,
    MODERATION_COLUMNS,
    PURGE_COLUMNS,
    QUESTION_COLUMNS,
    REGISTER_COLUMNS,
)
from dialogs.explain import REASONS
from dialogs.i18n import Translator
from dialogs.router import Brain
from hub.identities import Identities
from tests.conftest import DEFAULT_POSTGRES_URL
from tests.helpers import T0
from tests.helpers.journey import card_value, click, latest_request, open_account
from tests.helpers.server import KONTOBOT, ROOT, cli_env, free_port, serving, stop

BEHIND = "database schema is behind: run `kontobot migrate`"
REFUSALS = {"tables_without_a_revision": "did not create", "unknown_revision": "does not know"}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


async def kontobot(
    database_url: str, cwd: Path, *args: str, program: str | None = None, **env: str
) -> Run:
    """`kontobot *args` on `database_url`, with `env` besides (settings as KONTOBOT_...)."""
    command = [program] if program else [str(KONTOBOT)]
    if program == sys.executable:
        command += ["-m", "bot.cli"]
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        env=cli_env(database_url, **env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


def sqlite_in(directory: Path, name: str = "kontobot.db") -> str:
    return f"sqlite:///{directory / name}"


async def schema_status(database_url: str) -> str:
    store = Store.from_url(database_url)
    try:
        return await migrate.status(store.engine)
    finally:
        await store.close()


def test_the_console_script_is_installed() -> None:
    assert KONTOBOT.exists(), f"{KONTOBOT} is missing: install the package (pip install -e .)"


@pytest.mark.parametrize("how", ["console script", "python -m bot.cli"])
async def test_help_names_every_command(tmp_path: Path, how: str) -> None:
    program = sys.executable if how == "python -m bot.cli" else None
    run, export = await asyncio.gather(
        kontobot(sqlite_in(tmp_path), tmp_path, "--help", program=program),
        kontobot(sqlite_in(tmp_path), tmp_path, "export", "--help", program=program),
    )
    assert run.code == 0, run.err
    assert run.out.startswith("usage: kontobot")
    for command in ("serve", "migrate", "export"):
        assert command in run.out
    assert export.code == 0, export.err
    assert "{csv,json}" in export.out and "{" + ",".join(export_module.WHATS) + "}" in export.out
    # Help touches no database.
    assert not (tmp_path / "kontobot.db").exists()


async def test_without_a_command_it_says_how_to_use_it(tmp_path: Path) -> None:
    run = await kontobot(sqlite_in(tmp_path), tmp_path)
    assert run.code == 2
    assert run.out == ""
    assert "usage: kontobot" in run.err and "COMMAND" in run.err


async def test_migrate_creates_a_new_sqlite_database(tmp_path: Path) -> None:
    url = sqlite_in(tmp_path / "var", "new.db")
    run = await kontobot(url, tmp_path, "migrate")
    assert run.code == 0, run.err
    assert run.out == ""
    # One line of its own, not a line per migration step from alembic.
    [said] = run.err.splitlines()
    assert said.endswith("INFO kontobot: database is up to date"), run.err
    assert (tmp_path / "var" / "new.db").exists()
    assert await schema_status(url) == "current"
    # Again: nothing to do, and still fine.
    run = await kontobot(url, tmp_path, "migrate")
    assert run.code == 0, run.err
    assert await schema_status(url) == "current"


@pytest.mark.parametrize(("given", "host", "port"), [((), "127.0.0.1", "3978"),
                                                     (("PORT=8080",), "127.0.0.1", "8080"),
                                                     (("PORT=8081", "HOST=::1"), "::1", "8081")])
def test_make_run_takes_a_port(given: tuple[str, ...], host: str, port: str) -> None:
    # `make -n` prints the commands it would run, and runs none.
    shown = subprocess.run(  # noqa: S603
        ["make", "-n", "run", *given],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert f"kontobot serve --host {host} --port {port}" in shown, shown


async def test_export_of_an_empty_register_is_just_headers(tmp_path: Path) -> None:
    url = sqlite_in(tmp_path)
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    run, as_csv = await asyncio.gather(
        kontobot(url, tmp_path, "export", "--format", "json"),
        kontobot(url, tmp_path, "export", "--format", "csv"),
    )
    assert run.code == 0, run.err
    assert json.loads(run.out) == {part: [] for part in export_module.PARTS}
    assert as_csv.code == 0, as_csv.err
    assert as_csv.out == "\n".join(",".join(columns) + "\n" for columns in (
        REGISTER_COLUMNS, AUDIT_COLUMNS, QUESTION_COLUMNS, MODERATION_COLUMNS, CASE_MARK_COLUMNS,
        PURGE_COLUMNS, CONSENT_COLUMNS, ACCESSIBILITY_COLUMNS,
    ))


# Every command but serve, turns and migrate works on kontobot's database as it is: given
# one that does not exist or has no schema (a mistyped KONTOBOT_DATABASE_URL), it says so.
ON_A_DATABASE = (
    ("export",), ("export", "--what", "register", "--format", "json"),
    ("nudges", "run", "--dry-run"), ("nudges", "run"), ("prune", "--days", "30"),
    ("inbox", "parked"), ("inbox", "retry", "--all"), ("tokens", "create", "SOME-2027-0001"),
)
NO_SCHEMA = "has no kontobot schema"


async def test_commands_create_no_database_where_none_is(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "kontobot.db"
    runs = await asyncio.gather(*(
        kontobot(f"sqlite:///{missing}", tmp_path, *args) for args in ON_A_DATABASE
    ))
    for args, run in zip(ON_A_DATABASE, runs, strict=True):
        assert run.code == 1, (args, run.err)
        assert run.out == ""
        assert f"no database at {missing}" in run.err, (args, run.err)
        assert "Traceback" not in run.err, run.err
    assert not (tmp_path / "typo").exists()


async def test_commands_leave_a_database_without_kontobots_schema_as_it_is(
    database_url: str, tmp_path: Path
) -> None:
    """An empty database (SQLite file or PostgreSQL database) is not set up by them."""
    if database_url.startswith("sqlite"):
        sqlite3.connect(database_url.removeprefix("sqlite:///")).close()
    for args in ON_A_DATABASE:
        run = await kontobot(database_url, tmp_path, *args)
        assert run.code == 1, (args, run.err)
        assert NO_SCHEMA in run.err and "kontobot migrate" in run.err, (args, run.err)
    assert await schema_status(database_url) == "empty"


async def test_an_unsupported_database_is_a_usage_error(tmp_path: Path) -> None:
    run = await kontobot("mysql://someone@db/kontobot", tmp_path, "export")
    assert run.code == 2, run.err
    assert "unsupported database 'mysql': use sqlite:// or postgresql://" in run.err
    assert "Traceback" not in run.err, run.err


async def test_a_database_that_cannot_be_reached_is_said_in_one_line(tmp_path: Path) -> None:
    """A server that is not there, a database name mistyped on one that is: named (its
    password hidden), exit 1; a URL that is no URL: a usage error. Never a traceback."""
    nobody = free_port()
    server = os.environ.get("KONTOBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    missing = server.rsplit("/", 1)[0] + "/kontobot_no_such_database"
    cases = {
        f"postgresql://kb:s3cret@127.0.0.1:{nobody}/kontobot": (1, f"127.0.0.1:{nobody}"),
        missing: (1, "kontobot_no_such_database"),
        "garbage": (2, "KONTOBOT_DATABASE_URL"),
    }
    for url, (code, named) in cases.items():
        for args in (("export",), ("migrate",)):
            run = await kontobot(url, tmp_path, *args)
            assert run.code == code, (url, args, run.err)
            assert named in run.err and "Traceback" not in run.err, (url, args, run.err)
            assert "s3cret" not in run.err
            if code == 1:
                assert "cannot open the database at" in run.err, run.err


async def test_a_mistyped_setting_is_named_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kontobot.db'}"
    for name, value in (
        ("KONTOBOT_RETENTION_DAYS", "-5"), ("KONTOBOT_TIMEZONE", "Mars/Olympus"),
        ("KONTOBOT_CLOSURE_DAYS", "2027-13-01"), ("KONTOBOT_WEB_CHAT", "maybe"),
    ):
        run = await kontobot(url, tmp_path, "export", **{name: value})
        assert run.code == 2, (name, run.err)
        assert name in run.err and "Traceback" not in run.err, (name, run.err)
    assert not (tmp_path / "kontobot.db").exists()


async def test_an_export_read_no_further_stops_quietly(tmp_path: Path) -> None:
    """`kontobot export | head`: once nobody reads what it writes, it stops, without a
    traceback."""
    url = f"sqlite:///{tmp_path / 'kontobot.db'}"
    assert (await kontobot(url, tmp_path, "migrate")).code == 0
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    try:
        process = await asyncio.create_subprocess_exec(
            str(KONTOBOT), "export", env=cli_env(url), cwd=tmp_path, stdout=write,
            stderr=asyncio.subprocess.PIPE,
        )
    finally:
        os.close(write)
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 1, err.decode()
    assert "Traceback" not in err.decode() and "Exception ignored" not in err.decode()


async def test_a_port_taken_is_said_in_one_line(tmp_path: Path) -> None:
    taken = socket.socket()
    with closing(taken):
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        run = await kontobot(
            f"sqlite:///{tmp_path / 'kontobot.db'}", tmp_path, "serve", "--host", "127.0.0.1",
            "--port", port,
        )
    assert run.code == 1, run.err
    assert "Traceback" not in run.err and "address already in use" in run.err.lower()
    wrong = await kontobot("sqlite://", tmp_path, "serve", "--port", "99999")
    assert wrong.code == 2 and "99999 is not between 0 and 65535" in wrong.err


async def _register_one_account(database_url: str) -> str:
    """Anna's university-wide request, approved by Cecilia and by David, as in the chat."""
    store = Store.from_url(database_url)
    try:
        await migrate.upgrade(store.engine)
        await seed(Identities(store, lambda: T0))
        brain = Brain(store, default_locale="sv")
        replies = await open_account(brain, "anna", T0)
        assert "Cecilia Carlsson" in replies[-1].message.text
        request = await latest_request(store)
        await click(brain, "cecilia", T0, "approval:approve", card_value(request))
        request = await latest_request(store)
        assert request.stage == "director"
        # The manager's second click on her (now outdated) card changes nothing.
        [refusal] = await click(brain, "cecilia", T0, "approval:approve", f"{request.id}:1:manager")
        assert refusal.message.text == Translator("sv")(REASONS["request_moved_on"])
        [done] = await click(brain, "david", T0, "approval:approve", card_value(request))
        assert "SOME-2027-0001" in done.message.text
        # A question from the public, logged by Anna: a public document the export holds.
        async with store.transaction() as session:
            account = await register.account_by_number(session, "SOME-2027-0001")
            assert account is not None and account.id is not None
            [anna, *_] = (await register.teams_of(session, [account.id]))[account.id]
            await questions.log_question(session, account_id=account.id, actor_id=anna,
                                         text="=Why this photo?", now=T0)
        return "SOME-2027-0001"
    finally:
        await store.close()


async def test_export_lists_the_registered_account_and_its_audit_trail(
    database_url: str, tmp_path: Path
) -> None:
    number = await _register_one_account(database_url)

    run, as_csv, only_audit = await asyncio.gather(
        kontobot(database_url, tmp_path, "export", "--format", "json"),
        kontobot(database_url, tmp_path, "export", "--format", "csv"),
        kontobot(database_url, tmp_path, "export", "--format", "json", "--what", "audit"),
    )
    assert run.code == 0, run.err
    exported = json.loads(run.out)
    [row] = exported["register"]
    assert list(row) == list(REGISTER_COLUMNS)
    assert row["number"] == number
    assert row["status"] == "active"
    assert (row["platform"], row["handle"], row["scope"]) == (
        "instagram",
        "ki_neuro_demo",
        "university_wide",
    )
    assert row["unit"] == "Department of Neuroscience"
    assert (row["manager"], row["manager_email"]) == (
        "Cecilia Carlsson",
        "cecilia.carlsson@ki.se",
    )
    assert row["team"] == "Anna Andersson; Björn Berg"
    assert row["team_emails"] == "anna.andersson@ki.se; bjorn.berg@ki.se"
    assert row["registered_at"].startswith("2027-03-01T09:00:00")
    assert row["closed_at"] == ""
    actions = [event["action"] for event in exported["audit"]]
    for expected in ("request.submitted", "request.decided", "account.registered"):
        assert expected in actions
    assert actions.count("request.decided") == 2
    deciders = [e["actor"] for e in exported["audit"] if e["action"] == "request.decided"]
    assert deciders == ["Cecilia Carlsson", "David Dahl"]
    registered = next(e for e in exported["audit"] if e["action"] == "account.registered")
    assert registered["details"]["number"] == number

    assert as_csv.code == 0, as_csv.err
    register_part, audit_part, questions_part, *_ = as_csv.out.split("\n\n")
    [csv_row] = list(csv.DictReader(io.StringIO(register_part)))
    assert csv_row["number"] == number
    assert csv_row["team"] == "Anna Andersson; Björn Berg"
    audit_rows = list(csv.DictReader(io.StringIO(audit_part)))
    assert [r["action"] for r in audit_rows] == actions
    [asked] = exported["questions"]
    assert (asked["account"], asked["text"], asked["logged_by"]) == (
        number, "=Why this photo?", "Anna Andersson"
    )
    [csv_question] = list(csv.DictReader(io.StringIO(questions_part)))
    assert csv_question["text"] == "'=Why this photo?"

    assert only_audit.code == 0, only_audit.err
    assert json.loads(only_audit.out) == {"audit": exported["audit"]}


def _tables_without_a_revision(path: Path) -> None:
    # Tables no migration made (an old hand-made database): not something to migrate blindly.
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, display_name TEXT)")


def _unknown_revision(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('0000_before_kontobot_1')")


@pytest.mark.parametrize("make", [_tables_without_a_revision, _unknown_revision])
async def test_an_outdated_database_is_refused_with_a_clear_message(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    path = tmp_path / "old.db"
    make(path)
    before = path.read_bytes()
    url = f"sqlite:///{path}"
    commands = (("export", "--format", "json"), ("serve", "--port", "0"), ("migrate",))
    runs = await asyncio.gather(*(kontobot(url, tmp_path, *args) for args in commands))
    for args, run in zip(commands, runs, strict=True):
        assert run.code == 1, (args, run.err)
        assert run.out == ""
        assert REFUSALS[make.__name__.lstrip("_")] in run.err, run.err
        assert "Traceback" not in run.err, run.err
    assert path.read_bytes() == before


def test_serve_runs_the_web_chat_and_stops_at_once_on_sigterm(tmp_path: Path) -> None:
    url = sqlite_in(tmp_path)
    with serving(url, tmp_path, KONTOBOT_SHUTDOWN_GRACE="3") as server:
        with urllib.request.urlopen(f"{server.url}/web/api/people", timeout=5) as response:  # noqa: S310
            assert [p["key"] for p in json.load(response)["people"]][:1] == ["anna"]
        query = {"as": "anna"}
        with urllib.request.urlopen(  # noqa: S310
            f"{server.url}/web/api/messages?{urllib.parse.urlencode(query)}", timeout=5
        ) as response:
            version = json.load(response)["version"]
        # A browser waiting for news (the long poll waits up to 20 seconds)...
        host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
        with socket.create_connection((host, int(port)), timeout=15) as poll:
            target = f"/web/api/messages?{urllib.parse.urlencode({**query, 'after': version})}"
            poll.sendall(
                f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()
            )
            # (a request on another connection answered: the server has read the poll by now)
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=5):  # noqa: S310
                pass
            # ...must not keep the server from stopping.
            assert stop(server, within=8) == 0, server.output()
            answer = b""
            while chunk := poll.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert "web chat on" in server.output()
    # Said once, when the signal comes, with the grace the operator set.
    assert server.output().count("stopping (SIGTERM): finishing turns for up to 3 s") == 1


def test_the_web_chat_is_off_away_from_loopback_unless_asked_for(tmp_path: Path) -> None:
    # Only the setting is consulted here: binding to a public address is not for a test.
    code = (
        "from bot.settings import Settings\n"
        "s = Settings(_env_file=None)\n"
        "print(s.web_chat_enabled('127.0.0.1'), s.web_chat_enabled('0.0.0.0'))\n"
    )
    for setting, expected in (("auto", "True False"), ("on", "True True"), ("off", "False False")):
        env = cli_env(sqlite_in(tmp_path), KONTOBOT_WEB_CHAT=setting)
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.strip() == expected, setting


async def test_export_writes_no_formula_a_spreadsheet_would_run(tmp_path: Path) -> None:
    from tests.data.test_export import check_csv
    from tests.helpers import make_cast
    from tests.helpers.accounts import register_formulas

    database_url = sqlite_in(tmp_path)
    store = Store.from_url(database_url)
    try:
        await migrate.upgrade(store.engine)
        cast = await make_cast(store)
        await register_formulas(store, cast.requester, cast.colleague, T0)
    finally:
        await store.close()
    run = await kontobot(database_url, tmp_path, "export", "--format", "csv")
    assert run.code == 0, run.err
    check_csv(run.out)
