"""Microsoft Teams: personal chat, Adaptive Cards and Universal Actions — through botbuilder.

`setup(app, settings, host=...)` is all the rest of the bot knows of it. Teams and
botbuilder types never leave this package: `translate` turns activities into neutral events,
`render` turns neutral messages into Adaptive Cards, `channel` is the `Channel` that sends
them, `bot` runs one turn, `server` owns `POST /api/messages` and `package` builds the app
package for Teams administrators.

botbuilder-python is archived upstream (4.17.1 is its last release). Only `server` and
`channel` (and the turn context in `bot`) touch it; `translate`, `render` and `package` work
on plain JSON. Moving to another Bot Framework client means rewriting those two modules
against the same REST calls; nothing outside this package changes.
"""

from __future__ import annotations

from bot.teams.server import AUTH_CONFIG, MODE, ROUTE, TEAMS, TeamsSettingsError, mode, setup

__all__ = ["AUTH_CONFIG", "MODE", "ROUTE", "TEAMS", "TeamsSettingsError", "mode", "setup"]
