"""The people a platform's picker offers when the platform cannot leave anyone out itself:
Slack's `external_select` asks with `block_suggestion`, Teams' `Data.Query` with
`application/search`. Both get the same search (data.people_search), as (value, name) pairs
whose value is what the platform's picked-person translation already understands.
"""

from __future__ import annotations

from collections.abc import Iterable

from data import people_search
from data.db import Store

MAX_FOUND = people_search.MAX_FOUND
# What is looked for is a name or an e-mail address: more than this is neither.
MAX_QUERY = 100


async def offered(
    store: Store,
    platform: str,
    text: str,
    *,
    exclude: Iterable[str] = (),
    by_email: bool = False,
    limit: int = MAX_FOUND,
) -> list[tuple[str, str]]:
    """(value, label) of the people `text` finds, without those `exclude` names.

    The value is the person's id on `platform`; a directory entry the bot has not met there is
    offered by its Azure AD object id (Teams' people are those ids), or, with `by_email`, by
    its work e-mail (which Slack looks up); an entry with neither cannot be picked and is left
    out. The label says the e-mail along, so that two people of one name can be told apart.
    """
    async with store.read() as session:
        found = await people_search.search(
            session, platform, text[:MAX_QUERY], exclude=exclude, limit=limit
        )
    offers: list[tuple[str, str]] = []
    for person in found:
        value = person.external_id or (person.email if by_email else person.aad_id)
        if not value:
            continue
        named = person.email and person.email != person.name
        label = f"{person.name} ({person.email})" if named else person.name
        offers.append((value, label))
    return offers
