"""`kontobot`: serve, migrate, export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.settings import Settings, is_loopback
from data import export
from data.db import Store
from data.migrate import ensure_current, upgrade

log = logging.getLogger("kontobot")


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
    serve.add_argument("--port", type=int, default=3978, help="port to listen on (default 3978)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    exporter = commands.add_parser(
        "export", help="write the register and its audit trail to standard output"
    )
    exporter.add_argument("--format", choices=("csv", "json"), default="csv")
    exporter.add_argument(
        "--what",
        choices=("register", "audit", "all"),
        default="all",
        help="which table (default all: in CSV, the register, a blank line, then the audit trail)",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings()
    try:
        return _run(args, settings)
    except RuntimeError as error:
        log.error("%s", error)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return serve(settings, args.host, args.port)
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        log.info("database is up to date")
        return 0
    sys.stdout.write(asyncio.run(_export(settings, args.format, args.what)))
    return 0


def serve(settings: Settings, host: str, port: int) -> int:
    web_chat = settings.web_chat_enabled(host)
    if web_chat and not is_loopback(host):
        log.warning("the web chat lets anyone act as any demo person, and it is on at %s", host)
    log.info("kontobot on http://%s:%s/ (web chat %s)", host, port, "on" if web_chat else "off")
    web.run_app(create_app(settings, web_chat_enabled=web_chat), host=host, port=port, print=None)
    return 0


async def _migrate(settings: Settings) -> None:
    store = Store.from_url(settings.database_url)
    try:
        await upgrade(store.engine)
    finally:
        await store.close()


async def _export(settings: Settings, fmt: str, what: str) -> str:
    store = Store.from_url(settings.database_url)
    try:
        await ensure_current(store.engine)
        async with store.transaction() as session:
            return await export.export(session, fmt, what)
    finally:
        await store.close()


if __name__ == "__main__":
    raise SystemExit(main())
