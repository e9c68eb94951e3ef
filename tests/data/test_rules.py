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
