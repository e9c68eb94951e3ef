"""The export streamed a chunk of rows at a time (data.export.stream): the same bytes whatever
the chunk size, JSON exactly as one json.dumps of the whole would write it, and a filter of
more accounts than an IN list may hold gives what a short one gives."""

from __future__ import annotations

import json

import pytest

from data import export
from data.chunks import IN_CHUNK
from data.db import Store
from data.models import Account
from tests.data.test_dashboard import Register, three_accounts
from tests.helpers import T0, Cast
from tests.helpers.accounts import add_records

WHATS = export.WHATS


@pytest.fixture
async def accounts(store: Store, cast: Cast) -> Register:
    """The dashboard's three accounts, two with public documents (the earlier one, whose
    records are made first though its id is the largest, and the first)."""
    made = await three_accounts(store, cast)
    for account, member, other in ((made.earlier, cast.director,
                                    cast.second_colleague),
                                   (made.first, cast.requester, cast.colleague)):
        assert account.id is not None
        await add_records(store, account.id, member, other, f"About {account.handle}", T0)
    return made


async def pieces(store: Store, fmt: str, what: str, **options: object) -> list[str]:
    async with store.transaction() as session:
        return [p async for p in export.stream(session, fmt, what, **options)]  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("what", WHATS)
async def test_chunks_change_nothing_but_how_many_pieces(
    store: Store, accounts: Register, fmt: str, what: str
) -> None:
    whole = await pieces(store, fmt, what)
    small = await pieces(store, fmt, what, chunk_rows=1)
    assert "".join(small) == "".join(whole)
    assert len(small) > len(whole)  # a piece per row: streamed, not built whole


@pytest.mark.parametrize("what", WHATS)
async def test_json_is_what_one_dump_of_the_whole_writes(
    store: Store, accounts: Register, what: str
) -> None:
    body = "".join(await pieces(store, "json", what, chunk_rows=2))
    assert body == json.dumps(json.loads(body), ensure_ascii=False, indent=2) + "\n"
    parts = json.loads(body)
    assert list(parts) == {"records": list(export.RECORD_PARTS),
                           "all": list(export.PARTS)}.get(what, [what])
    if "register" in parts:
        assert len(parts["register"]) == 3


async def test_an_empty_part_is_an_empty_list(store: Store) -> None:
    body = "".join(await pieces(store, "json", "all"))
    assert body == "{\n" + ",\n".join(f'  "{part}": []' for part in export.PARTS) + "\n}\n"


async def test_more_accounts_than_an_in_list_holds(
    store: Store, accounts: Register
) -> None:
    few = [accounts.first, accounts.earlier]
    # Accounts that are not stored (ids past any real one) make the filter long.
    many = few + [Account(id=10_000 + n, request_id=10_000 + n) for n in range(IN_CHUNK)]
    for fmt in ("csv", "json"):
        short = "".join(await pieces(store, fmt, "all", accounts=few))
        long = "".join(await pieces(store, fmt, "all", accounts=many, chunk_rows=2))
        assert long == short
        assert accounts.second.number not in short and accounts.first.number in short
