"""What a valid request looks like: platforms and their handles, text limits, acknowledgements.

The dialog checks these one answer at a time; the domain checks them all again on submit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from data.errors import Invalid


@dataclass(frozen=True)
class PlatformRule:
    label: str
    pattern: re.Pattern[str]
    # Shown to the person when the handle does not fit (language-neutral example).
    example: str


def _rx(pattern: str) -> re.Pattern[str]:
    # ASCII: without it a case-blind [a-z] also takes the dotless i, the dotted capital I,
    # the long s and the Kelvin sign, which no platform allows in a handle, and a handle
    # made with one only looks like a registered one (the register compares them folded).
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


# Handle rules as the platforms publish them for new accounts and pages.
PLATFORMS: dict[str, PlatformRule] = {
    "instagram": PlatformRule(
        "Instagram", _rx(r"(?!.*\.\.)(?!\.)[a-z0-9._]{1,30}(?<!\.)"), "karolinskainstitutet"
    ),
    "facebook": PlatformRule("Facebook", _rx(r"[a-z0-9.]{5,50}"), "karolinskainstitutet"),
    "linkedin": PlatformRule(
        "LinkedIn", _rx(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?"), "karolinska-institutet"
    ),
    "x": PlatformRule("X", _rx(r"[a-z0-9_]{4,15}"), "karolinskainst"),
    "youtube": PlatformRule("YouTube", _rx(r"[a-z0-9._-]{3,30}"), "karolinskainstitutet"),
    "tiktok": PlatformRule("TikTok", _rx(r"(?!.*\.$)[a-z0-9._]{2,24}"), "karolinskainstitutet"),
    "bluesky": PlatformRule(
        "Bluesky",
        _rx(r"(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"),
        "ki.bsky.social",
    ),
    "mastodon": PlatformRule(
        "Mastodon",
        _rx(r"[a-z0-9_]{1,30}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"),
        "ki@mastodon.nu",
    ),
    "threads": PlatformRule(
        "Threads", _rx(r"(?!.*\.\.)(?!\.)[a-z0-9._]{1,30}(?<!\.)"), "karolinskainstitutet"
    ),
}

SCOPES = ("unit", "university_wide", "university_administration")
RESPONSE_TIMES = ("same_day", "24h", "48h")

# The policy's demands the requester must confirm, in the order they are asked.
ACKNOWLEDGEMENTS = (
    "terms_of_use",
    "graphic_profile",
    "link_to_ki",
    "unit_named",
    "consent",
    "public_documents",
)

# Maximum lengths of typed answers (characters).
SHORT_TEXT = 200
LONG_TEXT = 1000
REASON_TEXT = 1000
MIN_PURPOSE = 10


def normalise_handle(platform: str, raw: str) -> str:
    """The handle as stored: no surrounding space, no leading @; a pasted profile address is
    reduced to the handle it names (`https://mastodon.nu/@ki` -> `ki@mastodon.nu`)."""
    handle = raw.strip()
    link = re.match(r"^https?://(?:www\.|m\.)?([^/]+)/+(.*?)/*(?:[?#].*)?$", handle, re.IGNORECASE)
    if link:
        host, path = link.group(1).lower(), link.group(2)
        parts = [p for p in path.split("/") if p]
        if platform == "mastodon" and parts and parts[0].startswith("@"):
            return f"{parts[0][1:]}@{host}"
        if platform == "bluesky" and len(parts) >= 2 and parts[0] == "profile":
            return parts[1]
        if (
            platform == "linkedin"
            and len(parts) >= 2
            and parts[0] in ("company", "showcase", "school", "in")
        ):
            return parts[1]
        handle = parts[-1] if parts else ""
    return handle[1:] if handle.startswith("@") else handle


def check_handle(platform: str, raw: str) -> str:
    rule = PLATFORMS.get(platform)
    if rule is None:
        raise Invalid("unknown_platform")
    handle = normalise_handle(platform, raw)
    if not handle:
        raise Invalid("empty")
    if not rule.pattern.fullmatch(handle):
        raise Invalid("bad_handle", platform=rule.label, example=rule.example)
    return handle


def check_text(raw: str, *, maximum: int, minimum: int = 1) -> str:
    text = raw.strip()
    if not text:
        raise Invalid("empty")
    if len(text) > maximum:
        raise Invalid("too_long", maximum=maximum, length=len(text))
    if len(text) < minimum:
        raise Invalid("too_short", minimum=minimum)
    return text
