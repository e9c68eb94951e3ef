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
