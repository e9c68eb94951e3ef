"""How accounts and people are named in messages: shared by notices, nudges and commands."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from data import people, rules
from data.models import Account


def platform_label(platform: str) -> str:
    rule = rules.PLATFORMS.get(platform)
    return rule.label if rule else platform


def account_name(platform: str, handle: str) -> str:
    """`Instagram ki_neuroscience`: the platform and the handle (never translated)."""
    return f"{platform_label(platform)} {handle}"


def account_label(account: Account) -> str:
    """`SOME-2027-0001 · Instagram ki_neuroscience`: the register number first."""
    return f"{account.number} · {account_name(account.platform, account.handle)}"


async def names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Display names by person id (people not found are left out)."""
    found = await people.people_by_id(session, list(ids))
    return {i: p.display_name for i, p in found.items()}
