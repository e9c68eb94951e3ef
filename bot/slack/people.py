"""Who a Slack user is: name, e-mail and language from `users.info`, cached in the database.

A person's profile is fetched when they are first seen and again once it is older than
`max_age`; in between it is read from the person's row (and, within one process, from memory).
The time of the last fetch is kept with their Slack identity (`profile_at`).

The e-mail address is kept only for our own workspace's people (bot/slack/workspace.member):
data.people links identities by it, so a Slack Connect user whose admins gave them a KI
colleague's address would otherwise become that colleague, and get their approval cards. Such
a person is served as well, known by their Slack id alone, as Teams' guests are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.channel import api_error
from bot.slack.render import is_user_id
from bot.slack.translate import PLATFORM
from bot.slack.workspace import Workspace, member
from dialogs.events import Sender
from dialogs.i18n import language
from hub.identities import Identities

log = logging.getLogger(__name__)

PROFILE_AT = "profile_at"
MAX_AGE = timedelta(hours=12)
MAX_REMEMBERED = 10_000
MAX_EMAILS = 10


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    email: str | None
    # "sv" or "en"; None when Slack's language is one we have no catalogue for.
    locale: str | None
    fetched_at: datetime | None = None


class Directory:
    def __init__(
        self,
        client: AsyncWebClient,
        identities: Identities,
        clock: Callable[[], datetime],
        ours: Callable[[], Awaitable[Workspace]],
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self.client = client
        self.identities = identities
        self.clock = clock
        # Our workspace (bot/slack/workspace.Ours); raises when Slack cannot say.
        self.ours = ours
        self.max_age = max_age
        # Looked up in Slack lately, including "no such person" (None).
        self._recent: dict[str, tuple[Profile | None, datetime]] = {}

    async def profile(self, user_id: str) -> Profile | None:
        """The profile of `user_id`: from the database while fresh, else from Slack.

        None when Slack says there is no such person (or it is a bot); when Slack cannot be
        asked, whatever the database has (or None).
        """
        now = self.clock()
        recent = self._recent.get(user_id)
        if recent is not None and now - recent[1] < self.max_age:
            return recent[0]
        stored = await self._stored(user_id)
        if stored is not None and stored.fetched_at and now - stored.fetched_at < self.max_age:
            return stored
        return await self._lookup(user_id, now, stored)

    async def _lookup(
        self, user_id: str, now: datetime, fallback: Profile | None
    ) -> Profile | None:
        """Ask Slack (and nothing else: this may run inside a turn's transaction)."""
        try:
            fetched = await self._fetch(user_id, now)
        except SlackApiError as error:
            code = api_error(error)
            if code not in ("user_not_found", "users_not_found"):
                log.warning(
                    "the Slack profile of %s could not be had: HTTP %s %s",
                    user_id,
                    error.response.status_code,
                    code,
                )
                return fallback
            fetched = None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("the Slack profile of %s could not be had: %r", user_id, error)
            return fallback
        if len(self._recent) > MAX_REMEMBERED:
            self._recent.clear()
        self._recent[user_id] = (fetched, now)
        return fetched

    async def prefetch(self, user_ids: Iterable[str]) -> None:
        await asyncio.gather(*(self.profile(u) for u in dict.fromkeys(user_ids) if is_user_id(u)))

    async def sender(self, user_id: str) -> Sender:
        """The neutral sender for `user_id`, with their profile when it is known."""
        profile = await self.profile(user_id)
        if profile is None:
            return Sender(PLATFORM, user_id)
        return self._sender(profile)

    def _sender(self, profile: Profile) -> Sender:
        return Sender(
            PLATFORM,
            profile.user_id,
            display_name=profile.name,
            email=profile.email,
            locale=profile.locale,
            address=self._address(profile),
        )

    async def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """How to write each mentioned person so that the dialogs can find them: their
        e-mail address where known (it is unique), else their name. Each is made known."""
        found: dict[str, str] = {}
        for user_id in user_ids:
            profile = await self.profile(user_id)
            if profile is None:
                continue
            await self.identities.remember(self._sender(profile))
            found[user_id] = profile.email or profile.name
        return found

    async def by_email(self, emails: Iterable[str]) -> None:
        """Make people named by e-mail address known, when Slack knows them
        (`users.lookupByEmail`): typed answers name people by address, and a colleague who
        has never written to the bot is still a colleague."""
        for email in list(dict.fromkeys(e.lower() for e in emails))[:MAX_EMAILS]:
            if await self.identities.anyone_named(email):
                continue
            found = await self.by_address(email)
            if found is not None:
                await self.identities.remember(found)

    async def by_address(self, email: str) -> Sender | None:
        """`Brain.email_lookups["slack"]`: the Slack user with this work e-mail, or None.
        Called inside a turn's transaction (the directory's manager, say), so it asks Slack,
        never the database."""
        try:
            ours = await self.ours()
            response = await self.client.users_lookupByEmail(email=email.lower())
        except SlackApiError as error:
            if api_error(error) != "users_not_found":
                log.warning("a Slack user could not be looked up by address: %s",
                            api_error(error))
            return None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("a Slack user could not be looked up by address: %r", error)
            return None
        user = response.get("user") or {}
        profile = _profile(user, str(user.get("id", "")), self.clock(), ours)
        if profile is None or not is_user_id(profile.user_id):
            return None
        if not member(user, ours):
            # Slack Connect shows other organisations' people by address too: the address
            # is a KI colleague's, this person is not (nor is a guest who was given it).
            log.info("users.lookupByEmail found someone not of our workspace: not taken")
            return None
        # Slack found them by this address, so it is theirs even when the profile hides it.
        return self._sender(replace(profile, email=profile.email or email.lower()))

    async def lookup(self, ids: tuple[str, ...]) -> list[Sender | None]:
        """`Brain.resolvers["slack"]`: who the people picked in Slack's user picker are, for
        those the database does not know yet. Called inside the turn's transaction, so it
        reads profiles from `prefetch` (before the turn) or straight from Slack, never from
        the database."""
        now = self.clock()
        found: list[Sender | None] = []
        for user_id in ids:
            if "@" in user_id:
                # The bot's own people search offers a colleague Slack has not shown us yet
                # by their work e-mail (hub.people_search).
                found.append(await self.by_address(user_id))
                continue
            if not is_user_id(user_id):
                found.append(None)
                continue
            recent = self._recent.get(user_id)
            if recent is not None and now - recent[1] < self.max_age:
                profile = recent[0]
            else:
                profile = await self._lookup(user_id, now, None)
            found.append(None if profile is None else self._sender(profile))
        return found

    async def ensure(self, user_id: str) -> None:
        """Make a configured person known (the director, the comms office's members)."""
        profile = await self.profile(user_id)
        sender = Sender(PLATFORM, user_id) if profile is None else self._sender(profile)
        await self.identities.remember(sender)

    @staticmethod
    def _address(profile: Profile) -> dict[str, str]:
        return {PROFILE_AT: profile.fetched_at.isoformat()} if profile.fetched_at else {}

    async def _stored(self, user_id: str) -> Profile | None:
        known = await self.identities.known(PLATFORM, user_id)
        if known is None:
            return None
        raw = known.address.get(PROFILE_AT)
        fetched_at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        return Profile(user_id, known.display_name or user_id, known.email, known.locale, fetched_at)

    async def _fetch(self, user_id: str, now: datetime) -> Profile | None:
        ours = await self.ours()
        response = await self.client.users_info(user=user_id, include_locale=True)
        return _profile(response.get("user") or {}, user_id, now, ours)


def _profile(
    user: dict[str, Any], user_id: str, now: datetime, ours: Workspace
) -> Profile | None:
    """A `users.info` user as a profile; None for a deactivated account or a bot. The
    e-mail address only for one of our own people (`member`)."""
    if user.get("deleted") or user.get("is_bot"):
        return None
    profile = user.get("profile") or {}
    name = (
        profile.get("real_name")
        or user.get("real_name")
        or profile.get("display_name")
        or user.get("name")
        or user_id
    )
    return Profile(
        user_id=user_id,
        name=str(name),
        email=(profile.get("email") or None) if member(user, ours) else None,
        # Slack's `sv-SE`, `en-GB` as one of our languages (the rule Teams uses too).
        locale=language(user.get("locale")),
        fetched_at=now,
    )
