"""The outside world: the aiohttp server, chat platforms, the web chat, the CLI and settings."""
