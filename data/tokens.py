"""Per-account bearer tokens for the question webhook. Only a SHA-256 of each token is
stored; creating or rotating one returns the token itself, once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from data import access, audit, register
from data.errors import Invalid
from data.models import Account, WebhookToken

PREFIX = "kbq_"


def digest(token: str) -> str:
    """The SHA-256 (hex) stored for a token or a dashboard cookie, of its UTF-8. Any str has
    one: a header's bytes that are not UTF-8 reach us as lone surrogates (aiohttp decodes them
    with surrogateescape), which are hashed as they are (surrogatepass), so such a token is
    just unknown. A str without surrogates, as every token we make, hashes as before."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def create_token(
    session: AsyncSession, *, account_id: int, now: datetime, actor_id: int | None = None
) -> str:
    """A new token for an account that has none (Invalid("token_exists") otherwise: rotate).
    NotFound("unknown_account"), MovedOn("account_closed")."""
    await access.active_account(session, account_id)
    if await session.get(WebhookToken, account_id) is not None:
        raise Invalid("token_exists")
    return await _issue(session, account_id, now, actor_id, "webhook.token_created")


async def rotate_token(
    session: AsyncSession, *, account_id: int, now: datetime, actor_id: int | None = None
) -> str:
    """Replace the account's token (or make its first): the old one stops working at once."""
    await access.active_account(session, account_id)
    return await _issue(session, account_id, now, actor_id, "webhook.token_rotated")


async def check_token(session: AsyncSession, *, account_id: int, token: str) -> bool:
    """Whether `token` is the account's current webhook token (constant-time comparison)."""
    stored = await session.get(WebhookToken, account_id)
    if stored is None:
        return False
    return hmac.compare_digest(stored.token_hash, digest(token))


# Compared against when the account is unknown or has no token: a check then costs the same.
_NO_HASH = digest("")


async def account_for_token(session: AsyncSession, *, number: str, token: str) -> Account | None:
    """The account numbered `number` (case-insensitively) when `token` is its current webhook
    token, else None. Whether the account exists, has a token or not, this runs the same one
    query and one constant-time comparison, so neither the answer nor the time it takes tells
    whether an account number exists."""
    row = (
        await session.exec(
            select(Account, WebhookToken.token_hash)
            .join(WebhookToken, col(WebhookToken.account_id) == col(Account.id), isouter=True)
            .where(Account.number == register.number_as_stored(number))
        )
    ).first()
    account, stored = row if row is not None else (None, None)
    matches = hmac.compare_digest(stored or _NO_HASH, digest(token))
    return account if matches and stored is not None else None


async def _issue(
    session: AsyncSession, account_id: int, now: datetime, actor_id: int | None, action: str
) -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    row = await session.get(WebhookToken, account_id)
    if row is None:
        row = WebhookToken(
            account_id=account_id, token_hash=digest(token), created_at=now, created_by=actor_id
        )
    else:
        row.token_hash, row.created_at, row.created_by = digest(token), now, actor_id
    session.add(row)
    await session.flush()
    audit.record(session, now=now, actor_id=actor_id, action=action,
                 subject=f"account:{account_id}")
    return token
