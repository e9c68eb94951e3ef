"""Handle and text rules as pure functions (the database tests cover them inside submit)."""

from __future__ import annotations

import pytest

from data import rules
from data.errors import Invalid


@pytest.mark.parametrize(
    ("platform", "raw", "handle"),
    [
        ("instagram", "@karolinskainstitutet", "karolinskainstitutet"),
        ("instagram", "https://instagram.com/ki.news/", "ki.news"),
        ("threads", "https://www.threads.net/@ki_news", "ki_news"),
        ("x", "ki_brain", "ki_brain"),
        ("tiktok", "ki.news", "ki.news"),
        ("linkedin", "karolinska-institutet", "karolinska-institutet"),
        ("mastodon", "@ki@mastodon.nu", "ki@mastodon.nu"),
        ("bluesky", "ki.bsky.social", "ki.bsky.social"),
        ("facebook", "karolinska.institutet", "karolinska.institutet"),
        ("youtube", "@KarolinskaInstitutet", "KarolinskaInstitutet"),
    ],
)
def test_good_handles(platform: str, raw: str, handle: str) -> None:
    assert rules.check_handle(platform, raw) == handle


@pytest.mark.parametrize(
    ("platform", "raw"),
    [
        ("instagram", "ki..news"),
        ("instagram", ".kinews"),
        ("instagram", "k" * 31),
        ("instagram", "ki news"),
        ("x", "ki"),
        ("x", "ki-news"),
        ("tiktok", "kinews."),
        ("linkedin", "-ki"),
        ("mastodon", "kinews"),
        ("mastodon", "ki@localhost"),
        ("bluesky", "kinews"),
        ("facebook", "kinw"),
        ("youtube", "ki"),
    ],
)
def test_bad_handles(platform: str, raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        rules.check_handle(platform, raw)
    assert refused.value.code == "bad_handle"
    assert refused.value.params["platform"] == rules.PLATFORMS[platform].label


# Python's case-blind [a-z] also takes four letters that are not ASCII: the dotless i, the
# dotted capital I, the long s and the Kelvin sign. Handles are ASCII on every platform, and
# a handle that only looks like a registered one must not pass as a new one.
LOOKALIKES = ("ki\u0131nstitutet", "\u0130nstagramki", "karolin\u017fka", "\u212aarolinska")


@pytest.mark.parametrize("platform", sorted(rules.PLATFORMS))
@pytest.mark.parametrize("raw", LOOKALIKES)
def test_letters_that_only_look_ascii_are_refused(platform: str, raw: str) -> None:
    example = rules.PLATFORMS[platform].example
    # The lookalike letter put where the example has letters, so that only it can be wrong.
    handle = raw if platform not in ("mastodon", "bluesky") else (
        raw + example[example.index("@"):] if platform == "mastodon" else raw + ".bsky.social"
    )
    with pytest.raises(Invalid) as refused:
        rules.check_handle(platform, handle)
    assert refused.value.code == "bad_handle"
    # The same handle in ASCII passes: the letter alone was wrong.
    plain = handle.translate({0x131: "i", 0x130: "I", 0x17F: "s", 0x212A: "K"})
    assert rules.check_handle(platform, plain) == plain


def test_every_example_fits_its_own_rule() -> None:
    for platform, rule in rules.PLATFORMS.items():
        assert rules.check_handle(platform, rule.example) == rule.example, platform


def test_text_limits() -> None:
    assert rules.check_text("  ok  ", maximum=2) == "ok"
    with pytest.raises(Invalid, match="empty"):
        rules.check_text(" \t\n", maximum=10)
    with pytest.raises(Invalid) as refused:
        rules.check_text("abc", maximum=2)
    assert (refused.value.code, refused.value.params) == ("too_long", {"maximum": 2, "length": 3})
    with pytest.raises(Invalid) as refused:
        rules.check_text("abc", maximum=10, minimum=4)
    assert (refused.value.code, refused.value.params) == ("too_short", {"minimum": 4})


# Answers that show nothing: what the QA probe typed on the open-account form (ten zero-width
# spaces for the purpose, which passed its minimum of ten), and other invisible characters.
INVISIBLE = [
    "\u200b" * 10,  # ZERO WIDTH SPACE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u2060\u2060",  # WORD JOINER
    "\ufeff",  # ZERO WIDTH NO-BREAK SPACE (byte-order mark)
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u200d",  # ZERO WIDTH JOINER
    " \u200b\u00ad\u2066\u2069 \n",  # with whitespace, a soft hyphen and an isolate
    "\u3164\u115f\ufe0f\u034f\u2800",  # Hangul fillers, a variation selector, CGJ, blank Braille
]


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_text_that_shows_nothing_is_empty(invisible: str) -> None:
    for minimum in (1, rules.MIN_PURPOSE):
        with pytest.raises(Invalid) as refused:
            rules.check_text(invisible, maximum=rules.LONG_TEXT, minimum=minimum)
        assert (refused.value.code, refused.value.params) == ("empty", {})


def test_a_minimum_counts_the_characters_that_show() -> None:
    # Ten characters, three of them visible.
    padded = "Hej" + "\u2060" * 7
    with pytest.raises(Invalid) as refused:
        rules.check_text(padded, maximum=rules.LONG_TEXT, minimum=rules.MIN_PURPOSE)
    assert (refused.value.code, refused.value.params) == ("too_short", {"minimum": 10})
    # The maximum counts every character stored.
    with pytest.raises(Invalid) as refused:
        rules.check_text("ok" + "\u200b" * 9, maximum=10)
    assert (refused.value.code, refused.value.params) == ("too_long", {"maximum": 10, "length": 11})


@pytest.mark.parametrize(
    "typed",
    [
        "Forskning från Karolinska Institutet, på svenska: åäö ÅÄÖ é ü.",
        "Vi visar labbet 👩\u200d🔬🧑🏽\u200d💻 och firar 🏳️\u200d🌈 ❤️ varje vecka.",
        "Persian: می\u200cخواهم, Hindi: क्\u200dष, Hebrew in an isolate: \u2067שלום\u2069.",
        "Two lines:\nthe second one.",
    ],
)
def test_ordinary_text_with_emoji_and_joiners_is_kept_as_typed(typed: str) -> None:
    assert rules.check_text(typed, maximum=rules.LONG_TEXT, minimum=rules.MIN_PURPOSE) == typed


def test_visible_length_counts_what_shows() -> None:
    assert rules.visible_length("Åsa ❤️ 👩\u200d🔬") == 6  # Å s a ❤ 👩 🔬
    assert rules.visible_length(" \u200b\u200f\t\n") == 0


@pytest.mark.parametrize(
    ("platform", "pasted", "handle"),
    [
        ("mastodon", "https://mastodon.nu/@ki", "ki@mastodon.nu"),
        ("bluesky", "https://bsky.app/profile/ki.bsky.social", "ki.bsky.social"),
        ("linkedin", "https://www.linkedin.com/company/karolinska-institutet/", "karolinska-institutet"),
        ("instagram", "https://www.instagram.com/karolinskainstitutet/?hl=sv", "karolinskainstitutet"),
        ("youtube", "https://www.youtube.com/@karolinskainstitutet", "karolinskainstitutet"),
        ("x", "https://x.com/karolinskainst", "karolinskainst"),
        ("x", "@karolinskainst", "karolinskainst"),
    ],
)
def test_a_pasted_profile_address_gives_its_handle(platform: str, pasted: str, handle: str) -> None:
    assert rules.check_handle(platform, pasted) == handle
