"""Dashboard sign-in links are signed as they leave for the person, not before.

`/dashboard` replies with a link whose token lacks its signature (data.signin,
`issue_unsigned`): the reply waits in the outbox, and nothing in the database may sign anyone
in (SECURITY.md). Whatever hands a message to a platform (hub/delivery.py; the Teams invoke's
card in hub/turns.py) passes it through `signed` first, with the server's key, which is never
in the database. The web chat keeps what it shows in its transcript, signed links included:
anyone who reaches it may act as anyone anyway, and a deployment has it off.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from data import signin
from dialogs.dashboard import LINK_PARAMETER
from dialogs.messages import Link, Message


def signed(message: Message, key: bytes | None, person_id: int | None) -> Message:
    """`message` with each unsigned sign-in link signed for `person_id`, who receives it.
    ValueError when one cannot be (no key here, or a link issued to someone else)."""
    if not any(isinstance(b, Link) and b.unsigned for b in message.blocks):
        return message
    if key is None or person_id is None:
        raise ValueError("a sign-in link cannot be signed here")
    blocks = tuple(
        Link(_signed_url(b.url, key, person_id), b.label)
        if isinstance(b, Link) and b.unsigned
        else b
        for b in message.blocks
    )
    return replace(message, blocks=blocks)


def _signed_url(url: str, key: bytes, person_id: int) -> str:
    parts = urlsplit(url)
    query = [
        (name, signin.sign_link(key, value, person_id=person_id) if name == LINK_PARAMETER else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    if LINK_PARAMETER not in dict(query):
        raise ValueError("a sign-in link without its token")
    return urlunsplit(parts._replace(query=urlencode(query)))
