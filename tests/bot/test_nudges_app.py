"""The bot runs the nudge scheduler when KONTOBOT_SCHEDULER is on, and stops it cleanly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.keys import NUDGES
from bot.scheduling import nudge_config
from bot.settings import Settings
from tests.helpers.web import fixed_clock


async def test_the_scheduler_starts_with_the_app_and_stops_with_it(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", scheduler="on",
                        closure_days="2027-07-12", _env_file=None)
    app = create_app(settings, web_chat_enabled=False, clock=fixed_clock())
    server = TestServer(app)
    await server.start_server()
    try:
        nudges = app[NUDGES]
        assert nudges.scheduler.running
        assert {job.id for job in nudges.scheduler.get_jobs()} >= {"rota", "questions"}
        # Old messages and events are pruned after 90 days unless the operator says otherwise.
        assert nudges.retention_days == 90 == settings.retention_days
        assert nudges.scheduler.get_job("retention") is not None
    finally:
        await server.close()
    assert not nudges.scheduler.running
    config = nudge_config(settings)
    assert not config.calendar.is_working_day(date(2027, 7, 12))
    assert config.zone.key == "Europe/Stockholm"


async def test_off_means_no_scheduler(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", scheduler="off",
                        _env_file=None)
    app = create_app(settings, web_chat_enabled=False, clock=fixed_clock())
    server = TestServer(app)
    await server.start_server()
    assert NUDGES not in app
    await server.close()


async def test_the_retention_is_the_operators(tmp_path: Path) -> None:
    for days in (0, 400):
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'k.db'}", scheduler="on",
                            _env_file=None, KONTOBOT_RETENTION_DAYS=str(days))
        app = create_app(settings, web_chat_enabled=False, clock=fixed_clock())
        server = TestServer(app)
        await server.start_server()
        try:
            nudges = app[NUDGES]
            assert nudges.retention_days == days
            # 0 keeps everything: no pruning job at all.
            assert (nudges.scheduler.get_job("retention") is not None) == bool(days)
        finally:
            await server.close()
