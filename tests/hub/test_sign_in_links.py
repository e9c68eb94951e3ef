"""Sign-in links leave for the person signed, and only then (hub/sign_in_links.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dialogs.messages import Context, Link, Message, Paragraph
from hub.sign_in_links import signed

KEY = b"k" * 32
UNSIGNED = "v1.7.1800000000.abcdefghijklmnopqrstuvwx"


def message(*blocks: Paragraph | Link | Context) -> Message:
    return Message("Your dashboard link", blocks=blocks)


def test_an_unsigned_link_is_signed_for_its_person_and_the_rest_kept() -> None:
    before = message(
        Paragraph("Here is your link"),
        Link(f"https://kontobot.example.org/dashboard/sign-in?token={UNSIGNED}", "Open",
             unsigned=True),
        Context("Don't forward it"),
    )
    after = signed(before, KEY, 7)
    paragraph, link, context = after.blocks
    assert (paragraph, context) == (before.blocks[0], before.blocks[2])
    assert after.text == before.text
    assert isinstance(link, Link) and not link.unsigned and link.label == "Open"
    parts = urlsplit(link.url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "kontobot.example.org", "/dashboard/sign-in"
    )
    [token] = parse_qs(parts.query)["token"]
    payload, _, signature = token.rpartition(".")
    assert payload == UNSIGNED and len(signature) == 43


def test_a_path_for_the_web_chat_is_signed_too() -> None:
    [link] = signed(message(Link(f"/dashboard/sign-in?token={UNSIGNED}", "Open", unsigned=True)),
                    KEY, 7).blocks
    assert isinstance(link, Link) and link.url.startswith(f"/dashboard/sign-in?token={UNSIGNED}.")


def test_a_message_without_unsigned_links_is_left_as_it_is() -> None:
    plain = message(Paragraph("Hello"), Link("https://ki.se/", "KI"))
    assert signed(plain, None, None) is plain


@pytest.mark.parametrize(
    ("key", "person", "url"),
    [
        (None, 7, f"/dashboard/sign-in?token={UNSIGNED}"),
        (KEY, None, f"/dashboard/sign-in?token={UNSIGNED}"),
        (KEY, 8, f"/dashboard/sign-in?token={UNSIGNED}"),
        (KEY, 7, "/dashboard/sign-in"),
        (KEY, 7, f"/dashboard/sign-in?token={UNSIGNED}.{'s' * 43}"),
    ],
    ids=["no key", "no recipient", "someone else", "no token", "signed already"],
)
def test_a_link_that_cannot_be_signed_for_the_person_is_refused(
    key: bytes | None, person: int | None, url: str
) -> None:
    with pytest.raises(ValueError, match="sign"):
        signed(message(Link(url, "Open", unsigned=True)), key, person)
