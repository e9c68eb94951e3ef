"""bot.exposure: what `serve` says it mounts, and why, one line per route."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.exposure import features as features_of
from bot.exposure import report
from bot.settings import Settings
from tests.helpers.server import KONTOBOT, cli_env, free_port


def lines_for(sqlite_url: str, host: str, **values: Any) -> list[str]:
    settings = Settings(_env_file=None, database_url=sqlite_url, **values)
    decision = settings.web_chat_decision(host)
    app = create_app(settings, web_chat_enabled=decision[0], host=host)
    return report(app, host, web_chat=decision)


def paths(sqlite_url: str, host: str, **values: Any) -> set[str]:
    settings = Settings(_env_file=None, database_url=sqlite_url, **values)
    app = create_app(settings, web_chat_enabled=settings.web_chat_enabled(host), host=host)
    return {r.resource.canonical for r in app.router.routes() if r.resource is not None}


def test_a_developers_machine(sqlite_url: str) -> None:
    lines = lines_for(sqlite_url, "127.0.0.1")
    assert lines[0].startswith("mounted, UNAUTHENTICATED (anyone who reaches it acts as anyone)")
    assert "not mounted: POST /slack/events (Slack) -- Slack is not configured" in lines
    assert (
        "not mounted: POST /api/messages (Teams) -- no MICROSOFT_APP_ID and "
        "KONTOBOT_TEAMS_EMULATOR off"
    ) in lines
    assert {"/", "/web/api/say"} <= paths(sqlite_url, "127.0.0.1")
    assert "/api/messages" not in paths(sqlite_url, "127.0.0.1")


def test_a_slack_server_behind_a_proxy_on_loopback_exposes_nothing_unauthenticated(
    sqlite_url: str,
) -> None:
    slack = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "secret"}
    lines = lines_for(sqlite_url, "127.0.0.1", **slack)
    assert lines[0] == (
        "not mounted: GET /, /web/api/* (web chat) -- KONTOBOT_WEB_CHAT=auto and Slack configured"
    )
    assert lines[1].startswith("mounted: POST /slack/events (Slack)")
    assert not [line for line in lines if "UNAUTHENTICATED" in line]
    mounted = paths(sqlite_url, "127.0.0.1", **slack)
    assert "/slack/events" in mounted
    assert not mounted & {"/", "/web/api/say", "/web/api/act", "/web/api/messages",
                          "/api/messages"}


def test_the_teams_emulator_is_named_as_unauthenticated(sqlite_url: str) -> None:
    lines = lines_for(sqlite_url, "127.0.0.1", teams_emulator="on", web_chat="off")
    assert (
        "mounted, UNAUTHENTICATED: POST /api/messages (Teams emulator) -- "
        "KONTOBOT_TEAMS_EMULATOR=on and loopback 127.0.0.1"
    ) in lines
    assert lines[0] == "not mounted: GET /, /web/api/* (web chat) -- KONTOBOT_WEB_CHAT=off"


def test_teams_with_an_app_id(sqlite_url: str) -> None:
    lines = lines_for(
        sqlite_url, "0.0.0.0",  # noqa: S104
        microsoft_app_id="app", microsoft_app_password="pw", microsoft_app_tenant_id="t-1",
    )
    assert (
        "mounted: POST /api/messages (Teams) -- MICROSOFT_APP_ID set: every activity's token is "
        "checked, tenant t-1 only"
    ) in lines
    assert lines[0].startswith("not mounted: GET /, /web/api/*")


def test_serve_logs_each_route_and_feature_and_nothing_else(tmp_path: Path) -> None:
    """`kontobot serve` with Slack configured, on a new database: its start-up lines, read
    from its output until it is ready; it is stopped then. One line per route and feature:
    no migration steps (alembic), no scheduler jobs (apscheduler)."""
    env = cli_env(
        f"sqlite:///{tmp_path / 'k.db'}", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
        KONTOBOT_SLACK_API_URL="http://127.0.0.1:9/",
    )
    process = subprocess.Popen(  # noqa: S603
        [str(KONTOBOT), "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        for line in process.stdout:
            seen.append(line)
            if " ready: " in line:
                break
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stdout.close()
    output = "".join(seen)
    routes = [line for line in seen if " route " in line]
    assert len(routes) == 6, output
    assert "route not mounted: GET /, /web/api/* (web chat) -- KONTOBOT_WEB_CHAT=auto and " \
        "Slack configured" in output
    assert "route mounted: POST /slack/events (Slack)" in output
    features = [line.split(": ", 1)[1].strip() for line in seen if " feature " in line]
    assert features == [f"feature {line}" for line in features_of(
        Settings(_env_file=None, scheduler="on", public_url=None)
    )]
    assert features[0].startswith("feature on: reminders on their schedules")
    # The first line says where it listens, the last that it is ready; and a new key is made.
    # One line per turn process `serve` starts (KONTOBOT_TURN_PROCESSES, default 1).
    turn_processes = [line for line in seen if " turn process " in line]
    assert len(turn_processes) == 1 and "turn process 1 started" in turn_processes[0], output
    others = [
        line for line in seen
        if line not in routes and " feature " not in line and line not in turn_processes
    ]
    assert len(others) == 3, output
    assert "alembic" not in output and "apscheduler" not in output
