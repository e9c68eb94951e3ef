"""Webhook tokens: shown once, stored only as a hash, rotated."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import col

from data import tokens
from data.db import Store
from data.errors import Invalid, NotFound
from data.models import AuditEvent, WebhookToken
from tests.helpers import T0, Cast, load
from tests.helpers.accounts import id_of, register


async def test_create_check_rotate(store: Store, cast: Cast) -> None:
    acc = id_of(await register(
        store, requester=cast.requester, team=(cast.colleague,), manager=cast.manager, now=T0
    ))
    async with store.transaction() as session:
        first = await tokens.create_token(session, account_id=acc, now=T0)
        with pytest.raises(Invalid) as twice:
            await tokens.create_token(session, account_id=acc, now=T0)
        assert twice.value.code == "token_exists"
    assert first.startswith("kbq_") and len(first) > 40
    [row] = await load(store, WebhookToken)
    assert row.token_hash == hashlib.sha256(first.encode()).hexdigest()
    assert first not in row.token_hash
    async with store.transaction() as session:
        assert await tokens.check_token(session, account_id=acc, token=first)
        assert not await tokens.check_token(session, account_id=acc, token=first + "x")
        assert not await tokens.check_token(session, account_id=acc + 1, token=first)
        second = await tokens.rotate_token(session, account_id=acc, now=T0 + timedelta(days=1))
        assert second != first
        assert not await tokens.check_token(session, account_id=acc, token=first)
        assert await tokens.check_token(session, account_id=acc, token=second)
        with pytest.raises(NotFound):
            await tokens.rotate_token(session, account_id=999, now=T0)
    assert [e.action for e in await load(store, AuditEvent, col(AuditEvent.action).startswith("webhook"))] == [
        "webhook.token_created", "webhook.token_rotated",
    ]


@pytest.mark.parametrize(
    "token",
    ["kbq_\udcff\udcfe", "\udced\udca0\udc80\udcff", "\ud800", "x\udfff", "\ud83d\ude00"],
)
def test_every_str_has_a_digest_of_its_own(token: str) -> None:
    # Lone surrogates (how aiohttp hands on header bytes that are not UTF-8) do not raise,
    # and hash apart from the text a token without them would be.
    assert len(tokens.digest(token)) == 64
    assert tokens.digest(token) != tokens.digest(token.encode("utf-8", "replace").decode())


def test_a_token_hashes_as_its_utf8() -> None:
    for token in ["kbq_abc-_09", "", "Éva ☃ \U0001f600"]:
        assert tokens.digest(token) == hashlib.sha256(token.encode()).hexdigest()
